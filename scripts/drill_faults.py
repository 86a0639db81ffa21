"""Fault drill against a real gunicorn (2 workers) on a fresh PostgreSQL schema.

While a few threads keep sending requests it restarts PostgreSQL, then SIGKILLs a busy worker,
with the index snapshot corrupt at start and gone before the kill; finally it SIGKILLs a large
`profiles import` halfway. Prints one JSON line of results; exits 1 if any check failed.

    .venv/bin/python scripts/drill_faults.py [--database-url postgresql://...] [--no-restart]

Restarting PostgreSQL cuts off everyone using that server for a second or two. The schema,
processes and temporary files are removed at the end, and PostgreSQL is left running.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import psutil
import requests
from sqlalchemy import create_engine, select, text

from matchmaker import create_app
from matchmaker.config import normalise_database_url
from matchmaker.database import get_database
from matchmaker.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent

FALLS = "Patients fall at night on the geriatric ward when they get up alone to go to the toilet."
SEARCH = ("A bedside radar or sensor that notices when an elderly patient gets out of bed at night and warns "
          "the nurses before the patient falls, without cameras, for geriatric and orthopaedic wards.")
PASSWORD = "drill-password-123"
BEST_MATCH = "BedWatch radar"
SEED = [
    {"kind": "organisation", "id": "drill-ward", "name": "Geriatric ward (drill)", "type": "clinical_department"},
    {"kind": "organisation", "id": "drill-radar", "name": "Radar AS (drill)", "type": "supplier"},
    {"kind": "organisation", "id": "drill-books", "name": "Books AS (drill)", "type": "supplier"},
    {"kind": "need", "id": "drill-falls", "organisation": "drill-ward", "title": "Night-time falls",
     "description": FALLS, "language": "en", "clinical_area": ["geriatrics"]},
    {"kind": "capability", "id": "drill-bedwatch", "organisation": "drill-radar", "name": BEST_MATCH,
     "description": "Radar sensor by the bed detects when a patient gets up at night and alerts the nurse "
                    "before a fall.", "language": "en", "trl": 6},
    {"kind": "capability", "id": "drill-invoices", "organisation": "drill-books", "name": "InvoiceBot",
     "description": "Invoice scanning software for accounting departments, with automatic booking of "
                    "supplier bills.", "language": "en", "trl": 9},
]


@dataclass
class Result:
    kind: str
    started: float
    ended: float
    status: str  # the HTTP status, or "no_response" when the connection broke
    title: str | None = None
    top_match: str | None = None


@dataclass
class Drill:
    url: str
    workdir: Path
    port: int = 0
    schema: str = ""
    results: list[Result] = field(default_factory=list)
    marks: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    server: subprocess.Popen | None = None
    importer: subprocess.Popen | None = None
    token: str = ""
    cookie: str = ""
    need_id: int = 0
    in_flight: dict[int, str] = field(default_factory=dict)  # client port -> kind of request
    secret: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.url, "SECRET_KEY": self.secret,
                "MATCHING_SNAPSHOT_DIR": str(self.snapshot_dir), "WEB_CONCURRENCY": "2", **extra}

    @property
    def snapshot_dir(self) -> Path:
        return self.workdir / "index-cache"


# --- set-up -----------------------------------------------------------------------------------

def create_schema(base_url: str) -> tuple[str, str]:
    schema = f"mm_drill_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    return schema, f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"


def seed(drill: Drill) -> None:
    """A few profiles, a clinician with an API token, and an index snapshot that is then corrupted."""
    from matchmaker.matching.runtime import get_engine
    from matchmaker.models import Organisation, Profile
    from matchmaker.services import accounts
    from matchmaker.services.transfer import import_lines

    upgrade("head", drill.url)
    app = create_app({"DATABASE_URL": drill.url, "SECRET_KEY": drill.secret,
                      "MATCHING_SNAPSHOT_DIR": str(drill.snapshot_dir)})
    with app.app_context(), get_database(app).session_scope() as session:
        import_lines(session, [json.dumps(record) for record in SEED])
        ward = session.scalar(select(Organisation).where(Organisation.external_id == "drill-ward"))
        user = accounts.create_user(session, "drill@example.org", "Drill", PASSWORD, organisation=ward)
        drill.token = accounts.create_api_token(session, user, "drill")[1]
        drill.need_id = session.scalar(select(Profile.id).where(Profile.external_id == "drill-falls"))
    with app.app_context(), get_database(app).session_scope() as session:
        engine = get_engine(app)
        engine.sync(session)
        snapshot = engine.save_snapshot()
    get_database(app).engine.dispose()
    vectors = snapshot / "capability" / "vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:40])  # cut short, as a crash mid-copy would


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(drill: Drill) -> None:
    drill.port = free_port()
    log = open(drill.workdir / "server.log", "wb")  # noqa: SIM115  (closed with the process)
    drill.server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "2",
         "--bind", f"127.0.0.1:{drill.port}", "wsgi:app"],
        cwd=ROOT, env=drill.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{drill.base}/login", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass  # still booting
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not start; see server.log")


def sign_in(drill: Drill) -> None:
    session = requests.Session()
    form = session.get(f"{drill.base}/login").text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    session.post(f"{drill.base}/login", data={"email": "drill@example.org", "password": PASSWORD,
                                               "csrf_token": csrf}, allow_redirects=False)
    drill.cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)


# --- load -------------------------------------------------------------------------------------

def requests_of(drill: Drill, worker: int, n: int) -> list[tuple[str, str, str, dict | None]]:
    """One round of a client's requests: (kind, method, path, JSON body)."""
    title = f"Drill need {worker}-{n}"
    need = {"title": title, "description": f"{FALLS} Reported by client {worker}, round {n}.",
            "language": "en", "status": "published"}
    return [("list", "GET", "/api/v1/needs", None),
            ("match", "GET", f"/api/v1/needs/{drill.need_id}/matches", None),
            ("search", "POST", "/api/v1/match", {"text": SEARCH, "kind": "capability"}),
            ("create", "POST", "/api/v1/needs", need),
            ("page", "GET", "/needs", None)]


