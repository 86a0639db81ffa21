"""The meeting scheduler (matchmaker.scheduling) and scripts/schedule_arena.py: valid schedules on
random arenas, locked meetings that never move, the optimum on arenas small enough to enumerate,
reasons for what is left out, the JSON contract and clear errors. No database, no Flask."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaker.scheduling import (
    ArenaError,
    finishing_slots,
    first_fit,
    idle_gaps,
    load_arena,
    schedule,
    unmet_participants,
    validate_schedule,
)
from matchmaker.scheduling.cpsat import maximise_priority, retime
from matchmaker.scheduling.problem import Placement, build_problem
from matchmaker.scheduling.result import NO_COMMON_SLOT, NO_TABLE, PARTICIPANT_FULL, TOO_LARGE
from matchmaker.scheduling.weights import integer_weights

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "schedule_arena.py"
sys.path.insert(0, str(SCRIPT.parent))
import schedule_arena  # noqa: E402

TIME_LIMIT = 2.0  # tiny arenas are solved to optimality long before this
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- random arenas ---------------------------------------------------------------------------

@st.composite
def arenas(draw, max_slots=4, max_tables=3, max_people=6, max_meetings=8, locked=True):
    """A small arena as JSON data; ids are a mix of numbers and strings, and a few meetings are
    locked at random places that are free and fit (so the locks are consistent)."""
    numeric = draw(st.booleans())
    slot_ids = [i * 10 if numeric else f"s{i}" for i in range(draw(st.integers(1, max_slots)))]
    slots = [{"id": sid, "start": 30 * i, "end": 30 * i + 20} for i, sid in enumerate(slot_ids)]
    tables = [{"id": f"t{i}", "capacity": draw(st.sampled_from([2, 2, 3]))}
              for i in range(draw(st.integers(0, max_tables)))]
    people = [{"id": i, "role": "supplier"} for i in range(draw(st.integers(2, max_people)))]
    for person in people:
        if draw(st.booleans()):
            person["available"] = draw(st.lists(st.sampled_from(slot_ids), unique=True))
    meetings = []
    for j in range(draw(st.integers(0, max_meetings))):
        size = min(len(people), draw(st.sampled_from([2, 2, 2, 3])))
        members = draw(st.lists(st.integers(0, len(people) - 1), min_size=size, max_size=size, unique=True))
        priority = draw(st.integers(0, 5) | st.sampled_from([0.5, 1.25, 2.1]))
        meetings.append({"id": f"m{j}", "participants": members, "priority": priority})
    data = {"slots": slots, "tables": tables, "participants": people, "meetings": meetings, "locked": []}
    if locked and meetings:
        chosen = draw(st.lists(st.sampled_from(meetings), unique_by=lambda m: m["id"], max_size=3))
        data["locked"] = _random_locks(draw, data, chosen)
    return data


def _random_locks(draw, data: dict, chosen: list[dict]) -> list[dict]:
    """Locks the chosen meetings at random free places where they fit, skipping any that fit nowhere."""
    slots = [s["id"] for s in data["slots"]]
    available = {p["id"]: set(p.get("available", slots)) for p in data["participants"]}
    busy, taken, locks = set(), set(), []
    for meeting in chosen:
        people = meeting["participants"]
        places = [(s, t["id"]) for s in slots for t in data["tables"]
                  if t["capacity"] >= len(people) and (s, t["id"]) not in taken
                  and all(s in available[p] and (p, s) not in busy for p in people)]
        if places:
            slot, table = draw(st.sampled_from(places))
            busy.update((p, slot) for p in people)
            taken.add((slot, table))
            locks.append({"meeting": meeting["id"], "slot": slot, "table": table})
    return locks


def _run(data: dict, time_limit: float = TIME_LIMIT) -> dict:
    arena = load_arena(data)
    return schedule(arena, time_limit=time_limit).to_json(arena)


def _where(result: dict) -> dict:
    return {a["meeting"]: (a["slot"], a["table"]) for a in result["assignments"]}


# --- validity, locks, bound ------------------------------------------------------------------

@PROPERTY
@given(arenas() | arenas(max_slots=6, max_tables=4, max_people=10, max_meetings=20))
def test_every_schedule_is_valid_and_locked_meetings_stay(data):
    result = _run(data)
    assert validate_schedule(data, result) == []
    where = _where(result)
    for lock in data["locked"]:
        assert where[lock["meeting"]] == (lock["slot"], lock["table"])
    assert result["objective"] <= result["bound"]


@PROPERTY
@given(arenas())
def test_first_fit_is_valid(data):
    arena = load_arena(data)
    assert validate_schedule(data, first_fit(arena).to_json(arena)) == []


@PROPERTY
@given(arenas())
def test_reasons_are_true(data):
    """Each reason holds in the finished schedule, checked from the JSON alone."""
    result = _run(data)
    slots = [s["id"] for s in data["slots"]]
    available = {p["id"]: set(p.get("available", slots)) for p in data["participants"]}
    busy = {(person, a["slot"]) for a in result["assignments"] for person in _members(data, a["meeting"])}
    taken = {(a["slot"], a["table"]) for a in result["assignments"]}
    for item in result["unscheduled"]:
        people = _members(data, item["meeting"])
        common = [s for s in slots if all(s in available[p] for p in people)]
        open_slots = [s for s in common if not any((p, s) in busy for p in people)]
        seats = [t["id"] for t in data["tables"] if t["capacity"] >= len(people)]
        expected = (TOO_LARGE if not seats else NO_COMMON_SLOT if not common
                    else PARTICIPANT_FULL if not open_slots else NO_TABLE)
        assert item["reason"] == expected
        if expected == NO_TABLE:
            assert all((s, t) in taken for s in open_slots for t in seats)


def _members(data: dict, meeting_id) -> list:
    return next(m["participants"] for m in data["meetings"] if m["id"] == meeting_id)


def test_a_locked_meeting_stays_even_where_a_better_one_could_go():
    data = _arena(slots=1, tables=1, people=3, meetings=[("low", [0, 1], 1), ("high", [0, 2], 5)])
    data["locked"] = [{"meeting": "low", "slot": "s0", "table": "t0"}]
    result = _run(data)
    assert _where(result) == {"low": ("s0", "t0")}
    assert result["objective"] == 1
    assert result["unscheduled"] == [{"meeting": "high", "reason": PARTICIPANT_FULL}]


# --- optimality --------------------------------------------------------------------------------

def brute_force_best(data: dict) -> float:
    """The highest total priority over every placement of every meeting at (slot, table), by
    plain enumeration (pruned only by the priority still to come): independent of the scheduler."""
    slots = [s["id"] for s in data["slots"]]
    available = {p["id"]: set(p.get("available", slots)) for p in data["participants"]}
    locked = {lock["meeting"] for lock in data["locked"]}
    busy = {(p, lock["slot"]) for lock in data["locked"] for p in _members(data, lock["meeting"])}
    taken = {(lock["slot"], lock["table"]) for lock in data["locked"]}
    meetings = [m for m in data["meetings"] if m["id"] not in locked]
    best = [sum(m["priority"] for m in data["meetings"] if m["id"] in locked)]

    def place(index: int, total: float) -> None:
        best[0] = max(best[0], total)
        if index == len(meetings) or total + sum(m["priority"] for m in meetings[index:]) <= best[0]:
            return
        meeting, people = meetings[index], meetings[index]["participants"]
        for slot in slots:
            if all(slot in available[p] and (p, slot) not in busy for p in people):
                for table in data["tables"]:
                    if table["capacity"] >= len(people) and (slot, table["id"]) not in taken:
                        busy.update((p, slot) for p in people)
                        taken.add((slot, table["id"]))
                        place(index + 1, total + meeting["priority"])
                        busy.difference_update((p, slot) for p in people)
                        taken.discard((slot, table["id"]))
        place(index + 1, total)

    place(0, best[0])
    return best[0]


@PROPERTY
@given(arenas(max_slots=3, max_tables=2, max_people=5, max_meetings=6))
def test_placed_priority_is_the_optimum_on_tiny_arenas(data):
    assert _run(data)["objective"] == pytest.approx(brute_force_best(data))


@PROPERTY
@given(arenas(max_slots=3, max_tables=2, max_people=5, max_meetings=6))
def test_cp_sat_model_alone_finds_the_optimum(data):
    """Phase 1 from an empty start, so that a good greedy cannot hide a wrong model."""
    arena = load_arena(data)
    problem = build_problem(arena)
    weights = integer_weights(arena.priority).weights
    found = maximise_priority(problem, weights, Placement(problem), seconds=TIME_LIMIT, seed=0, target=None)
    locked = sum(arena.priority[m] for m in arena.locked)
    assert locked + sum(arena.priority[m] for m in found.slot_of) == pytest.approx(brute_force_best(data))


def test_bound_is_the_lp_relaxation_rounded_down():
    """Three people who all want to meet each other in one slot: the LP places half of each
    meeting (1.5); whole priorities allow rounding down to 1, which one meeting reaches."""
    data = _arena(slots=1, tables=3, people=3, meetings=[("ab", [0, 1], 1), ("bc", [1, 2], 1), ("ca", [2, 0], 1)])
    result = _run(data)
    assert (result["objective"], result["bound"]) == (1, 1)


def test_fractional_priorities_are_summed_as_given():
    data = _arena(slots=2, tables=1, people=3, meetings=[("a", [0, 1], 2.5), ("b", [0, 2], 0.25)])
    assert _run(data)["objective"] == 2.75


# --- the secondary goals -------------------------------------------------------------------

def test_among_equal_priority_schedules_more_participants_get_a_meeting():
    """Two meetings fit; {ab, bc} and {ab, de} place the same priority, but the second one gives
    four participants a meeting instead of three."""
    meetings = [("ab", [0, 1], 1), ("bc", [1, 2], 1), ("ca", [2, 0], 1), ("de", [3, 4], 1)]
    result = _run(_arena(slots=2, tables=1, people=5, meetings=meetings))
    assert result["objective"] == 2
    assert "de" in _where(result)


def test_meetings_are_packed_without_idle_gaps():
    """Person 0 has two meetings and three slots: they should be back to back."""
    data = _arena(slots=3, tables=2, people=3, meetings=[("a", [0, 1], 1), ("b", [0, 2], 1)])
    arena = load_arena(data)
    result = schedule(arena, time_limit=TIME_LIMIT)
    assert len(result.assignments) == 2
    assert idle_gaps(arena, result) == 0


def test_a_day_ends_as_early_as_it_can():
    """Both meetings of person 0 fit back to back anywhere in five slots: in the first two, so
    that everyone can leave early; never at the cost of a gap."""
    data = _arena(slots=5, tables=2, people=3, meetings=[("a", [0, 1], 1), ("b", [0, 2], 1)])
    arena = load_arena(data)
    result = schedule(arena, time_limit=TIME_LIMIT)
    assert idle_gaps(arena, result) == 0
    assert sorted(slot for _, slot, _ in result.assignments) == [0, 1]
    assert sorted(finishing_slots(arena, result)) == [1, 2, 2]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=arenas(max_slots=5, max_people=6, max_meetings=8))
def test_the_day_goals_never_cost_priority_and_never_make_a_day_worse(data):
    """Against the same scheduler stopped after priority (what the benchmark compares): the same
    priority, no fewer participants with a meeting, and no more idle gaps among them."""
    arena = load_arena(data)
    good, plain = schedule(arena, time_limit=TIME_LIMIT), schedule(arena, time_limit=TIME_LIMIT, day_goals=False)
    assert good.objective == plain.objective
    assert len(unmet_participants(arena, good)) <= len(unmet_participants(arena, plain))
    if len(unmet_participants(arena, good)) == len(unmet_participants(arena, plain)):
        assert idle_gaps(arena, good) <= idle_gaps(arena, plain)


def _runs(arena, placement: Placement) -> int:
    """Runs of meetings over each participant's available slots, counted slot by slot."""
    runs = 0
    for person, available in enumerate(arena.available):
        before = False
        for slot in range(arena.n_slots):
            if available >> slot & 1:
                now = bool(placement.busy[person] >> slot & 1)
                runs += now and not before
                before = now
    return runs


