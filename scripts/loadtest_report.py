"""The load test's printout: a table by kind of endpoint, the consistency findings, one JSON line."""

from __future__ import annotations

import re
from collections import Counter

MATCH_PAGE_P99_MS = 300
HEADER = f"{'kind / endpoint':<52}{'count':>7}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'fail':>6}{'409':>6}"


def table(result: dict) -> str:
    lines = [f"{result['users']} users for {result['seconds']} s", HEADER, "-" * len(HEADER)]
    for kind in result["kinds"]:
        lines.append(_line(kind["kind"], kind))
        lines += [_line("  " + e["name"], e) for e in result["endpoints"] if e["kind"] == kind["kind"]]
    lines += ["-" * len(HEADER), _line("all", result["total"]), "", "while the users signed in:"]
    lines += [_line("  " + e["name"], e) for e in result["sign_in"]]
    overlapping = ", ".join(f"{name} x{n}" for name, n in sorted(result["while_scheduler_ran"].items()))
    lines += ["", f"done while the organiser's scheduler run was in flight: {overlapping or 'nothing'}"]
    lines += [f"failure: {e['name']}: {e['error']} (x{e['count']})" for e in result["errors"]]
    if result["connection_drops"]:
        lines.append(f"of these, {result['connection_drops']} got no answer at all: the server closed a kept-alive "
                     "connection as the request went out")
    return "\n".join(lines)


def _line(label: str, row: dict) -> str:
    return (f"{label[:52]:<52}{row['count']:>7}{row['rps']:>8.2f}{row['p50']:>8.0f}{row['p99']:>8.0f}"
            f"{row['failures']:>6}{row['conflicts']:>6}")


def consistency_text(found: dict) -> str:
    verdict = "consistent" if found["consistent"] else "NOT CONSISTENT"
    return "\n".join([
        f"database after the run: {verdict}",
        f"  participants in two meetings in one slot: {found['double_booked_people']}",
        f"  tables booked twice in one slot: {found['double_booked_tables']}",
        f"  seats whose slot differs from their meeting's: {found['seats_out_of_step']}",
        f"  rules the scheduler's own validator finds broken: {len(found['schedule_problems'])}",
        *(f"    {problem}" for problem in found["schedule_problems"][:10]),
        f"  acceptances confirmed to the load test: {found['acceptances_confirmed']}, "
        f"not stored as accepted: {found['acceptances_lost']}",
        f"  (races) pairs with two open requests: {found['pairs_open_twice']}, "
        f"participants above their meeting cap: {found['above_meeting_cap']}",
    ])


def server_errors(log: str) -> Counter:
    """The exception lines that end the tracebacks in the server's log, counted."""
    found: Counter = Counter()
    for block in log.split("Traceback (most recent call last):")[1:]:
        exception = next((line for line in block.splitlines() if re.match(r"[A-Za-z_][\w.]*: ", line)),
                    "unknown error")
        found[exception[:200]] += 1
    return found


def summary(result: dict, consistency: dict, errors: Counter) -> dict:
    """The figures as one JSON-ready object."""
    match_pages = next((k for k in result["kinds"] if k["kind"] == "match page"), None)
    return {
        "users": result["users"], "seconds": result["seconds"],
        "endpoints": {e["name"]: _figures(e) | {"kind": e["kind"]} for e in result["endpoints"]},
        "kinds": {k["kind"]: _figures(k) for k in result["kinds"]},
        "total": _figures(result["total"]),
        "match_pages_p99_ms": match_pages["p99"] if match_pages else None,
        "match_pages_p99_under_300ms": bool(match_pages) and match_pages["p99"] < MATCH_PAGE_P99_MS,
        "sign_in": {e["name"]: _figures(e) for e in result["sign_in"]},
        "sign_in_failures": result["sign_in_failures"],
        "connection_drops": result["connection_drops"],
        "while_scheduler_ran": result["while_scheduler_ran"],
        "server_errors": sum(errors.values()),
        "consistency": {k: v for k, v in consistency.items() if k not in ("lost_meeting_ids", "schedule_problems")}
        | {"schedule_problems": len(consistency["schedule_problems"])},
    }


def _figures(row: dict) -> dict:
    return {key: row[key] for key in ("count", "rps", "p50", "p99", "failures", "conflicts")}
