"""Load test of the web service under gunicorn; prints a table, the consistency findings and one
JSON line.

    python scripts/loadtest.py [--users 50] [--seconds 60] [--database-url URL] [--keep]

Creates a fresh PostgreSQL schema, migrates it, loads the demo content (embedding every profile
with the real encoder) and registers one arena participant per simulated user, each with meeting
requests waiting for an answer. Serves it with gunicorn.conf.py on a free port and drives it with
locust (loadtest_swarm.py): people browsing needs and capabilities and opening match pages,
arena participants requesting, accepting and cancelling meetings, and one organiser re-running
the scheduler while they do. Afterwards checks the database: nobody in two meetings in one slot,
no table booked twice, every acceptance the app confirmed stored. Stops gunicorn and drops the
schema at the end (--keep keeps the schema and the server log, and says where).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loadtest_data import (
    add_participants,
    check_consistency,
    create_schema,
    drop_schema,
    load_demo,
)
from loadtest_report import consistency_text, server_errors, summary, table

from matchmaker import create_app
from matchmaker.migrate import upgrade

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent

DEFAULT_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
# One thread each for torch, FAISS and the encoder, as gunicorn.conf.py and the Makefile set them;
# no sign-in rate limit, since every simulated user signs in from this one machine.
SERVER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
              "HF_HUB_OFFLINE": "1", "RATELIMIT_ENABLED": "0"}


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="simulated users at once (default 50)")
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds (default 60)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL; a new schema is made in it")
    parser.add_argument("--keep", action="store_true", help="keep the schema and the server log afterwards")
    args = parser.parse_args()
    schema, url = create_schema(args.database_url)
    say(f"schema {schema}")
    tmp = Path(tempfile.mkdtemp(prefix="loadtest-"))
    try:
        run(args, url, tmp)
    finally:
        if args.keep:
            say(f"kept the schema {url} and the server log, plan and figures in {tmp}")
        else:
            drop_schema(args.database_url, schema)
            shutil.rmtree(tmp, ignore_errors=True)


def run(args, url: str, tmp: Path) -> None:
    env = os.environ | SERVER_ENV | {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
                                     "MATCHING_SNAPSHOT_DIR": str(tmp / "index-cache")}
    app, plan = prepare(url, env, args.users)
    (tmp / "plan.json").write_text(json.dumps(plan))
    log = tmp / "server.log"
    with serve(env, log) as base_url:
        result = drive(base_url, tmp, args)
    consistency = check_consistency(app, plan["arena_id"], result["accepted"], result["cancelled"])
    report(result, consistency, server_errors(log.read_text(errors="replace")))


def prepare(url: str, env: dict, users: int) -> tuple:
    say("migrating")
    upgrade("head", url)
    say("loading the demo content (embeds every profile, about half a minute)")
    load_demo(env)
    say(f"adding {users} arena participants with requests waiting for them")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": env["SECRET_KEY"], "MATCHING_SNAPSHOT_DIR": None})
    return app, add_participants(app, users)


@contextmanager
def serve(env: dict, log: Path) -> Iterator[str]:
    """gunicorn with gunicorn.conf.py on a free port, for the length of a with block."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
               "wsgi:app"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url, process)
        say(f"gunicorn (pid {process.pid}) serves {base_url}")
        yield base_url
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    say("gunicorn stopped")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base_url: str, process: subprocess.Popen, limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited at start; see its log")
        try:
            with urllib.request.urlopen(f"{base_url}/login", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer in time")


def drive(base_url: str, tmp: Path, args) -> dict:
    """Runs the simulated users in a process of their own: importing locust patches the standard
    library for gevent, which the database work here must not share."""
    say(f"{args.users} users sign in, then {args.seconds:g} s of load")
    command = [sys.executable, str(SCRIPTS / "loadtest_swarm.py"), str(tmp / "plan.json"), str(tmp / "result.json"),
               "--host", base_url, "--users", str(args.users), "--seconds", str(args.seconds)]
    subprocess.run(command, check=True)
    return json.loads((tmp / "result.json").read_text())


def report(result: dict, consistency: dict, errors) -> None:
    print(table(result))
    print()
    print(consistency_text(consistency))
    for line, count in errors.most_common(10):
        print(f"server error (x{count}): {line}")
    print(json.dumps(summary(result, consistency, errors)))


if __name__ == "__main__":
    main()