def send(drill: Drill, kind: str, method: str, path: str, body: dict | None) -> Result:
    # A new connection per request (no keep-alive), so a worker holds a client socket only while
    # it answers; the client port then tells the drill which worker answers which request.
    headers = {"Connection": "close", "Content-Type": "application/json"}
    headers.update({"Cookie": drill.cookie} if kind == "page" else {"Authorization": f"Bearer {drill.token}"})
    result = Result(kind, time.monotonic(), 0.0, "no_response", title=(body or {}).get("title"))
    connection = http.client.HTTPConnection("127.0.0.1", drill.port, timeout=60)
    port = None
    try:
        connection.connect()
        port = connection.sock.getsockname()[1]
        with drill.lock:
            drill.in_flight[port] = kind
        connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        response = connection.getresponse()
        result.status, payload = str(response.status), response.read()
        if kind == "match" and response.status == 200:
            items = json.loads(payload)["items"]
            result.top_match = items[0]["profile"]["title"] if items else ""
    except (OSError, http.client.HTTPException):
        pass  # the worker died with the request: "no_response"
    finally:
        connection.close()
        with drill.lock:
            drill.in_flight.pop(port, None)
    result.ended = time.monotonic()
    return result


def client_loop(drill: Drill, worker: int) -> None:
    n = 0
    while not drill.stop.is_set():
        for kind, method, path, body in requests_of(drill, worker, n):
            result = send(drill, kind, method, path, body)
            with drill.lock:
                drill.results.append(result)
        n += 1


# --- faults -----------------------------------------------------------------------------------

def cluster_of(url: str) -> tuple[str, str]:
    """The PostgreSQL cluster (version, name) listening on the URL's port."""
    port = str(urlparse(url.replace("+psycopg", "")).port or 5432)
    for line in subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout.splitlines():
        version, name, cluster_port, *_ = line.split()
        if cluster_port == port:
            return version, name
    raise RuntimeError(f"no local PostgreSQL cluster on port {port}")


def postgres(url: str, action: str) -> None:
    version, name = cluster_of(url)
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action], check=True,
                   capture_output=True)


