"""Deadline reminders, sent by ``flask notifications deadlines`` from cron (every hour is fine).

Each reminder carries a reference to what it is about (an arena's request deadline, a funding
instrument's deadline) and is sent once per reference and user. The reference is kept in the
notification's params and in the outbox e-mail's reference, so a reminder that went only by e-mail
still counts as sent. A changed deadline is a new reference, and so a new reminder."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from matchmaker.models import Arena, Meeting, Notification, User
from matchmaker.models.activity import OutboxEmail
from matchmaker.models.arenas import as_utc
from matchmaker.models.collaborations import Collaboration
from matchmaker.models.funding import Follow, FundingInstrument, FundingLink
from matchmaker.models.types import utcnow
from matchmaker.services import notifications

log = logging.getLogger(__name__)

MEETING_REQUEST_WINDOW = timedelta(hours=24)
FUNDING_WINDOW = timedelta(days=14)
# Reminders older than this cannot be about a deadline still ahead, so they need not be read.
LOOK_BACK = timedelta(days=30)
CLOSED_STAGES = ("declined", "stopped")
# Any constant will do: it names the lock that keeps two runs from reminding the same people.
ADVISORY_LOCK_KEY = 7_310_042


def send_deadline_reminders(session: Session, now: datetime | None = None) -> int:
    """Reminds everyone who should hear about a deadline and has not yet. Returns how many
    reminders went out (a reminder to a user with both channels off is not counted)."""
    now = now or utcnow()
    if not _only_run(session):
        log.info("another deadline run is in progress; this one does nothing")
        return 0
    sent = meeting_request_reminders(session, now) + funding_reminders(session, now)
    session.flush()
    return sent


def _only_run(session: Session) -> bool:
    """On PostgreSQL, a lock held until the transaction ends; SQLite allows one writer anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}))


def reference(*parts) -> str:
    """A short fixed-length reference to what a reminder is about."""
    return hashlib.sha256(":".join(str(part) for part in parts).encode()).hexdigest()[:12]


def already_reminded(session: Session, kind: str, now: datetime) -> set[tuple[int, str]]:
    """(user id, reference) of every reminder of this kind sent lately, in the app or by e-mail."""
    since = now - LOOK_BACK
    shown = session.execute(select(Notification.user_id, Notification.params).where(
        Notification.kind == kind, Notification.created_at >= since))
    mailed = session.execute(select(OutboxEmail.user_id, OutboxEmail.reference).where(
        OutboxEmail.kind == kind, OutboxEmail.created_at >= since))
    return ({(user_id, (params or {}).get("ref")) for user_id, params in shown}
            | {(user_id, ref) for user_id, ref in mailed})


def _remind(session: Session, users, kind: str, params: dict, ref: str, seen: set) -> int:
    sent = 0
    for user in users:
        if (user.id, ref) in seen:
            continue
        seen.add((user.id, ref))
        sent += notifications.deliver(session, user, kind, {**params, "ref": ref})
    return sent


# --- arena meeting requests ------------------------------------------------------------------

def meeting_request_reminders(session: Session, now: datetime) -> int:
    """Participants with requests waiting for their answer when the arena's request deadline
    is less than a day away: one reminder per arena and person, with how many wait."""
    waiting: Counter[tuple[Arena, User]] = Counter()
    for meeting in session.scalars(select(Meeting).join(Arena, Meeting.arena_id == Arena.id).where(
            Meeting.status == "pending", Arena.status == "open", Arena.request_deadline.is_not(None))):
        deadline = as_utc(meeting.arena.request_deadline)
        if now < deadline <= now + MEETING_REQUEST_WINDOW:
            waiting[meeting.arena, meeting.recipient.user] += 1
    seen, sent = already_reminded(session, "meeting_request_deadline", now), 0
    for (arena, user), count in waiting.items():
        deadline = as_utc(arena.request_deadline)
        params = {"arena_id": arena.id, "title": arena.title, "count": count,
                  "deadline": deadline.isoformat(), "timezone": arena.timezone}
        sent += _remind(session, [user], "meeting_request_deadline", params,
                        reference("arena", arena.id, deadline.isoformat()), seen)
    return sent


# --- funding instruments ---------------------------------------------------------------------

def funding_reminders(session: Session, now: datetime) -> int:
    """Parties and followers of collaborations that seek an instrument, and followers of needs
    or collaborations the instrument made interesting, when its deadline is two weeks away or
    less: one reminder per instrument deadline and person."""
    today = now.date()
    instruments = session.scalars(select(FundingInstrument).where(
        FundingInstrument.status == "published", FundingInstrument.deadline.is_not(None),
        FundingInstrument.deadline >= today, FundingInstrument.deadline <= today + FUNDING_WINDOW)).all()
    seen, sent = already_reminded(session, "funding_deadline", now), 0
    for instrument in instruments:
        for user, target in _funding_audience(session, instrument).items():
            params = {"instrument_id": instrument.id, "title": instrument.title,
                      "deadline": instrument.deadline.isoformat(), **target}
            sent += _remind(session, [user], "funding_deadline", params,
                            reference("instrument", instrument.id, instrument.deadline.isoformat()), seen)
    return sent


def _funding_audience(session: Session, instrument: FundingInstrument) -> dict[User, dict]:
    """Each person to remind, with what the reminder should link to (the first thing found)."""
    audience: dict[User, dict] = {}
    for collaboration in _seeking(session, instrument):
        target = {"collaboration_id": collaboration.id}
        for user in _members(session, collaboration.party_ids) + _followers(session, collaboration):
            audience.setdefault(user, target)
    for follow in session.scalars(select(Follow).where(Follow.instrument_id == instrument.id)):
        target = {"collaboration_id": follow.collaboration_id} if follow.collaboration_id else \
            {"need_id": follow.need_id}
        audience.setdefault(follow.user, target)
    return audience


def _seeking(session: Session, instrument: FundingInstrument) -> list[Collaboration]:
    return list(session.scalars(select(Collaboration).join(
        FundingLink, FundingLink.collaboration_id == Collaboration.id).where(
        FundingLink.instrument_id == instrument.id, Collaboration.stage.not_in(CLOSED_STAGES))
        .order_by(Collaboration.id)))


def _members(session: Session, organisation_ids) -> list[User]:
    return list(session.scalars(select(User).where(User.organisation_id.in_(organisation_ids)).order_by(User.id)))


def _followers(session: Session, collaboration: Collaboration) -> list[User]:
    return [follow.user for follow in session.scalars(select(Follow).where(or_(
        Follow.collaboration_id == collaboration.id, Follow.need_id == collaboration.need_id)).order_by(Follow.id))]
