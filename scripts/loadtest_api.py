"""Load test of three API endpoints on the site as the Quick start serves it; one JSON line each.

    python scripts/loadtest_api.py [--connections 16] [--seconds 15] [--database-url URL] [--keep]

Without --database-url: a fresh SQLite database in a temporary directory. With it (PostgreSQL): a
new schema of its own in that database, dropped afterwards. Either way the schema is migrated, the
demo content loaded with `flask demo load` and indexed with `flask index rebuild`, an API token
made with `flask users create-token`, and the site served by gunicorn with gunicorn.conf.py on a
free loopback port. Once its workers have warmed up, `GET /api/v1/needs`, `GET
/api/v1/needs/{id}/matches` and `POST /api/v1/match` are kept busy, one after another, by N
connections (keep-alive, one thread each) for a fixed time, at most --max-requests each. Any
answer other than 2xx, and any failed connection, counts as an error.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loadtest import free_port, say, stop, wait_until_up
from loadtest_data import create_schema, drop_schema
from loadtest_report import server_errors

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent

TOKEN_USER = "founder@demo.example.org"
REQUEST_TIMEOUT = 30
STARTUP_SECONDS = 300
TEXTS = (
    "A wearable sensor that detects falls at night and alerts the nurse on duty.",
    "Remote monitoring of heart failure patients at home with a tablet and a blood pressure cuff.",
    "Digital triage in the emergency department to shorten waiting times for a scan.",
    "Sensor i sengen som varsler når pasienten prøver å reise seg om natten.",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per endpoint (default 15)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="at most this many per endpoint")
    parser.add_argument("--database-url", help="PostgreSQL to test against (a schema of its own); default SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the database and the server log afterwards")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="loadtest-api-"))
    schema = None
    if args.database_url:
        schema, url = create_schema(args.database_url)
        database = "postgresql"
    else:
        url, database = f"sqlite:///{tmp / 'matchmaker.sqlite3'}", "sqlite"
    try:
        for line in run(args, url, database, tmp):
            print(json.dumps(line), flush=True)
    finally:
        if args.keep:
            say(f"kept the database {url} and the server log in {tmp}")
        else:
            if schema:
                drop_schema(args.database_url, schema)
            shutil.rmtree(tmp, ignore_errors=True)


def run(args, url: str, database: str, tmp: Path) -> list[dict]:
    # As `make run` has it: one thread for torch and FAISS in the workers, every core for the demo load.
    env = os.environ | {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "OMP_NUM_THREADS": "1",
                        "MKL_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
                        "MATCHING_SNAPSHOT_DIR": str(tmp / "index-cache")}
    say(f"migrating and loading the demo content into {database} (embeds every profile)")
    flask(env, "db", "upgrade")
    batch = env | {"OMP_NUM_THREADS": str(os.cpu_count() or 1)}  # batch work, as `make run` does it
    flask(batch, "demo", "load")
    flask(batch, "index", "rebuild")  # the index snapshot the workers start from
    token = flask(env, "users", "create-token", TOKEN_USER, "--name", "load test").strip().splitlines()[-1]
    log = tmp / "server.log"
    with serve(env, log) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        results = drive(port, token, database, args)
    for line, count in server_errors(log.read_text(errors="replace")).most_common(5):
        say(f"server error (x{count}): {line}")
    return results


@contextmanager
def serve(env: dict, log: Path) -> Iterator[str]:
    """gunicorn with gunicorn.conf.py on a free loopback port, for the length of a with block. It
    answers once a worker has warmed up, which on a busy machine takes a while."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
               "wsgi:app"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url, process, limit=STARTUP_SECONDS)
        wait_for_warm_workers(log)
        say(f"gunicorn (pid {process.pid}) serves {base_url}; workers' memory (RSS) {workers_rss_mb(process.pid)} MB")
        yield base_url
        say(f"workers' memory (RSS) after the load: {workers_rss_mb(process.pid)} MB")
    finally:
        stop(process)


