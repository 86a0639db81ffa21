"""The arena's day for a participant: the meeting now and the next one, and rating each meeting
after it has ended; for the organiser, the day's figures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.messages import _
from matchmaker.models import Arena, ArenaParticipant, ArenaSlot, Meeting, MeetingRating, User
from matchmaker.models.arenas import as_utc
from matchmaker.models.event_day import HIGHEST_SCORE, LOWEST_SCORE
from matchmaker.models.types import utcnow
from matchmaker.services.arenas.access import ensure_organiser, ensure_party
from matchmaker.services.arenas.agenda import agenda
from matchmaker.services.arenas.check_in import arrivals
from matchmaker.services.arenas.registration import approved_participants
from matchmaker.services.errors import Conflict, ValidationFailed

SCORES = tuple(range(LOWEST_SCORE, HIGHEST_SCORE + 1))
# Often enough that the page turns to the next meeting within a minute of the bell.
REFRESH_SECONDS = 60


@dataclass
class NowAndNext:
    state: str  # "none" (no meetings), "before" (none started), "during", "done" (all ended)
    current: Meeting | None
    next: Meeting | None
    first: Meeting | None
    last_ended: Meeting | None = None  # to rate while it is fresh in mind


def now_and_next(session: Session, participant: ArenaParticipant, now: datetime | None = None) -> NowAndNext:
    """The participant's meeting under way and the one after it, from the published schedule."""
    now = now or utcnow()
    meetings = agenda(session, participant)
    current = next((m for m in meetings if m.slot.start <= now < m.slot.end), None)
    coming = [m for m in meetings if m.slot.start > now]
    if not meetings:
        state = "none"
    elif current is None and not coming:
        state = "done"
    elif len(coming) == len(meetings):
        state = "before"
    else:
        state = "during"
    ended = [m for m in meetings if m.slot.end <= now]
    return NowAndNext(state, current, coming[0] if coming else None, meetings[0] if meetings else None,
                      ended[-1] if ended else None)


def why(meeting: Meeting, me: ArenaParticipant) -> str:
    """The match reason the meeting carries, as the other side's passage: the part that tells
    this participant why they meet (the requester reads the recipient's side, and back)."""
    passages = (meeting.match_reason or {}).get("passages") or []
    pair = passages[0] if passages and isinstance(passages[0], list | tuple) else []
    side = 1 if meeting.requester_id == me.id else 0
    return str(pair[side]) if len(pair) > side else ""


def runs_today(arena: Arena, now: datetime | None = None) -> bool:
    """Whether one of the arena's slots falls on today's date where the arena takes place."""
    today = (now or utcnow()).astimezone(ZoneInfo(arena.timezone)).date().isoformat()
    return any(slot.day_key == today for slot in arena.slots)


def arenas_running_today(session: Session, arenas: list[Arena], now: datetime | None = None) -> set[int]:
    """The ids of the arenas with a slot today where each takes place, in one query for them all
    (a dashboard lists many arenas)."""
    now = now or utcnow()
    zones = {arena.id: ZoneInfo(arena.timezone) for arena in arenas}
    if not zones:
        return set()
    # Today, in any time zone, lies within a day and a half of now.
    near = session.execute(select(ArenaSlot.arena_id, ArenaSlot.starts_at).where(
        ArenaSlot.arena_id.in_(zones), ArenaSlot.starts_at.between(now - timedelta(hours=36),
                                                                   now + timedelta(hours=36))))
    return {arena_id for arena_id, start in near
            if as_utc(start).astimezone(zones[arena_id]).date() == now.astimezone(zones[arena_id]).date()}


