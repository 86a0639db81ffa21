"""Need and capability profiles, stored in one table (single-table inheritance).

Both kinds share title, text, language, status, owner and tags, so browsing, import and the
matching index can treat them alike; kind-specific columns are nullable.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.database import Base
from matchmaker.models.accounts import Organisation, User
from matchmaker.models.types import Publishable, new_external_id, one_of, utcnow
from matchmaker.vocabulary import PROFILE_LANGUAGES, PROFILE_STATUSES

PROFILE_KINDS = ("need", "capability")
TAG_FACETS = ("clinical_area", "care_setting", "test_type", "affected_group")


class ProfileTag(Base):
    """One code of one facet (clinical area, care setting...) on a profile."""

    __tablename__ = "profile_tags"

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    facet: Mapped[str] = mapped_column(String(30), primary_key=True)
    code: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class Profile(Publishable, Base):
    __tablename__ = "profiles"
    __table_args__ = (
        UniqueConstraint("kind", "external_id"),
        one_of("kind", PROFILE_KINDS),
        one_of("status", PROFILE_STATUSES),
        one_of("language", PROFILE_LANGUAGES),
        CheckConstraint("trl IS NULL OR trl BETWEEN 1 AND 9", name="trl_range"),
        CheckConstraint(
            "trl_min IS NULL OR trl_max IS NULL OR (1 <= trl_min AND trl_min <= trl_max AND trl_max <= 9)",
            name="trl_min_max",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    external_id: Mapped[str] = mapped_column(String(200), default=new_external_id)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    regulatory_class: Mapped[str | None] = mapped_column(String(20))
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    tags: Mapped[list[ProfileTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=ProfileTag.code
    )

    __mapper_args__ = {"polymorphic_on": "kind"}

    def codes(self, facet: str) -> list[str]:
        return [tag.code for tag in self.tags if tag.facet == facet]

    def set_codes(self, facet: str, codes: list[str]) -> None:
        """Replace one facet's codes, keeping rows that stay so no key is deleted and re-added."""
        wanted = list(dict.fromkeys(codes))
        kept = [t for t in self.tags if t.facet != facet or t.code in wanted]
        present = {t.code for t in kept if t.facet == facet}
        added = [ProfileTag(facet=facet, code=c) for c in wanted if c not in present]
        self.tags = kept + added

    @property
    def clinical_areas(self) -> list[str]:
        return self.codes("clinical_area")

    @property
    def care_settings(self) -> list[str]:
        return self.codes("care_setting")

    @property
    def test_types(self) -> list[str]:
        return self.codes("test_type")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.title!r} {self.status}>"


class NeedProfile(Profile):
    """A clinical department's need: a problem, and what it offers for testing a solution."""

    __mapper_args__ = {"polymorphic_identity": "need"}
    kind_name: ClassVar[str] = "need"

    current_pathway: Mapped[str | None] = mapped_column(Text)
    patient_volume: Mapped[str | None] = mapped_column(String(200))
    test_offer: Mapped[str | None] = mapped_column(Text)
    test_period: Mapped[str | None] = mapped_column(String(200))
    trl_min: Mapped[int | None] = mapped_column(Integer)
    trl_max: Mapped[int | None] = mapped_column(Integer)
    evidence_level: Mapped[str | None] = mapped_column(String(300))
    dpia_needed: Mapped[bool | None] = mapped_column(Boolean)
    patient_data: Mapped[bool | None] = mapped_column(Boolean)
    procurement_route: Mapped[str | None] = mapped_column(String(40))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))

    @property
    def affected_groups(self) -> list[str]:
        return self.codes("affected_group")


class CapabilityProfile(Profile):
    """A supplier's product or service and the test it seeks."""

    __mapper_args__ = {"polymorphic_identity": "capability"}
    kind_name: ClassVar[str] = "capability"

    trl: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str | None] = mapped_column(Text)
    clinic_needs: Mapped[str | None] = mapped_column(Text)
    funding_sought: Mapped[str | None] = mapped_column(String(300))
