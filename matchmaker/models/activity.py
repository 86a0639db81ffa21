"""What people do that indicators count but no other table records, and how they want to hear
about things: match views, notification preferences and the e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.database import Base
from matchmaker.models.types import one_of, utcnow
from matchmaker.vocabulary import NOTIFICATION_TOPICS

MATCH_VIEW_MODES = ("matches", "similar", "search", "instruments")
MATCH_VIEW_CHANNELS = ("web", "api")


class MatchView(Base):
    """Someone looked at a list of matches: for a profile, similar needs, free text or funding."""

    __tablename__ = "match_views"
    __table_args__ = (one_of("mode", MATCH_VIEW_MODES), one_of("channel", MATCH_VIEW_CHANNELS))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The viewer's organisation, and the organisation whose profile was matched (None for free text).
    viewer_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"), index=True)
    profile_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10), default="web")
    results: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class NotificationPreference(Base):
    """One topic's channels for one user. No row means the default: in the app, and no e-mail."""

    __tablename__ = "notification_preferences"
    __table_args__ = (one_of("topic", NOTIFICATION_TOPICS),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(20), primary_key=True)
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxEmail(Base):
    """An e-mail waiting for a mail sender. Written in the same transaction as what caused it, so
    nothing is sent for work that was rolled back, and nothing is lost if the sender is down."""

    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), default="")
    # What a reminder is about (e.g. one funding deadline), so it is sent once even by e-mail alone.
    reference: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
