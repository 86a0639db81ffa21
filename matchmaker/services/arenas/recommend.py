"""Recommended meetings: the matching engine's best matches among an arena's participants."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from matchmaker.matching.engine import MatchingEngine
from matchmaker.models import Arena, ArenaParticipant, User
from matchmaker.services import matching
from matchmaker.services.arenas.registration import approved_participants
from matchmaker.services.arenas.requests import open_partner_ids


@dataclass
class Recommendation:
    participant: ArenaParticipant
    match: matching.Match


def recommendations(session: Session, engine: MatchingEngine, user: User, arena: Arena,
                    me: ArenaParticipant, limit: int = 10) -> list[Recommendation]:
    """Participants whose profile matches mine, best first, leaving out people I already have a
    request with and groups this arena does not let me meet."""
    if me.profile is None or me.profile.status != "published":
        return []
    taken = open_partner_ids(session, me)
    by_profile: dict[int, list[ArenaParticipant]] = {}
    for other in approved_participants(session, arena):
        if (other.id not in taken and other.organisation_id != me.organisation_id and other.profile_id
                and arena.may_meet(me.participant_group, other.participant_group)):
            by_profile.setdefault(other.profile_id, []).append(other)
    matches = matching.matches_among(session, engine, user, me.profile, list(by_profile), limit)
    return [Recommendation(other, match) for match in matches for other in by_profile.get(match.profile.id, [])]
