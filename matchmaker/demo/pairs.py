"""The demo arena's meetings come from the matching engine: for each department's need, its best
suppliers among the arena's participants, the strongest pairs first, so that the requests and
accepted meetings an organiser sees in the demo are ones a real event would have."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy.orm import Session

from matchmaker.demo.progress import Progress
from matchmaker.matching.engine import MatchingEngine
from matchmaker.models import ArenaParticipant
from matchmaker.services import matching
from matchmaker.vocabulary import CLINICAL_AREAS, label

CANDIDATES_PER_NEED = 8
CONVINCING = ("strong", "good")


@dataclass(frozen=True)
class Pair:
    department: ArenaParticipant
    supplier: ArenaParticipant
    match: matching.Match  # the supplier's capability as a match for the department's need


def best_pairs(session: Session, engine: MatchingEngine, people: list[ArenaParticipant], progress: Progress,
               per_department: int, per_supplier: int) -> list[Pair]:
    """The strongest department-supplier pairs, best first, at most so many per person."""
    suppliers = {p.profile_id: p for p in people if p.participant_group == "supplier" and p.profile_id}
    departments = [p for p in people if p.participant_group == "health" and p.profile is not None
                   and p.profile.kind == "need"]
    candidates = []
    with progress.bar(f"Matching {len(departments)} departments' needs with {len(suppliers)} suppliers",
                      len(departments)) as advance:
        for department in departments:
            found = matching.matches_among(session, engine, None, department.profile, list(suppliers),
                                           CANDIDATES_PER_NEED)
            candidates += [Pair(department, suppliers[match.profile.id], match) for match in found]
            advance(1)
    return _strongest_first(candidates, per_department, per_supplier)


def _strongest_first(candidates: list[Pair], per_department: int, per_supplier: int) -> list[Pair]:
    """Greedy by score, so the best pairs are kept and nobody is asked far more than the rest. A
    merely possible match is kept only as the first meeting of one of its two: everybody meets
    someone, and nobody else sits through a meeting a better pair could have had."""
    chosen, load = [], Counter()
    for pair in sorted(candidates, key=lambda p: (-p.match.score, p.department.id, p.supplier.id)):
        weak = pair.match.explanation.strength not in CONVINCING
        if weak and load[pair.department.id] and load[pair.supplier.id]:
            continue
        if load[pair.department.id] < per_department and load[pair.supplier.id] < per_supplier:
            chosen.append(pair)
            load[pair.department.id] += 1
            load[pair.supplier.id] += 1
    return chosen


def match_reason(pair: Pair) -> dict:
    """The meeting's reason in the shape a request made in the app stores."""
    explanation = pair.match.explanation
    return {"strength": explanation.strength, "passages": [list(p) for p in explanation.passage_pairs],
            "shared_areas": list(explanation.shared_areas)}


def request_note(pair: Pair, from_department: bool) -> str:
    """What the requester writes, from the match explanation: how strong it is and the clinical
    areas both share. The passages that matched are shown beside the note as "why matched"."""
    need, capability = pair.department.profile, pair.match.profile
    explanation = pair.match.explanation
    if from_department:
        note = f"We are working on \u201c{need.title}\u201d and would like to hear more about {capability.title}."
    else:
        note = f"{capability.title} is built for what you describe in \u201c{need.title}\u201d."
    areas = ", ".join(label(CLINICAL_AREAS, code).lower() for code in explanation.shared_areas)
    if explanation.strength:
        note += f" The matching rates us a {explanation.strength} match" + (f" in {areas}." if areas else ".")
    elif areas:
        note += f" We share the field ({areas})."
    return note
