"""Two app hosts on one PostgreSQL database serve the same data; prints one JSON line.

    python scripts/drill_multihost.py [--database-url URL] [--workers 2] [--threads 2]

Starts two gunicorn servers ("hosts" A and B) on different ports, both on a fresh schema of the
same PostgreSQL database, each with its own index snapshot directory and the same SECRET_KEY, as
behind a load balancer without sticky sessions. Checks, each on the very next requests, spread over
the workers of the other host:

- a capability created through A's API is among B's matches for a need;
- archived through B, it is gone from A's matches;
- a meeting request accepted in A's web pages shows as accepted in B's;
- a user signed in on A is signed in on B.

Uses the configured encoder (MATCHING_ENCODER, by default the real multilingual one) on a dozen
profiles. Stops both servers and drops the schema afterwards, also when a check fails.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from matchmaker import create_app  # noqa: E402
from matchmaker.config import normalise_database_url  # noqa: E402
from matchmaker.database import get_database  # noqa: E402
from matchmaker.migrate import upgrade  # noqa: E402
from matchmaker.models import ArenaParticipant  # noqa: E402
from matchmaker.services import accounts, organisations  # noqa: E402
from matchmaker.services import profiles as profile_service  # noqa: E402
from matchmaker.services.arenas.requests import request_meeting  # noqa: E402
from matchmaker.services.arenas.setup import create_arena  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

PASSWORD = "drill-password-1"
# Requests per check, sent at once so that both workers of a host answer some of them.
PARALLEL = 6
NEEDS = [
    "Patients wait too long for a CT scan after a suspected stroke; we need faster triage in the ambulance.",
    "Elderly patients fall at night in the ward and lie undiscovered for hours.",
    "Nurses spend an hour each shift chasing beds across wards by phone.",
    "Children with asthma come back to the emergency room because inhaler use at home is poor.",
    "Wound photos sent from home care are too blurry to judge healing.",
    "Sepsis is recognised late in patients on general wards at night.",
]
CAPABILITIES = [
    "A bed-side radar sensor that detects falls at night and alerts the nurse on duty.",
    "An app that coaches children with asthma to use the inhaler correctly, with reminders for parents.",
    "Real-time bed management software showing free beds across the hospital.",
    "A camera guide for home-care nurses that takes sharp, comparable wound photos.",
    "An early-warning score that flags sepsis from vital signs recorded on the ward.",
    "A prehospital stroke scale on a tablet that alerts the stroke team before arrival.",
]
NEW_CAPABILITY = ("Ambulance stroke triage: paramedics record a stroke scale and send it ahead, so the CT "
                  "scanner is ready when the patient arrives.")


@dataclass
class Seed:
    need_id: int
    founder_token: str
    clinician_token: str
    clinician_email: str
    founder_email: str
    arena_id: int
    meeting_id: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL")
                        or "postgresql://postgres@127.0.0.1:5432/test",
                        help="a PostgreSQL database; the drill works in a new schema and drops it")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    args = parser.parse_args()
    with fresh_schema(args.database_url) as url, tempfile.TemporaryDirectory(prefix="drill-") as tmp:
        print(json.dumps(drill(url, Path(tmp), args.workers, args.threads)))


@contextmanager
def fresh_schema(database_url: str):
    base = normalise_database_url(database_url)
    schema = f"mm_multihost_{secrets.token_hex(5)}"
    admin = create_engine(base, pool_pre_ping=True)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        _drop_schema(admin, schema)
        admin.dispose()


def _drop_schema(admin, schema: str, attempts: int = 10) -> None:
    # A database restart (another drill, a failover) must not leave the schema behind.
    for attempt in range(attempts):
        try:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(3)


def drill(url: str, tmp: Path, workers: int, threads: int) -> dict:
    secret = secrets.token_hex(32)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    upgrade("head", url)
    seed = build(url, secret)
    timings["seed_s"] = _since(started)
    started = time.perf_counter()
    encoder = write_snapshots(url, secret, [tmp / "snapshots-a", tmp / "snapshots-b"])
    timings["snapshots_s"] = _since(started)
    hosts = {}
    try:
        for name in ("a", "b"):
            hosts[name] = Host(name, url, secret, tmp, workers, threads)
        started = time.perf_counter()
        for host in hosts.values():
            host.wait_ready()
        timings["start_s"] = _since(started)
        started = time.perf_counter()
        for host in hosts.values():
            match_ids(host, seed)  # every worker loads the encoder and the index from its snapshot
        timings["warm_up_s"] = _since(started)
        checks = run_checks(hosts["a"], hosts["b"], seed)
        answering = {name: host.workers_matching() for name, host in hosts.items()}
    except Exception:
        for host in hosts.values():
            host.show_log()
        raise
    finally:
        for host in hosts.values():
            host.stop()
    return {"hosts": 2, "workers_per_host": workers, "threads": threads, "encoder": encoder,
            "profiles": len(NEEDS) + len(CAPABILITIES), "requests_per_check": PARALLEL,
            "workers_answering_matches": answering,
            "ok": all(check["ok"] for check in checks.values()), "checks": checks, "timings": timings}


def run_checks(a: Host, b: Host, seed: Seed) -> dict:
    checks = {}
    capability_id, checks["created_on_a_matched_on_b"] = created_on_a_matched_on_b(a, b, seed)
    checks["archived_on_b_gone_on_a"] = archived_on_b_gone_on_a(a, b, seed, capability_id)
    checks["meeting_accepted_on_a_shown_on_b"] = meeting_accepted_on_a_shown_on_b(a, b, seed)
    checks["signed_in_on_a_signed_in_on_b"] = signed_in_on_a_signed_in_on_b(a, b, seed)
    return checks


# Seeding, in this process, through the services the web app uses


def build(url: str, secret: str) -> Seed:
    app = create_app({"SECRET_KEY": secret, "DATABASE_URL": url, "MATCHING_SNAPSHOT_DIR": None})
    with app.app_context(), get_database(app).session_scope() as db:
        department = organisations.create_organisation(
            db, {"name": "Drill department", "kind": "clinical_department", "country": "NO"}, approved=True)
        supplier = organisations.create_organisation(
            db, {"name": "Drill supplier", "kind": "supplier", "country": "NO"}, approved=True)
        organiser_org = organisations.create_organisation(
            db, {"name": "Drill organiser", "kind": "arena_organiser", "country": "NO"}, approved=True)
        clinician = accounts.create_user(db, "clinician@drill.example.org", "Drill Clinician", PASSWORD, department)
        founder = accounts.create_user(db, "founder@drill.example.org", "Drill Founder", PASSWORD, supplier)
        organiser = accounts.create_user(db, "organiser@drill.example.org", "Drill Organiser", PASSWORD,
                                         organiser_org)
        needs = [_profile(db, clinician, "need", n, body) for n, body in enumerate(NEEDS)]
        for n, body in enumerate(CAPABILITIES):
            _profile(db, founder, "capability", n, body)
        arena_id, meeting_id = _arena_with_request(db, organiser, founder, clinician)
        return Seed(need_id=needs[0].id, founder_token=accounts.create_api_token(db, founder, "drill")[1],
                    clinician_token=accounts.create_api_token(db, clinician, "drill")[1],
                    clinician_email=clinician.email, founder_email=founder.email,
                    arena_id=arena_id, meeting_id=meeting_id)


def _profile(db, user, kind: str, n: int, description: str):
    return profile_service.create_profile(db, user, kind, {
        "title": f"Drill {kind} {n + 1}", "description": description, "language": "en", "status": "published"})


def _arena_with_request(db, organiser, founder, clinician) -> tuple[int, int]:
    arena = create_arena(db, organiser, {
        "title": "Drill arena", "timezone": "Europe/Oslo", "meeting_minutes": "20", "status": "open",
        "sessions": "2030-03-12 09:00-10:00", "tables": "2", "allowed_pairs": ["health-supplier"]})
    people = {user.id: ArenaParticipant(arena=arena, user=user, organisation=user.organisation, participant_group=group,
                                        status="approved", unavailable_slot_ids=[])
              for user, group in ((founder, "supplier"), (clinician, "health"))}
    db.add_all(people.values())
    db.flush()
    meeting = request_meeting(db, None, founder, arena, people[clinician.id].id, "Shall we meet?")
    return arena.id, meeting.id


def write_snapshots(url: str, secret: str, directories: list[Path]) -> str:
    """`index rebuild` once per host, each into its own directory, as a deploy runs it."""
    for directory in directories:
        app = create_app({"SECRET_KEY": secret, "DATABASE_URL": url, "MATCHING_SNAPSHOT_DIR": str(directory)})
        result = app.test_cli_runner().invoke(args=["index", "rebuild"])
        if result.exit_code != 0:
            raise RuntimeError(f"index rebuild failed: {result.output}")
    return app.config["MATCHING_ENCODER"]


# The app hosts


class Host:
    def __init__(self, name: str, url: str, secret: str, tmp: Path, workers: int, threads: int):
        self.name = name
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"host-{name}.log"
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=secret, WEB_CONCURRENCY=str(workers),
                   GUNICORN_THREADS=str(threads), MATCHING_SNAPSHOT_DIR=str(tmp / f"snapshots-{name}"))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind",
                 f"127.0.0.1:{self.port}", "--access-logfile", "-", "--access-logformat", "worker=%(p)s %(r)s %(s)s",
                 "wsgi:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"host {self.name} exited with {self.process.returncode}")
            try:
                if Client(self).get("/login")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"host {self.name} did not answer within {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn's master stops its workers on SIGTERM
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def workers_matching(self) -> int:
        """How many workers answered match requests, from the access log: the checks mean most
        when every worker of the host took part."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return len({line.split()[0] for line in lines if line.startswith("worker=") and "/matches" in line})

    def show_log(self) -> None:
        tail = self.log_path.read_text(errors="replace").splitlines()[-40:]
        print(f"--- host {self.name} log ---", *tail, sep="\n", file=sys.stderr)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Client:
    """One browser or API caller: its own cookies, following redirects."""

    def __init__(self, host: Host, token: str | None = None):
        self.host = host
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def on(self, host: Host) -> Client:
        """The same cookies sent to another host, as a load balancer would."""
        other = Client(host)
        other.headers, other.cookies = self.headers, self.cookies
        other.opener = self.opener
        return other

    def get(self, path: str) -> tuple[int, str, str]:
        return self._send(urllib.request.Request(self.host.base + path, headers=self.headers))

    def post_form(self, path: str, fields: dict) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(fields).encode()
        return self._send(urllib.request.Request(self.host.base + path, data=body, headers=self.headers))

    def post_json(self, path: str, payload: dict | None = None) -> tuple[int, str, str]:
        headers = dict(self.headers, **{"Content-Type": "application/json"})
        return self._send(urllib.request.Request(self.host.base + path, data=json.dumps(payload or {}).encode(),
                                                 headers=headers, method="POST"))

    def _send(self, request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), error.url

    def sign_in(self, email: str) -> bool:
        status, _body, where = self.post_form("/login", {"email": email, "password": PASSWORD,
                                                         "csrf_token": self.csrf_token("/login")})
        return status == 200 and not urllib.parse.urlsplit(where).path.startswith("/login")

    def csrf_token(self, path: str) -> str:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path)[1])
        if not found:
            raise RuntimeError(f"no CSRF token on {path}")
        return found.group(1)