def _finishes(placement: Placement) -> int:
    """Each participant's last busy slot, counted from 1, summed (0 for no meeting)."""
    return sum(busy.bit_length() for busy in placement.busy)


def _best_day(problem, meetings: list[int], placement: Placement) -> tuple[int, int]:
    """The fewest runs, then the earliest finishes, over every way to give these meetings slots."""
    if not meetings:
        return _runs(problem.arena, placement), _finishes(placement)
    best = None
    for slot in problem.candidates[meetings[0]]:
        if placement.fits(meetings[0], slot):
            placement.place(meetings[0], slot)
            found = _best_day(problem, meetings[1:], placement)
            best = found if best is None else min(best, found)
            placement.remove(meetings[0])
    return best if best is not None else (10**9, 10**9)


@PROPERTY
@given(arenas(max_slots=4, max_tables=2, max_people=5, max_meetings=6), st.randoms(use_true_random=False))
def test_retiming_finds_the_fewest_runs_for_the_same_meetings(data, random):
    """Phase 2 from a random placement keeps the same meetings and, on arenas this small, reaches
    the fewest runs of meetings there are and, among those, the earliest finishes; its model
    counts runs exactly, locked meetings included."""
    arena = load_arena(data)
    problem = build_problem(arena)
    placement = Placement(problem)
    for meeting in random.sample(problem.free_meetings, len(problem.free_meetings)):
        open_slots = [s for s in problem.candidates[meeting] if placement.fits(meeting, s)]
        if open_slots:
            placement.place(meeting, random.choice(open_slots))
    retimed, counted = retime(problem, placement.copy(), seconds=TIME_LIMIT, seed=0, stall=TIME_LIMIT)
    assert set(retimed.slot_of) == set(placement.slot_of)
    best_runs, best_finishes = _best_day(problem, sorted(placement.slot_of), Placement(problem))
    assert _runs(arena, retimed) == counted == best_runs
    assert _finishes(retimed) == best_finishes
    # With every meeting pinned to its slot the model has one solution left: the random
    # placement, however poor. Its count must still be exact.
    pinned = replace(problem, candidates={m: [s] for m, s in placement.slot_of.items()},
                     candidate_mask={m: 1 << s for m, s in placement.slot_of.items()})
    _, counted = retime(pinned, placement, seconds=TIME_LIMIT, seed=0, stall=TIME_LIMIT)
    assert counted == _runs(arena, placement)


