"""Who may see, organise and take part in an arena."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.messages import _
from matchmaker.models import Arena, ArenaParticipant, Meeting, User
from matchmaker.services.errors import NotFound, PermissionDenied

# The group an organisation takes part as; organisers run arenas and do not take part.
GROUP_OF_KIND = {
    "supplier": "supplier",
    "clinical_department": "health",
    "health_trust": "health",
    "regional_health_authority": "health",
    "funding_agency": "funder",
}


def can_create_arena(user: User | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or (user.organisation is not None and user.organisation.kind == "arena_organiser")


def ensure_can_create_arena(user: User | None) -> None:
    if not can_create_arena(user):
        raise PermissionDenied(_("Only arena organisers create arenas."))


def can_take_part(user: User | None) -> bool:
    """Suppliers, health-sector staff and funders take part; organisers run arenas instead."""
    organisation = getattr(user, "organisation", None)
    return organisation is not None and organisation.kind in GROUP_OF_KIND


def is_organiser(user: User | None, arena: Arena) -> bool:
    """Every member of the organising organisation runs the arena, and administrators may help."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or user.organisation_id == arena.organiser_id


def ensure_organiser(user: User | None, arena: Arena) -> None:
    if not is_organiser(user, arena):
        raise PermissionDenied(_("Only the organisers of %(title)s can do this.", title=arena.title))


def get_arena(session: Session, user: User | None, arena_id: int) -> Arena:
    """Draft arenas are invisible to everyone but their organisers."""
    arena = session.get(Arena, arena_id)
    if arena is None or (arena.status == "draft" and not is_organiser(user, arena)):
        raise NotFound(_("No such arena."))
    return arena


def list_arenas(session: Session, user: User | None) -> list[Arena]:
    arenas = session.scalars(select(Arena).order_by(Arena.created_at.desc())).all()
    return [arena for arena in arenas if arena.status != "draft" or is_organiser(user, arena)]


def registration_of(session: Session, user: User | None, arena: Arena) -> ArenaParticipant | None:
    if user is None or not user.is_authenticated:
        return None
    return session.scalar(select(ArenaParticipant).where(
        ArenaParticipant.arena_id == arena.id, ArenaParticipant.user_id == user.id))


def ensure_registered(session: Session, user: User | None, arena: Arena) -> ArenaParticipant:
    participant = registration_of(session, user, arena)
    if participant is None:
        raise PermissionDenied(_("Register for %(title)s first.", title=arena.title))
    return participant


def ensure_approved_participant(session: Session, user: User | None, arena: Arena) -> ArenaParticipant:
    participant = ensure_registered(session, user, arena)
    if participant.status != "approved":
        raise PermissionDenied(_("The organisers have not approved your registration yet."))
    return participant


def get_meeting(session: Session, arena: Arena, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.arena_id != arena.id:
        raise NotFound(_("No such meeting."))
    return meeting


def seat_of(meeting: Meeting, user: User | None) -> ArenaParticipant | None:
    """The user's own place in the meeting, if any."""
    for participant in meeting.participants:
        if user is not None and participant.user_id == getattr(user, "id", None):
            return participant
    return None


def ensure_party(meeting: Meeting, user: User | None) -> ArenaParticipant:
    """Meeting details (notes included) are for the people in the meeting only."""
    participant = seat_of(meeting, user)
    if participant is None:
        raise NotFound(_("No such meeting."))
    return participant
