"""Registering for an arena, the organisers' approval, and each participant's availability."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.messages import _
from matchmaker.models import Arena, ArenaParticipant, Profile, User
from matchmaker.models.arenas import as_utc
from matchmaker.models.types import utcnow
from matchmaker.services import notifications
from matchmaker.services.arenas.access import GROUP_OF_KIND, ensure_organiser, registration_of
from matchmaker.services.arenas.setup_schema import MEETINGS_RANGE
from matchmaker.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


def register(session: Session, user: User, arena: Arena, profile_id: int | None = None) -> ArenaParticipant:
    organisation = user.organisation
    group = GROUP_OF_KIND.get(organisation.kind) if organisation else None
    if group is None:
        raise PermissionDenied(_("Suppliers, health-sector staff and funders take part in arenas."))
    if arena.status != "open":
        raise Conflict(_("Registration for %(title)s is not open.", title=arena.title))
    deadline = arena.registration_deadline
    if deadline is not None and utcnow() > as_utc(deadline):
        raise Conflict(_("The registration deadline for %(title)s has passed.", title=arena.title))
    if registration_of(session, user, arena) is not None:
        raise Conflict(_("You are already registered for %(title)s.", title=arena.title))
    participant = ArenaParticipant(arena=arena, user=user, organisation=organisation, participant_group=group,
                                   profile=_own_profile(session, user, profile_id), unavailable_slot_ids=[])
    session.add(participant)
    session.flush()
    notifications.notify_organisers(session, arena, "registration_received", name=participant.display_name)
    return participant


def _own_profile(session: Session, user: User, profile_id: int | None) -> Profile | None:
    """The profile that represents the participant in recommendations: their organisation's own."""
    if not profile_id:
        return None
    profile = session.get(Profile, profile_id)
    if profile is None or profile.organisation_id != user.organisation_id or profile.status != "published":
        raise ValidationFailed(_("Choose one of your organisation's published profiles."),
                               {"profile_id": _("Choose one of your organisation's published profiles.")})
    return profile


def update_registration(session: Session, user: User, participant: ArenaParticipant,
                        profile_id: int | None, max_meetings: int | None) -> ArenaParticipant:
    if participant.user_id != user.id:
        raise PermissionDenied(_("You can only change your own registration."))
    low, high = MEETINGS_RANGE  # a participant's own cap has the arena's bounds
    if max_meetings is not None and not low <= max_meetings <= high:
        raise ValidationFailed(_("Please correct the marked fields."),
                               {"max_meetings": _("A whole number from %(low)d to %(high)d.", low=low, high=high)})
    participant.profile = _own_profile(session, user, profile_id)
    participant.max_meetings = max_meetings
    session.flush()
    return participant


def decide(session: Session, organiser: User, participant: ArenaParticipant, approve: bool) -> ArenaParticipant:
    ensure_organiser(organiser, participant.arena)
    participant.status = "approved" if approve else "declined"
    participant.decided_at = utcnow()
    session.flush()
    kind = "registration_approved" if approve else "registration_declined"
    notifications.notify(session, [participant.user], kind, arena_id=participant.arena_id,
                         title=participant.arena.title)
    return participant


def get_registration(session: Session, arena: Arena, participant_id: int) -> ArenaParticipant:
    participant = session.get(ArenaParticipant, participant_id)
    if participant is None or participant.arena_id != arena.id:
        raise NotFound(_("No such registration."))
    return participant


def registrations(session: Session, organiser: User, arena: Arena) -> list[ArenaParticipant]:
    ensure_organiser(organiser, arena)
    return list(session.scalars(select(ArenaParticipant).where(ArenaParticipant.arena_id == arena.id)
                                .order_by(ArenaParticipant.status.desc(), ArenaParticipant.created_at)))


def approved_participants(session: Session, arena: Arena) -> list[ArenaParticipant]:
    return list(session.scalars(select(ArenaParticipant).where(
        ArenaParticipant.arena_id == arena.id, ArenaParticipant.status == "approved")
        .order_by(ArenaParticipant.participant_group, ArenaParticipant.id)))


def set_availability(session: Session, user: User, participant: ArenaParticipant,
                     available_slot_ids: list[int]) -> ArenaParticipant:
    """Marks the slots the participant can attend; every other slot of the arena is unavailable."""
    if participant.user_id != user.id:
        raise PermissionDenied(_("You can only mark your own availability."))
    arena_slots = {slot.id for slot in participant.arena.slots}
    chosen = {int(slot_id) for slot_id in available_slot_ids}
    if chosen - arena_slots:
        message = _("Some of the chosen slots are not in this arena.")
        raise ValidationFailed(message, {"available_slot_ids": message})
    participant.unavailable_slot_ids = sorted(arena_slots - chosen)
    session.flush()
    return participant


def available_slot_ids(participant: ArenaParticipant) -> list[int]:
    unavailable = set(participant.unavailable_slot_ids or [])
    return [slot.id for slot in participant.arena.slots if slot.id not in unavailable]


def meeting_cap(participant: ArenaParticipant) -> int | None:
    """The participant's own cap, never above the arena's."""
    caps = [cap for cap in (participant.max_meetings, participant.arena.max_meetings) if cap]
    return min(caps) if caps else None
