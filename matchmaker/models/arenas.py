"""Meeting arenas: the event, its time slots and tables, who takes part, and their meetings.

Double booking is impossible at the database level, whatever the application does: a table holds
one meeting per slot (unique slot+table on meetings) and a participant sits in one meeting per
slot (unique participant+slot on meeting_seats, whose slot always mirrors its meeting's).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.database import Base
from matchmaker.models.accounts import Organisation, User
from matchmaker.models.profiles import Profile
from matchmaker.models.types import new_external_id, one_of, utcnow
from matchmaker.vocabulary import (
    ARENA_STATUSES,
    ATTENDANCE,
    MEETING_OUTCOMES,
    MEETING_STATUSES,
    PARTICIPANT_GROUPS,
    REGISTRATION_STATUSES,
)

# The names the arena form gives numbered tables, in each interface language.
NUMBERED_TABLE = re.compile(r"^(?:Table|Bord)\s+(\d{1,4})$")
# The stored reasons; the vocabulary also labels "not_run", which is shown but never stored.
UNSCHEDULED_REASONS = ("no_common_slot", "participant_full", "no_table", "too_large", "not_reached")


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC. PostgreSQL hands back the
    session's time zone, which need not be UTC, so aware times are converted too."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Arena(Base):
    __tablename__ = "arenas"
    __table_args__ = (
        one_of("status", ARENA_STATUSES),
        CheckConstraint("meeting_minutes BETWEEN 5 AND 240", name="meeting_minutes_range"),
        CheckConstraint("max_meetings IS NULL OR max_meetings >= 1", name="max_meetings_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True, default=new_external_id)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    venue: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Oslo")
    meeting_minutes: Mapped[int] = mapped_column(Integer, default=20)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    registration_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    request_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_meetings: Mapped[int | None] = mapped_column(Integer)
    # Pairs of groups that may meet, e.g. [["supplier", "health"], ["health", "funder"]].
    allowed_pairs: Mapped[list] = mapped_column(JSON, default=list)
    schedule_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_run: Mapped[dict] = mapped_column(JSON, default=dict)  # the scheduler's last figures
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organiser: Mapped[Organisation] = relationship(lazy="joined")
    sessions: Mapped[list[ArenaSession]] = relationship(
        back_populates="arena", cascade="all, delete-orphan", order_by="(ArenaSession.day, ArenaSession.starts)")
    slots: Mapped[list[ArenaSlot]] = relationship(
        back_populates="arena", cascade="all, delete-orphan", order_by="ArenaSlot.starts_at")
    tables: Mapped[list[ArenaTable]] = relationship(
        back_populates="arena", cascade="all, delete-orphan", order_by="ArenaTable.position")

    def may_meet(self, first: str, second: str) -> bool:
        return any(sorted(pair) == sorted((first, second)) for pair in self.allowed_pairs or [])

    def __repr__(self) -> str:
        return f"<Arena {self.id} {self.title!r}>"


class ArenaSession(Base):
    """A block of meetings on one day (e.g. 09:00-12:00); the gaps between sessions are breaks."""

    __tablename__ = "arena_sessions"
    __table_args__ = (CheckConstraint("starts < ends", name="starts_before_ends"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    arena_id: Mapped[int] = mapped_column(ForeignKey("arenas.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)

    arena: Mapped[Arena] = relationship(back_populates="sessions")


class ArenaSlot(Base):
    __tablename__ = "arena_slots"
    __table_args__ = (UniqueConstraint("arena_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    arena_id: Mapped[int] = mapped_column(ForeignKey("arenas.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    arena: Mapped[Arena] = relationship(back_populates="slots")

    @property
    def start(self) -> datetime:
        return as_utc(self.starts_at)

    @property
    def end(self) -> datetime:
        return as_utc(self.ends_at)

    @property
    def day_key(self) -> str:
        """The slot's date where the arena takes place, for grouping slots by day."""
        return self.start.astimezone(ZoneInfo(self.arena.timezone)).date().isoformat()


