"""The arena's day itself: who has arrived, and what each side thought of a meeting afterwards.

Both live in tables of their own rather than as columns on registrations and meetings: an arrival
is a fact of the day (undone by deleting it), and a meeting has one rating per person in it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.database import Base
from matchmaker.models.arenas import ArenaParticipant, Meeting
from matchmaker.models.types import utcnow

LOWEST_SCORE, HIGHEST_SCORE = 1, 5


class Arrival(Base):
    """A participant checked in at the venue by the organiser."""

    __tablename__ = "arena_arrivals"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("arena_participants.id", ondelete="CASCADE"), primary_key=True)
    arrived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    participant: Mapped[ArenaParticipant] = relationship(lazy="joined")


class MeetingRating(Base):
    """One person's rating of a meeting they sat in, once it had ended."""

    __tablename__ = "meeting_ratings"
    __table_args__ = (
        UniqueConstraint("meeting_id", "participant_id", name="uq_meeting_ratings_one_per_person"),
        CheckConstraint(f"score BETWEEN {LOWEST_SCORE} AND {HIGHEST_SCORE}", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("arena_participants.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    follow_up: Mapped[bool] = mapped_column(Boolean, default=False)
    rated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    meeting: Mapped[Meeting] = relationship()