def test_the_same_input_gives_the_same_schedule():
    data = _arena(slots=4, tables=2, people=6, meetings=[(f"m{i}", [i % 6, (i + 1) % 6], i % 3) for i in range(12)])
    assert _run(data) == _run(data)


# --- reasons ---------------------------------------------------------------------------------

def _arena(slots: int, tables: int, people: int, meetings: list[tuple], capacity: int = 2) -> dict:
    return {
        "slots": [{"id": f"s{i}", "start": f"2025-05-20T{9 + i:02d}:00", "end": f"2025-05-20T{9 + i:02d}:30"}
                  for i in range(slots)],
        "tables": [{"id": f"t{i}", "capacity": capacity} for i in range(tables)],
        "participants": [{"id": i, "role": "supplier"} for i in range(people)],
        "meetings": [{"id": mid, "participants": members, "priority": priority} for mid, members, priority in meetings],
        "locked": [],
    }


def _reasons(data: dict) -> dict:
    return {item["meeting"]: item["reason"] for item in _run(data)["unscheduled"]}


def test_reason_no_common_free_slot():
    data = _arena(slots=2, tables=1, people=2, meetings=[("m", [0, 1], 1)])
    data["participants"][0]["available"] = ["s0"]
    data["participants"][1]["available"] = ["s1"]
    assert _reasons(data) == {"m": NO_COMMON_SLOT}


