"""Test and verification collaborations between a supplier and a clinical department on a need.

The terms are versioned, never overwritten, and every stage change, comment and edit is an event
with who and when: both parties read the same record and can trust it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.database import Base
from matchmaker.models.accounts import Organisation, User
from matchmaker.models.profiles import Profile
from matchmaker.models.types import new_external_id, one_of, utcnow
from matchmaker.vocabulary import COLLABORATION_STAGES, TEST_TYPES

EVENT_KINDS = ("created", "stage", "terms", "comment", "listing", "agreed", "result")


class Collaboration(Base):
    __tablename__ = "collaborations"
    __table_args__ = (one_of("stage", COLLABORATION_STAGES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True, default=new_external_id)
    need_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    capability_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    # Listed publicly only when both parties say so.
    listed_by_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
    listed_by_department: Mapped[bool] = mapped_column(Boolean, default=False)
    # The version of the terms each side has agreed to; both on the current one = agreement.
    supplier_agreed_version: Mapped[int | None] = mapped_column(Integer)
    department_agreed_version: Mapped[int | None] = mapped_column(Integer)
    result_summary: Mapped[str] = mapped_column(Text, default="")
    result_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    stage_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    need: Mapped[Profile] = relationship(foreign_keys=[need_id], lazy="joined")
    capability: Mapped[Profile | None] = relationship(foreign_keys=[capability_id], lazy="joined")
    supplier: Mapped[Organisation] = relationship(foreign_keys=[supplier_id], lazy="joined")
    department: Mapped[Organisation] = relationship(foreign_keys=[department_id], lazy="joined")
    terms: Mapped[list[CollaborationTerms]] = relationship(
        back_populates="collaboration", cascade="all, delete-orphan", order_by="CollaborationTerms.version")
    events: Mapped[list[CollaborationEvent]] = relationship(
        back_populates="collaboration", cascade="all, delete-orphan", order_by="CollaborationEvent.id")

    @property
    def current_terms(self) -> CollaborationTerms | None:
        return self.terms[-1] if self.terms else None

    @property
    def is_listed(self) -> bool:
        return self.listed_by_supplier and self.listed_by_department

    @property
    def party_ids(self) -> tuple[int, int]:
        return (self.supplier_id, self.department_id)


class CollaborationTerms(Base):
    """One version of the terms; editing adds a version, so the history stays readable."""

    __tablename__ = "collaboration_terms"
    __table_args__ = (UniqueConstraint("collaboration_id", "version"), one_of("test_type", TEST_TYPES))

    id: Mapped[int] = mapped_column(primary_key=True)
    collaboration_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(Text, default="")
    test_type: Mapped[str] = mapped_column(String(40))
    site: Mapped[str] = mapped_column(String(300), default="")
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    supplier_contribution: Mapped[str] = mapped_column(Text, default="")
    department_contribution: Mapped[str] = mapped_column(Text, default="")
    data_access: Mapped[str] = mapped_column(Text, default="")
    dpia_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    ip_terms: Mapped[str] = mapped_column(Text, default="")
    cost_terms: Mapped[str] = mapped_column(Text, default="")
    funding_sought: Mapped[str] = mapped_column(Text, default="")
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    collaboration: Mapped[Collaboration] = relationship(back_populates="terms")
    edited_by: Mapped[User | None] = relationship(lazy="joined")


class CollaborationEvent(Base):
    __tablename__ = "collaboration_events"
    __table_args__ = (one_of("kind", EVENT_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collaboration_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    terms_version: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    collaboration: Mapped[Collaboration] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class NeedCoOwner(Base):
    """A department of another trust that has joined a need, making it a joint need."""

    __tablename__ = "need_co_owners"
    __table_args__ = (UniqueConstraint("need_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    site: Mapped[str] = mapped_column(String(300), default="")
    patient_volume: Mapped[str] = mapped_column(String(300), default="")
    joined_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