# The checks


def match_ids(host: Host, seed: Seed) -> list[set[int]]:
    """The capability ids in the need's matches, from several requests at once."""
    def one(_n: int) -> set[int]:
        status, body, _where = Client(host, seed.clinician_token).get(f"/api/v1/needs/{seed.need_id}/matches?limit=50")
        if status != 200:
            raise RuntimeError(f"matches on host {host.name}: {status} {body[:200]}")
        return {item["profile"]["id"] for item in json.loads(body)["items"]}

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(one, range(PARALLEL)))


def created_on_a_matched_on_b(a: Host, b: Host, seed: Seed) -> tuple[int, dict]:
    status, body, _where = Client(a, seed.founder_token).post_json("/api/v1/capabilities", {
        "title": "Drill ambulance triage", "description": NEW_CAPABILITY, "language": "en", "status": "published"})
    if status != 201:
        raise RuntimeError(f"creating a capability on host a: {status} {body[:200]}")
    capability_id = json.loads(body)["id"]
    started = time.perf_counter()
    answers = match_ids(b, seed)
    seen = sum(capability_id in ids for ids in answers)
    return capability_id, {"ok": seen == len(answers), "seen_in": f"{seen}/{len(answers)}", "s": _since(started)}


def archived_on_b_gone_on_a(a: Host, b: Host, seed: Seed, capability_id: int) -> dict:
    status, body, _where = Client(b, seed.founder_token).post_json(f"/api/v1/capabilities/{capability_id}/archive")
    if status != 200:
        raise RuntimeError(f"archiving on host b: {status} {body[:200]}")
    started = time.perf_counter()
    answers = match_ids(a, seed)
    seen = sum(capability_id in ids for ids in answers)
    return {"ok": seen == 0, "seen_in": f"{seen}/{len(answers)}", "s": _since(started)}


