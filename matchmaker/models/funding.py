"""Funding instruments published by funding agencies, the collaborations that seek them, and
what funders follow."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.database import Base
from matchmaker.models.accounts import Organisation, User
from matchmaker.models.types import Publishable, new_external_id, one_of, utcnow
from matchmaker.vocabulary import PROFILE_LANGUAGES, PROFILE_STATUSES


class FundingInstrument(Publishable, Base):
    """A call or programme: who may apply, how much, by when, what it funds and its conditions.

    Its vectors live on the row (instruments are few); ``text_hash`` covers text and encoder so
    unchanged text is never embedded twice."""

    __tablename__ = "funding_instruments"
    __table_args__ = (
        one_of("status", PROFILE_STATUSES),
        one_of("language", PROFILE_LANGUAGES),
        CheckConstraint("amount_min IS NULL OR amount_max IS NULL OR amount_min <= amount_max",
                        name="amount_range"),
        CheckConstraint("min_trusts IS NULL OR min_trusts BETWEEN 1 AND 50", name="min_trusts_range"),
        CheckConstraint("trl_min IS NULL OR trl_max IS NULL OR (1 <= trl_min AND trl_min <= trl_max AND trl_max <= 9)",
                        name="instrument_trl_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True, default=new_external_id)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    # Codes of FUNDING_APPLICANTS and FUNDING_PURPOSES.
    applicants: Mapped[list] = mapped_column(JSON, default=list)
    purposes: Mapped[list] = mapped_column(JSON, default=list)
    amount_min: Mapped[int | None] = mapped_column(Integer)
    amount_max: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="NOK")
    # None means a rolling call.
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    # "Binding participation of N or more trusts"; None when not required.
    min_trusts: Mapped[int | None] = mapped_column(Integer)
    requires_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
    trl_min: Mapped[int | None] = mapped_column(Integer)
    trl_max: Mapped[int | None] = mapped_column(Integer)
    # Empty lists mean "any".
    clinical_areas: Mapped[list] = mapped_column(JSON, default=list)
    countries: Mapped[list] = mapped_column(JSON, default=list)
    requirements: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    vector_model: Mapped[str | None] = mapped_column(String(200))
    text_hash: Mapped[str | None] = mapped_column(String(64))
    dim: Mapped[int | None] = mapped_column(Integer)
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)
    passages: Mapped[list] = mapped_column(JSON, default=list)
    passage_vectors: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def is_rolling(self) -> bool:
        return self.deadline is None


class FundingLink(Base):
    """The parties of a collaboration seek an instrument; its agency may then read the collaboration."""

    __tablename__ = "funding_links"
    __table_args__ = (UniqueConstraint("collaboration_id", "instrument_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collaboration_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id", ondelete="CASCADE"), index=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("funding_instruments.id", ondelete="CASCADE"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    instrument: Mapped[FundingInstrument] = relationship(lazy="joined")


class Follow(Base):
    """A user (typically a funder) follows a need or a collaboration and hears about its changes."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "need_id"),
        UniqueConstraint("user_id", "collaboration_id"),
        CheckConstraint("(need_id IS NULL) <> (collaboration_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    collaboration_id: Mapped[int | None] = mapped_column(ForeignKey("collaborations.id", ondelete="CASCADE"),
                                                         index=True)
    # The instrument that made it interesting, if any.
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("funding_instruments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