class ArenaTable(Base):
    __tablename__ = "arena_tables"
    __table_args__ = (
        UniqueConstraint("arena_id", "name"),
        CheckConstraint("capacity BETWEEN 2 AND 3", name="capacity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    arena_id: Mapped[int] = mapped_column(ForeignKey("arenas.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(Integer, default=2)
    position: Mapped[int] = mapped_column(Integer, default=0)

    arena: Mapped[Arena] = relationship(back_populates="tables")

    @property
    def display_name(self) -> str:
        return table_label(self.name)


def table_label(name: str) -> str:
    """A numbered table made by the arena form ("Table 8", "Bord 8") in the reader's language;
    a table the organiser named stays as named."""
    numbered = NUMBERED_TABLE.match(name or "")
    if numbered is None:
        return name
    from flask_babel import gettext

    return gettext("Table %(number)s", number=numbered.group(1))


class ArenaParticipant(Base):
    """One person's registration for an arena, on behalf of their organisation."""

    __tablename__ = "arena_participants"
    __table_args__ = (
        UniqueConstraint("arena_id", "user_id"),
        one_of("status", REGISTRATION_STATUSES),
        one_of("participant_group", PARTICIPANT_GROUPS),
        CheckConstraint("max_meetings IS NULL OR max_meetings >= 1", name="max_meetings_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    arena_id: Mapped[int] = mapped_column(ForeignKey("arenas.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"))
    participant_group: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    max_meetings: Mapped[int | None] = mapped_column(Integer)
    # Slots this person cannot attend; everything else counts as available.
    unavailable_slot_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    arena: Mapped[Arena] = relationship()
    user: Mapped[User] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    profile: Mapped[Profile | None] = relationship()

    @property
    def display_name(self) -> str:
        """"Kari Nordmann, Akuttmottaket, St. Olavs hospital"."""
        from matchmaker.people import person_label

        return person_label(self.user, self.organisation)


class Meeting(Base):
    """A meeting request and, once accepted and scheduled, the meeting itself."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("slot_id", "table_id", name="uq_meetings_one_per_table_and_slot"),
        one_of("status", MEETING_STATUSES),
        one_of("attendance", ATTENDANCE),
        one_of("outcome", MEETING_OUTCOMES),
        one_of("unscheduled_reason", UNSCHEDULED_REASONS),
        CheckConstraint("(slot_id IS NULL) = (table_id IS NULL)", name="slot_and_table_together"),
        CheckConstraint("slot_id IS NULL OR status = 'accepted'", name="only_accepted_placed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    arena_id: Mapped[int] = mapped_column(ForeignKey("arenas.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("arena_participants.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("arena_participants.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    response_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    mutual: Mapped[bool] = mapped_column(Boolean, default=False)
    match_score: Mapped[float | None] = mapped_column(Float)
    match_reason: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("arena_slots.id", ondelete="SET NULL"), index=True)
    table_id: Mapped[int | None] = mapped_column(ForeignKey("arena_tables.id", ondelete="SET NULL"))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unscheduled_reason: Mapped[str | None] = mapped_column(String(30))
    attendance: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    attendance_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    arena: Mapped[Arena] = relationship()
    requester: Mapped[ArenaParticipant] = relationship(foreign_keys=[requester_id], lazy="joined")
    recipient: Mapped[ArenaParticipant] = relationship(foreign_keys=[recipient_id], lazy="joined")
    slot: Mapped[ArenaSlot | None] = relationship(lazy="joined")
    table: Mapped[ArenaTable | None] = relationship(lazy="joined")
    seats: Mapped[list[MeetingSeat]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingSeat.position", lazy="selectin")

    @property
    def participants(self) -> list[ArenaParticipant]:
        return [seat.participant for seat in self.seats]

    @property
    def third(self) -> ArenaParticipant | None:
        return self.seats[2].participant if len(self.seats) > 2 else None

    def place(self, slot: ArenaSlot, table: ArenaTable) -> None:
        """Puts the meeting at a table in a slot; its seats follow, so the seat key sees it."""
        self.slot, self.table = slot, table
        self.slot_id, self.table_id = slot.id, table.id  # now, not at the next flush: checks read them
        self.unscheduled_reason = None
        for seat in self.seats:
            seat.slot_id = slot.id

    def unplace(self) -> None:
        """Takes the meeting out of the schedule; it is no longer published or locked."""
        self.slot = self.table = self.published_at = None
        self.slot_id = self.table_id = None
        self.locked = False
        for seat in self.seats:
            seat.slot_id = None

    @property
    def is_fixed(self) -> bool:
        """Locked or published meetings stay where they are when the scheduler runs again."""
        return self.slot_id is not None and (self.locked or self.published_at is not None)

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.status} slot={self.slot_id} table={self.table_id}>"


class MeetingSeat(Base):
    """One participant of a meeting. Its slot mirrors the meeting's, so that one unique key can
    forbid a participant from being in two meetings in the same slot."""

    __tablename__ = "meeting_seats"
    __table_args__ = (
        UniqueConstraint("participant_id", "slot_id", name="uq_meeting_seats_one_per_participant_and_slot"),
    )

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("arena_participants.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # 0 requester, 1 recipient, 2 third
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("arena_slots.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(back_populates="seats")
    participant: Mapped[ArenaParticipant] = relationship(lazy="joined")


class Notification(Base):
    """An in-app message. The text is built when shown, in the reader's language, from kind and params."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
