"""Checking participants in at the venue: each registration's signed check-in code (shown as a QR
code on the participant's agenda), and the organiser marking arrivals by code or by name."""

from __future__ import annotations

import io

import segno
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.messages import _
from matchmaker.models import Arena, ArenaParticipant, Arrival, User
from matchmaker.services import context
from matchmaker.services.arenas.access import ensure_organiser
from matchmaker.services.arenas.registration import approved_participants
from matchmaker.services.context import Settings
from matchmaker.services.errors import NotFound

SALT = "matchmaker.arena-check-in"
SEARCH_LIMIT = 30


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=SALT)


def check_in_code(settings: Settings, participant: ArenaParticipant) -> str:
    """A code naming the registration, signed so that nobody can make one for someone else.
    It does not expire: the printed or saved QR code must still work on the day."""
    return _serializer(settings).dumps([participant.arena_id, participant.id])


def participant_for_code(session: Session, user: User, arena: Arena, code: str) -> ArenaParticipant:
    """The registration a scanned code is for; only the organisers may read one."""
    ensure_organiser(user, arena)
    try:
        arena_id, participant_id = _serializer(context.of(session).settings).loads(code)
    except (BadSignature, ValueError, TypeError):
        raise NotFound(_("This check-in code is not valid.")) from None
    if arena_id != arena.id or not isinstance(participant_id, int):
        raise NotFound(_("This check-in code is not valid."))
    return arena_participant(session, arena, participant_id)


def arena_participant(session: Session, arena: Arena, participant_id: int) -> ArenaParticipant:
    """An approved participant of this arena; anyone else is not found."""
    participant = session.get(ArenaParticipant, participant_id)
    if participant is None or participant.arena_id != arena.id or participant.status != "approved":
        raise NotFound(_("No such participant."))
    return participant


def check_in(session: Session, user: User, arena: Arena, participant: ArenaParticipant) -> Arrival:
    """Marks the participant as arrived; checking in twice keeps the first arrival."""
    ensure_organiser(user, arena)
    arrival = session.get(Arrival, participant.id)
    if arrival is not None:
        return arrival
    try:
        with session.begin_nested():  # two phones scanning the same code at once
            arrival = Arrival(participant_id=participant.id, checked_in_by_id=user.id)
            session.add(arrival)
    except IntegrityError:
        arrival = session.get(Arrival, participant.id)
    return arrival


def undo_check_in(session: Session, user: User, arena: Arena, participant: ArenaParticipant) -> None:
    ensure_organiser(user, arena)
    arrival = session.get(Arrival, participant.id)
    if arrival is not None:
        session.delete(arrival)
        session.flush()


def arrival_of(session: Session, participant: ArenaParticipant) -> Arrival | None:
    return session.get(Arrival, participant.id)


def arrivals(session: Session, arena: Arena) -> dict[int, Arrival]:
    """The arena's arrivals by participant id."""
    found = session.scalars(select(Arrival).join(ArenaParticipant, Arrival.participant_id == ArenaParticipant.id)
                            .where(ArenaParticipant.arena_id == arena.id))
    return {arrival.participant_id: arrival for arrival in found}


def search(session: Session, user: User, arena: Arena, text: str) -> list[ArenaParticipant]:
    """Approved participants whose name or organisation contains every word searched for."""
    ensure_organiser(user, arena)
    words = (text or "").casefold().split()
    found = [p for p in approved_participants(session, arena)
             if all(word in p.display_name.casefold() for word in words)]
    return sorted(found, key=lambda p: p.display_name.casefold())[:SEARCH_LIMIT]


def qr_svg(url: str, title: str) -> bytes:
    """The URL as a QR code in SVG, dark on white so that it scans on a dark screen too; ``title``
    names it for screen readers, in the reader's language."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=4, dark="#000", light="#fff",
                                    title=title)
    return out.getvalue()
