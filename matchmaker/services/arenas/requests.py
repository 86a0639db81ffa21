"""Meeting requests between arena participants: asking, answering, cancelling and expiry."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from matchmaker.matching.engine import MatchingEngine
from matchmaker.messages import _
from matchmaker.models import Arena, ArenaParticipant, Meeting, MeetingSeat, User
from matchmaker.models.arenas import as_utc
from matchmaker.models.types import utcnow
from matchmaker.services import matching, notifications
from matchmaker.services.arenas.access import ensure_approved_participant, ensure_party
from matchmaker.services.arenas.registration import meeting_cap
from matchmaker.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.schemas import text_within
from matchmaker.vocabulary import MEETING_STATUSES, label

NOTE_LIMIT = 1000
OPEN_STATUSES = ("pending", "accepted")
STRENGTH_POINTS = {"strong": 2, "good": 1, "possible": 0}


def priority(meeting: Meeting) -> int:
    """What the scheduler maximises: mutual interest counts most, then how well the profiles match."""
    strength = (meeting.match_reason or {}).get("strength")
    return 2 + (2 if meeting.mutual else 0) + STRENGTH_POINTS.get(strength, 0)


def request_meeting(session: Session, engine: MatchingEngine | None, user: User, arena: Arena, recipient_id: int,
                    note: str = "", third_id: int | None = None) -> Meeting:
    """Asks another participant for a meeting. When they have already asked us, this accepts
    their request instead, as a meeting of mutual interest."""
    requester = ensure_approved_participant(session, user, arena)
    _ensure_requests_open(arena)
    recipient = other_participant(session, arena, recipient_id)
    _check_pair(arena, requester, recipient)
    note = _clean_note(note)
    third = _third(session, arena, third_id, requester, recipient)
    reason = _match_reason(session, engine, requester, recipient)  # before the locks: it is the slow part
    lock_participants(session, [requester, recipient])
    existing = open_meeting_between(session, requester, recipient)
    if existing is not None:
        if existing.status == "pending" and existing.recipient_id == requester.id:
            accepted = respond(session, user, existing, accept=True, note=note)
            accepted.mutual = True
            session.flush()
            return accepted
        raise Conflict(_("You already have a meeting request with %(name)s.", name=recipient.display_name))
    _ensure_below_cap(session, requester)
    meeting = Meeting(arena=arena, requester=requester, recipient=recipient, note=note,
                      **({"match_reason": {}} | reason))
    meeting.seats = [MeetingSeat(participant=p, position=n) for n, p in enumerate([requester, recipient, third]) if p]
    session.add(meeting)
    session.flush()
    notifications.notify(session, [p.user for p in meeting.participants[1:]], "meeting_requested",
                         arena_id=arena.id, title=arena.title, name=requester.display_name)
    return meeting


def lock_participants(session: Session, participants: list[ArenaParticipant]) -> None:
    """Row locks on the participants until the transaction ends, so that of two requests about the
    same people (both asking each other, two acceptances against one cap) the second waits and
    then checks what the first committed. Taken in id order, so that two never wait on each
    other. SQLite has no row locks: there the request's transaction holds the database's write
    lock from its start (``matchmaker.database.WRITING_METHODS``)."""
    ids = sorted({participant.id for participant in participants})
    session.execute(select(ArenaParticipant.id).where(ArenaParticipant.id.in_(ids))
                    .order_by(ArenaParticipant.id).with_for_update())


def _ensure_requests_open(arena: Arena) -> None:
    if arena.status != "open":
        raise Conflict(_("%(title)s does not take meeting requests now.", title=arena.title))
    if arena.request_deadline is not None and utcnow() > as_utc(arena.request_deadline):
        raise Conflict(_("The deadline for meeting requests at %(title)s has passed.", title=arena.title))


def other_participant(session: Session, arena: Arena, participant_id: int | None) -> ArenaParticipant:
    participant = session.get(ArenaParticipant, participant_id) if participant_id else None
    if participant is None or participant.arena_id != arena.id or participant.status != "approved":
        raise NotFound(_("No such participant in %(title)s.", title=arena.title))
    return participant


def _check_pair(arena: Arena, requester: ArenaParticipant, recipient: ArenaParticipant) -> None:
    if recipient.organisation_id == requester.organisation_id:
        message = _("Ask someone from another organisation; add a colleague as the third person.")
        raise ValidationFailed(message, {"recipient_id": message})
    if not arena.may_meet(requester.participant_group, recipient.participant_group):
        raise PermissionDenied(_("At %(title)s, %(first)s and %(second)s do not book meetings with each other.",
                                 title=arena.title, first=group_label(requester.participant_group),
                                 second=group_label(recipient.participant_group)))


def group_label(group: str) -> str:
    return {"supplier": _("suppliers"), "health": _("health-sector staff"), "funder": _("funders")}[group]


def _clean_note(note: str | None) -> str:
    return text_within("note", note, NOTE_LIMIT, summary=_("The note is too long."))


def _third(session, arena, third_id, requester, recipient) -> ArenaParticipant | None:
    if not third_id:
        return None
    third = other_participant(session, arena, third_id)
    if third.id in (requester.id, recipient.id):
        raise ValidationFailed(_("The third person must be someone else."),
                               {"third_id": _("The third person must be someone else.")})
    return third


def _match_reason(session: Session, engine: MatchingEngine | None, requester: ArenaParticipant,
                  recipient: ArenaParticipant) -> dict:
    """The meeting's match score and reason, as its fields."""
    profiles = [requester.profile, recipient.profile]
    if engine is None or None in profiles:
        return {}
    match = matching.pair_match(session, engine, profiles[0], profiles[1])
    if match is None:
        return {}
    explanation = match.explanation
    return {"match_score": round(match.score, 4),
            "match_reason": {"strength": explanation.strength,
                             "passages": [list(pair) for pair in explanation.passage_pairs],
                             "shared_areas": list(explanation.shared_areas)}}