def meeting_accepted_on_a_shown_on_b(a: Host, b: Host, seed: Seed) -> dict:
    clinician = Client(a)
    if not clinician.sign_in(seed.clinician_email):
        return {"ok": False, "error": "could not sign in on host a"}
    requests_page = f"/arenas/{seed.arena_id}/requests"
    status, _body, _where = clinician.post_form(
        f"/arenas/{seed.arena_id}/meetings/{seed.meeting_id}/respond",
        {"action": "accept", "csrf_token": clinician.csrf_token(requests_page)})
    started = time.perf_counter()
    founder = Client(b)
    founder.sign_in(seed.founder_email)
    _status, page, _where = founder.get(requests_page)
    shown = "<td>accepted" in page and "waiting for an answer" not in page
    return {"ok": status == 200 and shown, "s": _since(started)}


def signed_in_on_a_signed_in_on_b(a: Host, b: Host, seed: Seed) -> dict:
    browser = Client(a)
    if not browser.sign_in(seed.founder_email):
        return {"ok": False, "error": "could not sign in on host a"}
    started = time.perf_counter()
    status, page, where = browser.on(b).get("/account")
    signed_in = status == 200 and urllib.parse.urlsplit(where).path == "/account" and "Drill Founder" in page
    return {"ok": signed_in, "s": _since(started)}


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)


if __name__ == "__main__":
    main()