def workers_rss_mb(master_pid: int) -> list[int]:
    """Resident memory of each of gunicorn's workers (Linux's /proc; empty elsewhere)."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master_pid) and "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]) // 1024)
    return sorted(sizes)


def wait_for_warm_workers(log: Path) -> None:
    """Until every worker booted has said it warmed up (or failed to), so that the figures are
    of a site at work rather than starting."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if text.count("warmed up in") + text.count("warming up failed") >= text.count("Booting worker"):
            return
        time.sleep(0.5)
    say("not every worker reported warming up; measuring anyway")


def flask(env: dict, *arguments: str) -> str:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *arguments]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(arguments[:2])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def drive(port: int, token: str, database: str, args) -> list[dict]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    need_ids = [item["id"] for item in call(port, "GET", "/api/v1/needs?per_page=100", headers)["items"]]
    if not need_ids:
        raise SystemExit("the demo content has no needs")
    bodies = itertools.cycle([json.dumps({"text": text, "kind": "capability"}) for text in TEXTS])
    ids = itertools.cycle(need_ids)
    endpoints = [
        ("GET /api/v1/needs", lambda: ("GET", "/api/v1/needs", None)),
        ("GET /api/v1/needs/{id}/matches", lambda: ("GET", f"/api/v1/needs/{next(ids)}/matches", None)),
        ("POST /api/v1/match", lambda: ("POST", "/api/v1/match", next(bodies))),
    ]
    results = []
    for name, make_request in endpoints:
        say(f"{name}: {args.connections} connections for {args.seconds:g} s")
        figures = saturate(port, headers, make_request, args.connections, args.seconds, args.max_requests)
        results.append({"endpoint": name, "database": database, "connections": args.connections} | figures)
    return results


def call(port: int, method: str, path: str, headers: dict, body: str | None = None) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise SystemExit(f"{method} {path} answered {response.status}: {data[:500]!r}")
        return json.loads(data)
    finally:
        connection.close()


class Tally:
    """Latencies and outcomes from every connection's thread; stops handing out requests at the
    deadline or after the most requests allowed."""

    def __init__(self, seconds: float, max_requests: int):
        self.lock = threading.Lock()
        self.deadline = time.monotonic() + seconds
        self.left = max_requests
        self.latencies: list[float] = []
        self.outcomes: Counter = Counter()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or time.monotonic() >= self.deadline:
                return False
            self.left -= 1
            return True

    def add(self, seconds: float, outcome: str) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.outcomes[outcome] += 1


def saturate(port: int, headers: dict, make_request, connections: int, seconds: float, max_requests: int) -> dict:
    tally = Tally(seconds, max_requests)
    lock = threading.Lock()

    def next_request():
        with lock:  # the cycles of ids and bodies are shared
            return make_request()

    started = time.monotonic()
    workers = [threading.Thread(target=_connection, args=(port, headers, next_request, tally), daemon=True)
               for _n in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + REQUEST_TIMEOUT + 5)
    elapsed = time.monotonic() - started
    return _figures(tally, elapsed)


def _connection(port: int, headers: dict, next_request, tally: Tally) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    while tally.take():
        method, path, body = next_request()
        began = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            outcome = str(response.status)
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException) as error:
            outcome = type(error).__name__
            connection.close()  # reconnects on the next request
        tally.add(time.perf_counter() - began, outcome)
    connection.close()


def _figures(tally: Tally, elapsed: float) -> dict:
    latencies = sorted(tally.latencies)
    errors = {outcome: n for outcome, n in tally.outcomes.items() if not outcome.startswith("2")}
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "req_per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": _percentile_ms(latencies, 0.50),
        "p99_ms": _percentile_ms(latencies, 0.99),
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


def _percentile_ms(latencies: list[float], fraction: float) -> float | None:
    if not latencies:
        return None
    return round(1000 * latencies[min(len(latencies) - 1, int(fraction * len(latencies)))], 1)


if __name__ == "__main__":
    main()