def open_meeting_between(session: Session, first: ArenaParticipant, second: ArenaParticipant) -> Meeting | None:
    return session.scalar(select(Meeting).where(
        Meeting.status.in_(OPEN_STATUSES),
        or_((Meeting.requester_id == first.id) & (Meeting.recipient_id == second.id),
            (Meeting.requester_id == second.id) & (Meeting.recipient_id == first.id))))


def accepted_count(session: Session, participant: ArenaParticipant) -> int:
    return session.scalar(select(func.count()).select_from(MeetingSeat).join(MeetingSeat.meeting).where(
        MeetingSeat.participant_id == participant.id, Meeting.status == "accepted")) or 0


def _ensure_below_cap(session: Session, participant: ArenaParticipant) -> None:
    cap = meeting_cap(participant)
    if cap is not None and accepted_count(session, participant) >= cap:
        raise Conflict(_("%(name)s already has %(count)d accepted meetings, the most allowed.",
                         name=participant.display_name, count=cap))


def respond(session: Session, user: User, meeting: Meeting, accept: bool, note: str = "") -> Meeting:
    if meeting.recipient.user_id != user.id:
        raise PermissionDenied(_("Only %(name)s can answer this request.", name=meeting.recipient.display_name))
    if accept:
        # The caps below count what concurrent acceptances committed; the meeting is read again
        # after the wait, since another answer may have come first.
        lock_participants(session, meeting.participants)
        session.execute(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
        session.refresh(meeting)
    expire_overdue(session, meeting.arena)
    if meeting.status != "pending":
        raise Conflict(_("This request is already %(status)s.", status=label(MEETING_STATUSES, meeting.status)))
    if accept:
        for participant in meeting.participants:
            _ensure_below_cap(session, participant)
    meeting.status = "accepted" if accept else "declined"
    meeting.response_note = _clean_note(note)
    meeting.responded_at = utcnow()
    session.flush()
    others = [p.user for p in meeting.participants if p.id != meeting.recipient_id]
    notifications.notify(session, others, "meeting_accepted" if accept else "meeting_declined",
                         arena_id=meeting.arena_id, title=meeting.arena.title, name=meeting.recipient.display_name)
    return meeting


def cancel(session: Session, user: User, meeting: Meeting) -> Meeting:
    """Any party may call off a pending or accepted meeting; a scheduled one frees its slot."""
    party = ensure_party(meeting, user)
    if meeting.status not in OPEN_STATUSES:
        raise Conflict(_("This request is already %(status)s.", status=label(MEETING_STATUSES, meeting.status)))
    meeting.unplace()
    meeting.status = "cancelled"
    session.flush()
    others = [p.user for p in meeting.participants if p.id != party.id]
    notifications.notify(session, others, "meeting_cancelled", arena_id=meeting.arena_id,
                         title=meeting.arena.title, name=party.display_name)
    return meeting


def expire_overdue(session: Session, arena: Arena) -> int:
    """Unanswered requests expire at the request deadline, so they stop blocking anyone."""
    if arena.request_deadline is None or utcnow() <= as_utc(arena.request_deadline):
        return 0
    overdue = session.scalars(select(Meeting).where(Meeting.arena_id == arena.id, Meeting.status == "pending")).all()
    for meeting in overdue:
        meeting.status = "expired"
        notifications.notify(session, [meeting.requester.user], "meeting_expired", arena_id=arena.id,
                             title=arena.title, name=meeting.recipient.display_name)
    session.flush()
    return len(overdue)


def meetings_of(session: Session, participant: ArenaParticipant) -> list[Meeting]:
    return list(session.scalars(select(Meeting).join(Meeting.seats).where(
        MeetingSeat.participant_id == participant.id).order_by(Meeting.created_at.desc())).unique())



def awaits_answer_from(meeting: Meeting, participant: ArenaParticipant) -> bool:
    """A request still waiting for this participant's answer."""
    return meeting.recipient_id == participant.id and meeting.status == "pending"


def open_partner_ids(session: Session, participant: ArenaParticipant) -> set[int]:
    """Everyone the participant has a pending or accepted meeting with (themselves included)."""
    return {p.id for m in meetings_of(session, participant) if m.status in OPEN_STATUSES for p in m.participants}