def postgres_answers(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SELECT 1")) == 1
    except Exception:  # noqa: BLE001  (any failure means "not answering")
        return False
    finally:
        engine.dispose()


def restart_postgres(drill: Drill, base_url: str) -> None:
    """Restart the server, noting when it stopped answering and when it answered again."""
    version, name = cluster_of(base_url)
    drill.marks["restart_started"] = time.monotonic()
    restart = subprocess.Popen(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while postgres_answers(base_url) and restart.poll() is None:
        time.sleep(0.05)
    drill.marks["postgres_down"] = time.monotonic()
    while not postgres_answers(base_url):
        time.sleep(0.05)
    drill.marks["postgres_back"] = time.monotonic()
    restart.wait()


def workers(drill: Drill) -> list[psutil.Process]:
    return psutil.Process(drill.server.pid).children()


def answering(drill: Drill, worker: psutil.Process) -> list[str]:
    """The kinds of request a worker is answering now, from the client ports it holds."""
    try:
        connections = worker.net_connections(kind="tcp")
    except psutil.Error:
        return []
    with drill.lock:
        return [drill.in_flight[c.raddr.port] for c in connections
                if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == drill.port and c.raddr
                and c.raddr.port in drill.in_flight]


def kill_busy_worker(drill: Drill) -> dict:
    """SIGKILL a worker while it answers a profile creation and a slow request (a free-text
    search or a match list); after a while, settle for a creation alone, then for anything."""
    started = time.monotonic()
    while True:
        waited = time.monotonic() - started
        for worker in workers(drill):
            kinds = answering(drill, worker)
            if wanted(kinds, waited):
                drill.marks["kill"] = time.monotonic()
                os.kill(worker.pid, signal.SIGKILL)
                return {"killed_pid": worker.pid, "it_was_answering": sorted(kinds),
                        "waited_for_that_seconds": round(waited, 2)}
        time.sleep(0.005)


def wanted(kinds: list[str], waited: float) -> bool:
    slow = {"search", "match"} & set(kinds)
    if waited < 10:
        return "create" in kinds and bool(slow)
    return "create" in kinds if waited < 20 else bool(kinds)


# --- the import killed halfway ------------------------------------------------------------------

def write_bulk_file(path: Path, count: int) -> None:
    lines = [json.dumps({"kind": "organisation", "id": "bulk-ward", "name": "Bulk ward",
                         "type": "clinical_department"})]
    lines += [json.dumps({"kind": "need", "id": f"bulk-{n}", "organisation": "bulk-ward", "title": f"Bulk need {n}",
                          "description": f"{FALLS} Variant {n}.", "language": "en"}) for n in range(count)]
    path.write_text("\n".join(lines) + "\n")


def kill_import_halfway(drill: Drill, count: int = 1000) -> dict:
    path = drill.workdir / "bulk.jsonl"
    write_bulk_file(path, count)
    name = f"{drill.schema}_import"
    drill.importer = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "profiles", "import", str(path)], cwd=ROOT,
        env=drill.env(PGAPPNAME=name), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    engine = create_engine(drill.url)
    wrote = wait_for_writes(engine, name, drill.importer)
    time.sleep(1.0)  # let it get further into writing and embedding
    finished_first = drill.importer.poll() is not None
    drill.importer.send_signal(signal.SIGKILL)
    drill.importer.wait()
    killed_after = time.monotonic() - started
    backend_gone = wait_until_backend_gone(engine, name)
    with engine.connect() as connection:
        present = connection.scalar(text("SELECT count(*) FROM profiles WHERE external_id LIKE 'bulk-%'"))
        vectors = connection.scalar(text("SELECT count(*) FROM profile_vectors v JOIN profiles p "
                                         "ON p.id = v.profile_id WHERE p.external_id LIKE 'bulk-%'"))
    engine.dispose()
    return {"records": count, "killed_after_seconds": round(killed_after, 1),
            "its_transaction_had_written_rows": wrote, "finished_before_kill": finished_first,
            "server_ended_its_transaction": backend_gone, "profiles_present": present,
            "vectors_present": vectors, "all_or_none": present in (0, count) and vectors in (0, count)}


def wait_for_writes(engine, name: str, process: subprocess.Popen, timeout: float = 120) -> bool:
    """Whether the import's transaction got a transaction id, which PostgreSQL assigns at the
    first row written: from then on it is "halfway"."""
    deadline = time.monotonic() + timeout
    query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                 "AND backend_xid IS NOT NULL")
    while time.monotonic() < deadline and process.poll() is None:
        with engine.connect() as connection:
            if connection.scalar(query, {"name": name}):
                return True
        time.sleep(0.05)
    return False


