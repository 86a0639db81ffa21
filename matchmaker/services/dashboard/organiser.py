"""What waits for an arena organiser: each arena's state, registrations to approve, requests
nobody has answered, and whether the scheduler is due. Three queries whatever the number of arenas."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from matchmaker.models import Arena, ArenaParticipant, Meeting
from matchmaker.models.arenas import as_utc
from matchmaker.models.types import utcnow

# An arena's state as the organiser thinks of it, derived from what the arena holds.
ARENA_STATES = ("draft", "open", "closed", "scheduled", "published")


@dataclass
class ArenaDesk:
    arena: Arena
    state: str
    pending_registrations: int = 0
    unanswered_requests: int = 0
    unplaced: int = 0  # accepted meetings the scheduler has not tried to place yet
    placed_unpublished: int = 0

    @property
    def requests_closed(self) -> bool:
        deadline = as_utc(self.arena.request_deadline)
        return self.arena.status == "closed" or (deadline is not None and deadline < utcnow())

    @property
    def scheduler_due(self) -> bool:
        """New accepted meetings wait for a place, and requests are over (or a schedule already
        exists, so late acceptances are to be fitted in)."""
        already_run = bool((self.arena.last_run or {}).get("at")) or self.arena.schedule_published_at is not None
        return self.unplaced > 0 and (self.requests_closed or already_run)

    @property
    def waiting_requests(self) -> int:
        """Unanswered requests that can still be answered; past the deadline they expire."""
        return 0 if self.requests_closed else self.unanswered_requests

    @property
    def needs_action(self) -> bool:
        return bool(self.pending_registrations or self.waiting_requests or self.scheduler_due
                    or self.placed_unpublished)


def arena_state(arena: Arena) -> str:
    if arena.status == "draft":
        return "draft"
    if arena.schedule_published_at is not None:
        return "published"
    if (arena.last_run or {}).get("at"):
        return "scheduled"
    return arena.status  # "open" or "closed"


def organiser_desk(session: Session, organisation_id: int | None) -> list[ArenaDesk]:
    if organisation_id is None:
        return []
    arenas = list(session.scalars(select(Arena).where(Arena.organiser_id == organisation_id)
                                  .order_by(Arena.created_at.desc(), Arena.id.desc())))
    ids = [arena.id for arena in arenas]
    registrations = _pending_registrations(session, ids)
    figures = _meeting_figures(session, ids)
    return [ArenaDesk(arena, arena_state(arena), registrations.get(arena.id, 0), *figures.get(arena.id, (0, 0, 0)))
            for arena in arenas]


def _pending_registrations(session: Session, arena_ids: list[int]) -> dict[int, int]:
    if not arena_ids:
        return {}
    query = (select(ArenaParticipant.arena_id, func.count(ArenaParticipant.id))
             .where(ArenaParticipant.arena_id.in_(arena_ids), ArenaParticipant.status == "pending")
             .group_by(ArenaParticipant.arena_id))
    return dict(session.execute(query).all())


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def _meeting_figures(session: Session, arena_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per arena: unanswered requests, accepted meetings not yet tried by the scheduler, and
    placed meetings not yet published."""
    if not arena_ids:
        return {}
    accepted = Meeting.status == "accepted"
    query = (select(Meeting.arena_id, _count(Meeting.status == "pending"),
                    _count(and_(accepted, Meeting.slot_id.is_(None), Meeting.unscheduled_reason.is_(None))),
                    _count(and_(accepted, Meeting.slot_id.is_not(None), Meeting.published_at.is_(None))))
             .where(Meeting.arena_id.in_(arena_ids)).group_by(Meeting.arena_id))
    return {arena_id: (int(a or 0), int(b or 0), int(c or 0)) for arena_id, a, b, c in session.execute(query)}