def rate_meeting(session: Session, user: User, meeting: Meeting, score, follow_up: bool) -> MeetingRating:
    """The user's rating of a published meeting they sat in, once it has ended; rating again
    replaces their earlier rating."""
    me = ensure_party(meeting, user)
    if meeting.slot is None or meeting.published_at is None:
        raise Conflict(_("Only meetings in the published schedule can be rated."))
    if utcnow() < meeting.slot.end:
        raise Conflict(_("You can rate the meeting once it has ended."))
    if meeting.attendance == "no_show":
        raise Conflict(_("The meeting is marked as a no-show."))
    if isinstance(score, bool) or score not in SCORES:
        raise ValidationFailed(_("Please correct the marked fields."), {"score": _("Choose from 1 to 5.")})
    rating = own_rating(session, meeting, me)
    if rating is None:
        rating = _new_rating(session, meeting, me)
    rating.score, rating.follow_up, rating.rated_at = score, bool(follow_up), utcnow()
    session.flush()
    return rating


def _new_rating(session: Session, meeting: Meeting, me: ArenaParticipant) -> MeetingRating:
    try:
        with session.begin_nested():
            rating = MeetingRating(meeting_id=meeting.id, participant_id=me.id, score=LOWEST_SCORE)
            session.add(rating)
    except IntegrityError:  # the same person rating from two devices at once
        raise Conflict(_("You have just rated this meeting. Reload the page to change your rating.")) from None
    return rating


def own_rating(session: Session, meeting: Meeting, me: ArenaParticipant) -> MeetingRating | None:
    return session.scalar(select(MeetingRating).where(
        MeetingRating.meeting_id == meeting.id, MeetingRating.participant_id == me.id))


def ratings_by_meeting(session: Session, me: ArenaParticipant) -> dict[int, MeetingRating]:
    found = session.scalars(select(MeetingRating).where(MeetingRating.participant_id == me.id))
    return {rating.meeting_id: rating for rating in found}


def has_ended(meeting: Meeting, now: datetime | None = None) -> bool:
    return meeting.slot is not None and meeting.slot.end <= (now or utcnow())


@dataclass
class DayFigures:
    expected: int  # approved participants with a meeting in the published schedule
    arrived: int  # approved participants checked in
    not_arrived: int  # expected, and not checked in
    ended_meetings: int
    rated_meetings: int  # ended meetings that at least one side rated
    follow_ups: int  # ratings asking to follow up
    scores: Counter  # score -> number of ratings

    @property
    def mean_rating(self) -> float | None:
        total = sum(self.scores.values())
        return sum(score * count for score, count in self.scores.items()) / total if total else None

    @property
    def rated_share(self) -> float | None:
        return self.rated_meetings / self.ended_meetings if self.ended_meetings else None


def day_figures(session: Session, user: User, arena: Arena) -> DayFigures:
    ensure_organiser(user, arena)
    published = list(session.scalars(select(Meeting).where(
        Meeting.arena_id == arena.id, Meeting.status == "accepted", Meeting.slot_id.is_not(None),
        Meeting.published_at.is_not(None))))
    ratings = list(session.scalars(select(MeetingRating).join(Meeting, MeetingRating.meeting_id == Meeting.id)
                                   .where(Meeting.arena_id == arena.id)))
    approved = {p.id for p in approved_participants(session, arena)}
    expected = {p.id for m in published for p in m.participants} & approved
    arrived = set(arrivals(session, arena)) & approved
    ended = [m for m in published if has_ended(m)]
    return DayFigures(
        expected=len(expected), arrived=len(arrived), not_arrived=len(expected - arrived),
        ended_meetings=len(ended), rated_meetings=len({r.meeting_id for r in ratings}),
        follow_ups=sum(1 for r in ratings if r.follow_up),
        scores=Counter({score: sum(1 for r in ratings if r.score == score) for score in SCORES}))


def proposal_profiles(meeting: Meeting, me: ArenaParticipant | None) -> tuple | None:
    """(need, capability) when the meeting joins a department's need and a supplier's product and
    one of them is the participant's own: a test collaboration can then be proposed from it."""
    profiles = [p.profile for p in meeting.participants if p.profile is not None]
    need = next((p for p in profiles if p.kind == "need"), None)
    capability = next((p for p in profiles if p.kind == "capability"), None)
    if me is None or need is None or capability is None or me.profile not in (need, capability):
        return None
    return need, capability