def wait_until_backend_gone(engine, name: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if not connection.scalar(query, {"name": name}):
                return True
        time.sleep(0.1)
    return False


# --- findings -----------------------------------------------------------------------------------

def bucket(status: str) -> str:
    if status.startswith("2"):
        return "2xx"
    return status if status in ("503", "500", "no_response") else "other"


def counts(results: list[Result]) -> dict[str, int]:
    return dict(Counter(bucket(r.status) for r in results))


def restart_findings(drill: Drill, pids_before: list[int], pids_after: list[int]) -> dict:
    start, down, back, kill = (drill.marks[m] for m in ("restart_started", "postgres_down", "postgres_back", "kill"))
    phases = {"before": [r for r in drill.results if r.ended < start],
              "during": [r for r in drill.results if r.started < back and r.ended >= start],
              "after": [r for r in drill.results if back <= r.started and r.ended < kill]}
    # Up to the worker kill, whose cut-off requests are the next fault's.
    failures = [r for r in drill.results if not r.status.startswith("2") and start <= r.ended < kill]
    recovered_at = max((r.ended for r in failures), default=back)
    return {"requests": {phase: len(rs) for phase, rs in phases.items()},
            "status": {phase: counts(rs) for phase, rs in phases.items()},
            "postgres_unreachable_seconds": round(back - down, 2),
            "restart_command_to_back_seconds": round(back - start, 2),
            "seconds_to_recovery_after_postgres_back": round(max(0.0, recovered_at - back), 2),
            "http_500": sum(r.status == "500" for r in phases["during"] + phases["after"]),
            "same_worker_processes_before_and_after": pids_before == pids_after,
            "recovered_without_app_restart": pids_before == pids_after and counts(phases["after"]) == {
                "2xx": len(phases["after"])}}


def kill_findings(drill: Drill, killed: dict, pids_after_kill: list[int]) -> dict:
    kill = drill.marks["kill"]
    cut_off = [r for r in drill.results if r.started <= kill <= r.ended and r.status == "no_response"]
    later = [r for r in drill.results if r.started > kill + 0.5]
    created = {r.title: r.status for r in drill.results if r.kind == "create"}
    state = profile_state(drill.url, list(created))
    unanswered = [title for title, status in created.items() if status == "no_response"]
    return {**killed, "replacement_started": killed["killed_pid"] not in pids_after_kill and len(pids_after_kill) == 2,
            "requests_cut_off": len(cut_off), "cut_off_kinds": dict(Counter(r.kind for r in cut_off)),
            "status_after_kill": counts(later), "http_500": sum(r.status == "500" for r in later),
            "creations_cut_off": len(unanswered),
            "cut_off_creations_complete": sum(state.get(t) == "complete" for t in unanswered),
            "cut_off_creations_absent": sum(t not in state for t in unanswered),
            "answered_creations_complete": all(state.get(t) == "complete" for t, s in created.items() if s == "201"),
            "half_written_profiles": sum(v != "complete" for v in state.values())}


def profile_state(url: str, titles: list[str]) -> dict[str, str]:
    """Per stored title: "complete" when the profile has its vector and its index-log entry."""
    engine = create_engine(url)
    query = text("SELECT p.title, count(DISTINCT v.profile_id), count(DISTINCT c.id) FROM profiles p "
                 "LEFT JOIN profile_vectors v ON v.profile_id = p.id LEFT JOIN index_changes c ON c.profile_id = p.id "
                 "WHERE p.title = ANY(:titles) GROUP BY p.id, p.title")
    with engine.connect() as connection:
        rows = connection.execute(query, {"titles": titles}).all()
    engine.dispose()
    return {title: "complete" if has_vector and has_change else "partial" for title, has_vector, has_change in rows}


def snapshot_findings(drill: Drill) -> dict:
    log = (drill.workdir / "server.log").read_text(errors="replace")
    matches = [r for r in drill.results if r.kind == "match" and r.top_match is not None]
    return {"corrupt_snapshot_warnings": log.count("ignoring unreadable index snapshot"),
            "missing_snapshot_warnings": log.count("no index snapshot in"),
            "match_answers": len(matches), "matches_correct": sum(r.top_match == BEST_MATCH for r in matches),
            "unavailable_warnings_logged": log.count("database unavailable (first at"),
            "http_503_answered": sum(r.status == "503" for r in drill.results)}


# --- running and cleaning up ----------------------------------------------------------------------

def run(drill: Drill, base_url: str, restart: bool) -> dict:
    seed(drill)
    start_server(drill)
    sign_in(drill)
    clients = [threading.Thread(target=client_loop, args=(drill, n), daemon=True) for n in range(4)]
    for client in clients:
        client.start()
    time.sleep(6)
    pids_before = sorted(w.pid for w in workers(drill))
    if restart:
        restart_postgres(drill, base_url)
    else:
        drill.marks["restart_started"] = drill.marks["postgres_back"] = time.monotonic()
    time.sleep(8)
    pids_after = sorted(w.pid for w in workers(drill))
    shutil.rmtree(drill.snapshot_dir)  # the replacement worker finds no snapshot at all
    killed = kill_busy_worker(drill)
    time.sleep(12)
    drill.stop.set()
    for client in clients:
        client.join(timeout=90)
    pids_after_kill = sorted(w.pid for w in workers(drill))
    stop_server(drill)
    findings = {"postgres_restart": restart_findings(drill, pids_before, pids_after) if restart else "skipped",
                "worker_kill": kill_findings(drill, killed, pids_after_kill),
                "index_snapshot": snapshot_findings(drill),
                "import_kill": kill_import_halfway(drill)}
    findings["http_500_total"] = sum(r.status == "500" for r in drill.results)
    findings["requests_total"] = len(drill.results)
    findings["passed"] = passed(findings)
    return findings


def passed(findings: dict) -> bool:
    kill, snapshot, imported = findings["worker_kill"], findings["index_snapshot"], findings["import_kill"]
    restart = findings["postgres_restart"]
    return (findings["http_500_total"] == 0
            and (restart == "skipped" or restart["recovered_without_app_restart"])
            and kill["replacement_started"] and kill["half_written_profiles"] == 0
            and kill["answered_creations_complete"] and set(kill["status_after_kill"]) == {"2xx"}
            and snapshot["corrupt_snapshot_warnings"] >= 1 and snapshot["missing_snapshot_warnings"] >= 1
            and snapshot["matches_correct"] == snapshot["match_answers"] > 0
            and imported["all_or_none"])


def stop_server(drill: Drill) -> None:
    if drill.server is None or drill.server.poll() is not None:
        return
    drill.server.send_signal(signal.SIGTERM)
    try:
        drill.server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(drill.server.pid, signal.SIGKILL)
        drill.server.wait()


def clean_up(drill: Drill, base_url: str) -> None:
    drill.stop.set()
    stop_server(drill)
    if drill.importer is not None and drill.importer.poll() is None:
        drill.importer.kill()
        drill.importer.wait()
    if not postgres_answers(base_url):
        postgres(base_url, "start")
    if drill.schema:
        admin = create_engine(base_url)
        with admin.begin() as connection:
            connection.execute(text("SET lock_timeout = '30s'"))
            connection.execute(text(f"DROP SCHEMA IF EXISTS {drill.schema} CASCADE"))
        admin.dispose()
    shutil.rmtree(drill.workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL")
                        or "postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-restart", action="store_true",
                        help="leave PostgreSQL alone (for a server others are using right now)")
    args = parser.parse_args()
    base_url = normalise_database_url(args.database_url)
    drill = Drill(url="", workdir=Path(tempfile.mkdtemp(prefix="drill-faults-")))
    try:
        drill.schema, drill.url = create_schema(base_url)
        findings = run(drill, base_url, restart=not args.no_restart)
    finally:
        clean_up(drill, base_url)
    print(json.dumps(findings))
    return 0 if findings["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
