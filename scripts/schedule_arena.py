"""Schedules the meetings of one arena with the production scheduler.

    python scripts/schedule_arena.py INSTANCE.json --out SCHEDULE.json [--time-limit SECONDS] [--seed N]

INSTANCE.json: {"slots": [{"id", "start", "end"}], "tables": [{"id", "capacity"?}],
"participants": [{"id", "role", "available"?: [slot ids]}], "meetings": [{"id", "participants": [ids],
"priority"}], "locked"?: [{"meeting", "slot", "table"}]}. A participant without "available" is there
all day; a table without "capacity" seats 2; a meeting without "priority" has priority 1.

SCHEDULE.json: {"assignments": [{"meeting", "slot", "table"}], "unscheduled": [{"meeting", "reason"}],
"objective": total priority placed, "bound": LP upper bound on it}. Ids are written as given.

Input that cannot be scheduled (unknown ids, clashing locked meetings, ...) is reported in one
line on stderr with exit status 2; a one-line summary goes to stdout on success.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from matchmaker.scheduling import DEFAULT_TIME_LIMIT, ArenaError, load_arena, schedule

BAD_INPUT = 2


class InputProblem(Exception):
    """Anything wrong with the files given on the command line."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        data = _read_json(args.instance)
        arena = load_arena(data)
    except (InputProblem, ArenaError) as problem:
        print(f"schedule_arena: {args.instance}: {problem}", file=sys.stderr)
        return BAD_INPUT
    result = schedule(arena, time_limit=args.time_limit, seed=args.seed)
    try:
        _write_json(args.out, result.to_json(arena))
    except InputProblem as problem:
        print(f"schedule_arena: {args.out}: {problem}", file=sys.stderr)
        return BAD_INPUT
    print(f"placed {len(result.assignments)} of {len(arena.meeting_ids)} meetings, "
          f"priority {result.objective} (bound {result.bound}), {result.stats.get('seconds')} s")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="schedule_arena", description=__doc__.splitlines()[0])
    parser.add_argument("instance", type=Path, help="the arena as JSON")
    parser.add_argument("--out", type=Path, required=True, help="where to write the schedule as JSON")
    parser.add_argument("--time-limit", type=_positive_seconds, default=DEFAULT_TIME_LIMIT,
                        help=f"seconds the optimiser may use (default {DEFAULT_TIME_LIMIT:g})")
    parser.add_argument("--seed", type=int, default=0, help="CP-SAT random seed (default 0)")
    return parser


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError("the time limit must be a positive number of seconds")
    return seconds


def _read_json(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputProblem(f"cannot read the file ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise InputProblem("the file is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputProblem(f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except RecursionError:
        raise InputProblem("not valid JSON: nested too deeply") from None


def _write_json(path: Path, document: dict) -> None:
    try:
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    except OSError as error:
        raise InputProblem(f"cannot write the schedule ({error.strerror or error})") from None


if __name__ == "__main__":
    sys.exit(main())
