"""What waits for a founder or a clinician: meeting requests and collaboration proposals to
answer, terms to agree to, their next arena meetings and the collaborations that moved."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from matchmaker.models import (
    Arena,
    ArenaParticipant,
    ArenaSlot,
    Collaboration,
    Meeting,
    MeetingSeat,
    Organisation,
    Profile,
    User,
)
from matchmaker.models.types import utcnow

NEXT_MEETINGS = 5
MOVED_COLLABORATIONS = 5


@dataclass
class ParticipantDesk:
    requests: list[Meeting] = field(default_factory=list)  # meeting requests waiting for the user's answer
    proposals: list[Collaboration] = field(default_factory=list)  # proposals waiting for the organisation
    to_agree: list[Collaboration] = field(default_factory=list)  # accepted; the terms wait for our agreement
    next_meetings: list[Meeting] = field(default_factory=list)
    moved: list[Collaboration] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        return len(self.requests) + len(self.proposals) + len(self.to_agree)


def participant_desk(session: Session, user: User) -> ParticipantDesk:
    waiting = collaborations_waiting(session, user.organisation_id)
    return ParticipantDesk(
        requests=requests_waiting(session, user),
        proposals=[c for c in waiting if c.stage == "proposed"],
        to_agree=[c for c in waiting if c.stage == "accepted"],
        next_meetings=next_meetings(session, user),
        moved=recently_moved(session, user.organisation_id),
    )


def _with_organisation_and_parent(participant_path):
    """People are named with their organisation's parent (the trust): loaded in the same query."""
    return participant_path.joinedload(ArenaParticipant.organisation).joinedload(Organisation.parent)


def requests_waiting(session: Session, user: User) -> list[Meeting]:
    """Pending requests addressed to the user at arenas that still take answers, oldest first.
    (Overdue requests expire when the arena is next opened; until then they are not shown.)"""
    now = utcnow()
    query = (select(Meeting).join(ArenaParticipant, Meeting.recipient_id == ArenaParticipant.id)
             .join(Arena, Meeting.arena_id == Arena.id)
             .where(ArenaParticipant.user_id == user.id, Meeting.status == "pending", Arena.status == "open",
                    or_(Arena.request_deadline.is_(None), Arena.request_deadline > now))
             .options(joinedload(Meeting.arena), lazyload(Meeting.seats),
                      _with_organisation_and_parent(joinedload(Meeting.requester)))
             .order_by(Meeting.created_at, Meeting.id))
    return list(session.scalars(query).unique())


def _collaboration_options():
    """Their need and product are named, never tagged: the tags stay unloaded."""
    return (joinedload(Collaboration.need).lazyload(Profile.tags),
            joinedload(Collaboration.capability).lazyload(Profile.tags))


def collaborations_waiting(session: Session, organisation_id: int | None) -> list[Collaboration]:
    """Proposals the other side made to us, and accepted ones whose current terms we have not
    agreed to (editing the terms clears both agreements)."""
    if organisation_id is None:
        return []
    ours = or_(Collaboration.supplier_id == organisation_id, Collaboration.department_id == organisation_id)
    our_agreement_missing = or_(
        and_(Collaboration.supplier_id == organisation_id, Collaboration.supplier_agreed_version.is_(None)),
        and_(Collaboration.department_id == organisation_id, Collaboration.department_agreed_version.is_(None)))
    query = select(Collaboration).where(ours, or_(
        and_(Collaboration.stage == "proposed", Collaboration.proposed_by_id != organisation_id),
        and_(Collaboration.stage == "accepted", our_agreement_missing)))
    ordered = query.options(*_collaboration_options()).order_by(Collaboration.stage_changed_at, Collaboration.id)
    return list(session.scalars(ordered).unique())


def next_meetings(session: Session, user: User, limit: int = NEXT_MEETINGS) -> list[Meeting]:
    """The user's published meetings that have not ended, soonest first, with who sits at them."""
    query = (select(Meeting).join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
             .join(ArenaParticipant, MeetingSeat.participant_id == ArenaParticipant.id)
             .join(ArenaSlot, Meeting.slot_id == ArenaSlot.id)
             .where(ArenaParticipant.user_id == user.id, Meeting.status == "accepted",
                    Meeting.published_at.is_not(None), ArenaSlot.ends_at > utcnow())
             .options(joinedload(Meeting.arena), lazyload(Meeting.requester), lazyload(Meeting.recipient),
                      _with_organisation_and_parent(selectinload(Meeting.seats).joinedload(MeetingSeat.participant)))
             .order_by(ArenaSlot.starts_at, Meeting.id).limit(limit))
    return list(session.scalars(query).unique())


def recently_moved(session: Session, organisation_id: int | None,
                   limit: int = MOVED_COLLABORATIONS) -> list[Collaboration]:
    if organisation_id is None:
        return []
    query = select(Collaboration).where(or_(Collaboration.supplier_id == organisation_id,
                                            Collaboration.department_id == organisation_id))
    ordered = (query.options(*_collaboration_options())
               .order_by(Collaboration.stage_changed_at.desc(), Collaboration.id.desc()).limit(limit))
    return list(session.scalars(ordered).unique())
