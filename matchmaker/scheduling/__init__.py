"""Meeting scheduler for matchmaking arenas: places accepted meetings into time slots and at
tables. A pure algorithm (no web framework, no database, nothing else from matchmaker): give it
the arena as plain data, the same JSON that scripts/schedule_arena.py reads.

    arena = load_arena(data)              # checks the input; raises ArenaError with a clear message
    result = schedule(arena, time_limit=20)
    result.to_json(arena)                 # {"assignments", "unscheduled", "objective", "bound"}
    validate_schedule(data, result.to_json(arena))   # [] when every rule holds

Modules: arena (input), problem (slot-level model and placement state), bound (LP bound, GLOP),
heuristics and local_search (greedy start and its improvement), cpsat and solve_control (CP-SAT),
tables, result (reasons, JSON), baseline (first-fit), metrics, validate, solver (the pipeline).
"""

from matchmaker.scheduling.arena import Arena, ArenaError, load_arena
from matchmaker.scheduling.baseline import first_fit
from matchmaker.scheduling.metrics import finishing_slots, idle_gaps, unmet_participants
from matchmaker.scheduling.result import Schedule
from matchmaker.scheduling.solver import DEFAULT_TIME_LIMIT, schedule
from matchmaker.scheduling.validate import validate_schedule

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "Arena",
    "ArenaError",
    "Schedule",
    "finishing_slots",
    "first_fit",
    "idle_gaps",
    "load_arena",
    "schedule",
    "unmet_participants",
    "validate_schedule",
]
