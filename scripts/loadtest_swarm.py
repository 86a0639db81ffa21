"""Simulated people for the load test, run headless with locust's runner API; reads the plan that
loadtest.py wrote and writes the figures back as JSON.

    python scripts/loadtest_swarm.py PLAN.json RESULT.json --host URL [--users 50] [--seconds 60]

Browsers look through needs and capabilities and open match pages; participants do the same and
also request meetings, answer the requests addressed to them and now and then call one off; one
organiser re-runs the arena scheduler. Every user signs in with an account of its own. The figures
cover the measured seconds that follow everyone signing in and a short warm-up (each web worker
loads its encoder and index on its first match); sign-in figures are kept apart. A 409 answer
counts as a clean conflict, not a failure.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

import gevent
from gevent.event import Event
from locust import HttpUser, between, task
from locust.env import Environment
from locust.exception import StopUser
from locust.stats import StatsEntry

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The server closed a kept-alive connection just as the client sent on it: no answer at all.
DROPPED = re.compile(r"Connection reset by peer|Remote end closed connection")
SEARCHES = (
    "remote monitoring of heart failure patients at home",
    "fallforebygging for eldre på sykehjem",
    "digitalt stöd för triage på akutmottagningen",
    "AI-støttet tolkning af røntgenbilleder",
    "sensor for early detection of sepsis in the emergency department",
    "app som hjälper patienter med KOL att ta sina läkemedel",
    "video consultations for psychiatric outpatients",
    "sårbehandling og digital oppfølging i hjemmesykepleien",
)
BROWSE_QUERIES = ("", "?page=2", "?q=sensor", "?q=pasient", "?country=SE", "?q=diabetes")
KINDS = {
    "GET /login": "sign in", "POST /login": "sign in",
    "GET /needs": "browse", "GET /capabilities": "browse",
    "GET /needs/[id]": "browse", "GET /capabilities/[id]": "browse",
    "GET /needs/[id]/matches": "match page", "GET /capabilities/[id]/matches": "match page",
    "GET /needs/[id]/similar": "match page", "GET /match?text": "match page",
    "GET /arenas/[id]": "arena page", "GET /arenas/[id]/people": "arena page",
    "GET /arenas/[id]/request/[id]": "arena page", "GET /arenas/[id]/requests": "arena page",
    "GET /arenas/[id]/agenda": "arena page",
    "POST /arenas/[id]/requests": "request meeting",
    "POST /arenas/[id]/meetings/[id]/respond accept": "accept",
    "POST /arenas/[id]/meetings/[id]/respond decline": "accept",
    "POST /arenas/[id]/meetings/[id]/cancel": "cancel",
    "GET /arenas/[id]/schedule": "organiser page", "GET /arenas/[id]/dashboard": "organiser page",
    "POST /arenas/[id]/schedule/run": "run scheduler",
}
KIND_ORDER = ("match page", "browse", "arena page", "request meeting", "accept", "cancel", "organiser page",
              "run scheduler", "sign in", "other")

WARM_UP_SECONDS = 10
PLAN: dict = {}
ACCOUNTS: list[dict] = []
RUN_SCHEDULER = "POST /arenas/[id]/schedule/run"
RECORD = {"accepted": [], "cancelled": [], "conflicts": Counter(), "signed_in": 0, "sign_in_failures": 0,
          "scheduler_in_flight": 0, "while_scheduler_ran": Counter()}
EVERYONE_IN = Event()


class SignedIn(HttpUser):
    """Someone signed in through the login form with an account of their own."""

    abstract = True
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.account = self.take_account()
        self.arena = PLAN["arena_id"]
        self.sign_in()

    def take_account(self) -> dict:
        return ACCOUNTS.pop()

    def sign_in(self) -> None:
        self.csrf = self.token(self.page("/login", "GET /login"))
        form = {"email": self.account["email"], "password": self.account["password"]}
        signed_in = self.post("/login", "POST /login", form, expect="/dashboard")
        RECORD["signed_in" if signed_in else "sign_in_failures"] += 1
        if RECORD["signed_in"] + RECORD["sign_in_failures"] == self.environment.runner.target_user_count:
            EVERYONE_IN.set()
        if not signed_in:
            raise StopUser()

    def page(self, path: str, name: str) -> str:
        return self.client.get(path, name=name).text

    def token(self, html: str) -> str:
        found = CSRF.search(html)
        return found.group(1) if found else getattr(self, "csrf", "")

    def post(self, path: str, name: str, form: dict, expect: str = "", timeout: float = 30) -> bool:
        """True when the app redirected to where success leads; a 409 is a clean conflict. Counts
        the successes that overlapped a scheduler run."""
        during_run = RECORD["scheduler_in_flight"] > 0
        with self.client.post(path, data=form | {"csrf_token": self.csrf}, name=name, allow_redirects=False,
                              catch_response=True, timeout=timeout) as response:
            done = judge(response, name, expect)
        if done and name != RUN_SCHEDULER and (during_run or RECORD["scheduler_in_flight"] > 0):
            RECORD["while_scheduler_ran"][name] += 1
        return done


def judge(response, name: str, expect: str) -> bool:
    if response.status_code == 302 and expect in response.headers.get("Location", ""):
        response.success()
        return True
    if response.status_code == 409:
        response.success()
        RECORD["conflicts"][name] += 1
        return False
    response.failure(f"HTTP {response.status_code} {response.headers.get('Location', '')}".strip())
    return False


class Browser(SignedIn):
    """Looks around needs, capabilities and their matches, and searches with free text."""

    weight = 2

    @task(3)
    def browse_list(self) -> None:
        section = random.choice(("needs", "capabilities"))
        self.page(f"/{section}{random.choice(BROWSE_QUERIES)}", f"GET /{section}")

    @task(3)
    def profile_page(self) -> None:
        section, profile = self.some_profile()
        self.page(f"/{section}/{profile}", f"GET /{section}/[id]")

    @task(3)
    def profile_matches(self) -> None:
        section, profile = self.some_profile()
        self.page(f"/{section}/{profile}/matches", f"GET /{section}/[id]/matches")

    @task(1)
    def similar_needs(self) -> None:
        self.page(f"/needs/{random.choice(PLAN['need_ids'])}/similar", "GET /needs/[id]/similar")

    @task(2)
    def free_text_search(self) -> None:
        kind = random.choice(("need", "capability"))
        self.client.get("/match", params={"text": random.choice(SEARCHES), "kind": kind}, name="GET /match?text")

    def some_profile(self) -> tuple[str, int]:
        if random.random() < 0.5:
            return "needs", random.choice(PLAN["need_ids"])
        return "capabilities", random.choice(PLAN["capability_ids"])


class Participant(Browser):
    """Takes part in the arena: asks others for meetings, answers requests, sometimes cancels."""

    weight = 3

    def on_start(self) -> None:
        super().on_start()
        me, pairs = self.account, PLAN["allowed_pairs"]
        self.partners = [p["id"] for p in PLAN["participants"] if p["organisation_id"] != me["organisation_id"]
                         and sorted((p["group"], me["group"])) in pairs]

    @task(1)
    def arena_page(self) -> None:
        self.page(f"/arenas/{self.arena}", "GET /arenas/[id]")

    @task(1)
    def people(self) -> None:
        self.page(f"/arenas/{self.arena}/people", "GET /arenas/[id]/people")

    @task(1)
    def agenda(self) -> None:
        self.page(f"/arenas/{self.arena}/agenda", "GET /arenas/[id]/agenda")

    @task(3)
    def request_meeting(self) -> None:
        other = random.choice(self.partners)
        self.csrf = self.token(self.page(f"/arenas/{self.arena}/request/{other}", "GET /arenas/[id]/request/[id]"))
        form = {"recipient_id": other, "note": "Could we meet at the arena?", "third_id": ""}
        self.post(f"/arenas/{self.arena}/requests", "POST /arenas/[id]/requests", form, expect="/requests")

    @task(4)
    def answer_request(self) -> None:
        html = self.page(f"/arenas/{self.arena}/requests", "GET /arenas/[id]/requests")
        waiting = re.findall(rf"/arenas/{self.arena}/meetings/(\d+)/respond", html)
        if not waiting:
            return
        meeting, accept = int(random.choice(waiting)), random.random() < 0.85
        action = "accept" if accept else "decline"
        path = f"/arenas/{self.arena}/meetings/{meeting}/respond"
        if self.post(path, f"POST /arenas/[id]/meetings/[id]/respond {action}", {"action": action, "note": ""},
                     expect="/requests") and accept:
            RECORD["accepted"].append(meeting)

    @task(1)
    def cancel_meeting(self) -> None:
        if random.random() < 0.5:  # calling a meeting off is rarer than looking at one's requests
            return
        html = self.page(f"/arenas/{self.arena}/requests", "GET /arenas/[id]/requests")
        mine = re.findall(rf"/arenas/{self.arena}/meetings/(\d+)/cancel", html)
        if mine:
            meeting = int(random.choice(mine))
            if self.post(f"/arenas/{self.arena}/meetings/{meeting}/cancel", "POST /arenas/[id]/meetings/[id]/cancel",
                         {}, expect="/requests"):
                RECORD["cancelled"].append(meeting)


class Organiser(SignedIn):
    """The one organiser: looks at the grid and the dashboard and re-runs the scheduler."""

    fixed_count = 1
    wait_time = between(4, 8)

    def take_account(self) -> dict:
        return PLAN["organiser"]

    @task(3)
    def run_scheduler(self) -> None:
        self.csrf = self.token(self.page(f"/arenas/{self.arena}/schedule", "GET /arenas/[id]/schedule"))
        RECORD["scheduler_in_flight"] += 1
        try:
            self.post(f"/arenas/{self.arena}/schedule/run", RUN_SCHEDULER, {}, expect="/schedule", timeout=120)
        finally:
            RECORD["scheduler_in_flight"] -= 1

    @task(1)
    def dashboard(self) -> None:
        self.page(f"/arenas/{self.arena}/dashboard", "GET /arenas/[id]/dashboard")


def swarm(host: str, users: int, seconds: float) -> dict:
    """Signs everyone in, warms up, then measures for the given seconds; returns the figures."""
    env = Environment(user_classes=[Browser, Participant, Organiser], host=host)
    runner = env.create_local_runner()
    began = time.monotonic()
    runner.start(users, spawn_rate=min(users, 5))
    EVERYONE_IN.wait(timeout=300)
    sign_in = [copy(entry) for entry in env.stats.entries.values() if kind_of(entry.name) == "sign in"]
    sign_in_seconds = time.monotonic() - began
    gevent.sleep(WARM_UP_SECONDS)  # every worker loads its encoder and index on its first match
    env.stats.reset_all()
    RECORD["conflicts"].clear()
    RECORD["while_scheduler_ran"].clear()
    began = time.monotonic()
    gevent.sleep(seconds)
    runner.quit()
    return figures(env, users, time.monotonic() - began) | {
        "sign_in": [row(entry, sign_in_seconds, "sign in", 0) for entry in sign_in]}


def copy(entry: StatsEntry) -> StatsEntry:
    kept = StatsEntry(entry.stats, entry.name, entry.method)
    kept.extend(entry)
    return kept


def figures(env: Environment, users: int, seconds: float) -> dict:
    entries = sorted((e for e in env.stats.entries.values() if e.num_requests),
                     key=lambda e: (KIND_ORDER.index(kind_of(e.name)), e.name))
    kinds: dict[str, StatsEntry] = {}
    for entry in entries:
        kinds.setdefault(kind_of(entry.name), StatsEntry(env.stats, kind_of(entry.name), "")).extend(entry)
    conflicts = RECORD["conflicts"]
    return {
        "users": users, "seconds": round(seconds, 1),
        "endpoints": [row(entry, seconds, kind_of(entry.name), conflicts[entry.name]) for entry in entries],
        "kinds": [row(entry, seconds, kind, sum(n for name, n in conflicts.items() if kind_of(name) == kind))
                  for kind, entry in kinds.items()],
        "total": row(env.stats.total, seconds, "all", sum(conflicts.values())),
        "errors": [{"name": e.name, "error": str(e.error), "count": e.occurrences} for e in env.stats.errors.values()],
        "connection_drops": sum(e.occurrences for e in env.stats.errors.values() if DROPPED.search(str(e.error))),
        "accepted": RECORD["accepted"], "cancelled": RECORD["cancelled"],
        "sign_in_failures": RECORD["sign_in_failures"],
        "while_scheduler_ran": dict(RECORD["while_scheduler_ran"]),
    }


def kind_of(name: str) -> str:
    return KINDS.get(name, "other")


def row(entry: StatsEntry, seconds: float, kind: str, conflicts: int) -> dict:
    return {"name": entry.name, "kind": kind, "count": entry.num_requests,
            "rps": round(entry.num_requests / seconds, 2) if seconds else 0.0,
            "p50": entry.get_response_time_percentile(0.5) or 0, "p99": entry.get_response_time_percentile(0.99) or 0,
            "failures": entry.num_failures, "conflicts": conflicts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    PLAN.update(json.loads(args.plan.read_text()))
    ACCOUNTS.extend(PLAN["accounts"])
    args.result.write_text(json.dumps(swarm(args.host, args.users, args.seconds)))


if __name__ == "__main__":
    main()