def test_reason_participant_full():
    data = _arena(slots=1, tables=2, people=3, meetings=[("high", [0, 1], 3), ("low", [0, 2], 1)])
    assert _reasons(data) == {"low": PARTICIPANT_FULL}


def test_reason_no_table():
    data = _arena(slots=1, tables=1, people=4, meetings=[("high", [0, 1], 3), ("low", [2, 3], 1)])
    assert _reasons(data) == {"low": NO_TABLE}


def test_reason_three_people_but_only_small_tables():
    data = _arena(slots=1, tables=1, people=3, meetings=[("trio", [0, 1, 2], 1)])
    assert _reasons(data) == {"trio": TOO_LARGE}


def test_three_person_meetings_get_large_tables():
    data = _arena(slots=1, tables=2, people=5, meetings=[("trio", [0, 1, 2], 1), ("pair", [3, 4], 1)])
    data["tables"][1]["capacity"] = 3
    assert _where(_run(data)) == {"trio": ("s0", "t1"), "pair": ("s0", "t0")}


# --- the command line ------------------------------------------------------------------------

def test_command_line_contract(tmp_path):
    data = _arena(slots=2, tables=1, people=3, meetings=[(7, [0, 1], 2), ("x", [0, 2], 1), (9.5, [1, 2], 1)])
    data["slots"][1]["id"] = 42
    data["tables"][0]["id"] = 1
    instance, out = tmp_path / "arena.json", tmp_path / "schedule.json"
    instance.write_text(json.dumps(data))
    done = subprocess.run([sys.executable, str(SCRIPT), str(instance), "--out", str(out), "--time-limit", "2"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert set(result) == {"assignments", "unscheduled", "objective", "bound"}
    assert validate_schedule(data, result) == []
    assert result["objective"] == result["bound"] == 3
    assert {a["slot"] for a in result["assignments"]} == {"s0", 42}
    assert {a["table"] for a in result["assignments"]} == {1}
    named = [a["meeting"] for a in result["assignments"]] + [u["meeting"] for u in result["unscheduled"]]
    assert sorted(named, key=str) == [7, 9.5, "x"]


def _bad(data: dict) -> dict:
    data = _arena(slots=2, tables=2, people=3, meetings=[("a", [0, 1], 1), ("b", [0, 2], 1)]) | data
    return data


BAD_INPUTS = {
    "unknown participant": (_bad({"meetings": [{"id": "a", "participants": [0, 99]}]}), "unknown participant 99"),
    "unknown slot": (_bad({"participants": [{"id": 0, "available": ["s0", "nope"]}, {"id": 1}, {"id": 2}]}),
                     "unknown slot 'nope'"),
    "unknown table": (_bad({"locked": [{"meeting": "a", "slot": "s0", "table": "t9"}]}), "unknown table 't9'"),
    "unknown locked meeting": (_bad({"locked": [{"meeting": "zz", "slot": "s0", "table": "t0"}]}),
                               "unknown meeting 'zz'"),
    "locked participant clash": (_bad({"locked": [{"meeting": "a", "slot": "s0", "table": "t0"},
                                                  {"meeting": "b", "slot": "s0", "table": "t1"}]}),
                                 "both need participant 0"),
    "locked table clash": (_bad({"participants": [{"id": i} for i in range(4)],
                                 "meetings": [{"id": "a", "participants": [0, 1]}, {"id": "b", "participants": [2, 3]}],
                                 "locked": [{"meeting": "a", "slot": "s1", "table": "t0"},
                                            {"meeting": "b", "slot": "s1", "table": "t0"}]}),
                           "both locked to table 't0' in slot 's1'"),
    "locked outside availability": (_bad({"participants": [{"id": 0, "available": ["s1"]}, {"id": 1}, {"id": 2}],
                                          "locked": [{"meeting": "a", "slot": "s0", "table": "t0"}]}),
                                    "not available in slot 's0'"),
    "duplicate id": (_bad({"participants": [{"id": 0}, {"id": 0}, {"id": 2}]}), "participant id 0 appears twice"),
    "overlapping slots": (_bad({"slots": [{"id": "s0", "start": 0, "end": 30}, {"id": "s1", "start": 20, "end": 40}]}),
                          "overlap"),
    "negative priority": (_bad({"meetings": [{"id": "a", "participants": [0, 1], "priority": -1}]}), "priority"),
    "not an object": ([1, 2, 3], "JSON object"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_a_clear_error(case, tmp_path, capsys):
    data, message = BAD_INPUTS[case]
    instance = tmp_path / "arena.json"
    instance.write_text(json.dumps(data))
    assert schedule_arena.main([str(instance), "--out", str(tmp_path / "out.json")]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
    assert not (tmp_path / "out.json").exists()


def test_unreadable_files_are_clear_errors(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{"slots": [')
    assert schedule_arena.main([str(broken), "--out", str(tmp_path / "o.json")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert schedule_arena.main([str(tmp_path / "missing.json"), "--out", str(tmp_path / "o.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_bad_input_through_the_real_command_has_no_traceback(tmp_path):
    instance = tmp_path / "arena.json"
    instance.write_text(json.dumps(BAD_INPUTS["unknown participant"][0]))
    done = subprocess.run([sys.executable, str(SCRIPT), str(instance), "--out", str(tmp_path / "o.json")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "unknown participant 99" in done.stderr and "Traceback" not in done.stderr


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=True) | st.sampled_from(["s0", "t0", "a", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["id", "slots", "tables", "participants", "meetings", "locked", "available", "capacity",
                         "priority", "start", "end", "meeting", "slot", "table"]), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(json_values, arenas().map(lambda d: _mutate_one_field(d))))
def test_malformed_arenas_raise_arena_error_only(data):
    try:
        load_arena(data)
    except ArenaError as error:
        assert str(error)


def _mutate_one_field(data: dict) -> dict:
    data = json.loads(json.dumps(data))
    if data["meetings"]:
        data["meetings"][0]["participants"] = [[0], None]
    data["slots"][0]["start"] = {"when": "soon"}
    return data


def test_when_the_lp_runs_out_of_time_the_schedule_is_still_valid_with_a_plain_bound(monkeypatch):
    """A big arena's LP may not finish within its share of the time limit: the scheduler then
    starts from a plain greedy schedule and reports the weaker bound (every placeable meeting)."""
    from matchmaker.scheduling.bound import LpRelaxation

    monkeypatch.setattr(LpRelaxation, "solve", lambda self, seconds=None: None)
    meetings = [(f"m{i}", [i % 5, 5 + i % 4], 1 + i % 3) for i in range(12)]
    data = _arena(slots=3, tables=2, people=9, meetings=meetings)
    arena = load_arena(data)
    outcome = schedule(arena, time_limit=2)
    result = outcome.to_json(arena)
    assert validate_schedule(data, result) == []
    assert outcome.stats["lp_solved"] is False
    assert result["bound"] == sum(priority for _, _, priority in meetings)
    assert result["objective"] == brute_force_best(data)
