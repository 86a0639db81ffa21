"""Organisations, the people who act for them, and their API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.database import Base
from matchmaker.models.types import new_external_id, one_of, utcnow
from matchmaker.vocabulary import COMPANY_SIZES, COUNTRIES, ORGANISATION_KINDS

# Clinical departments and health trusts: they publish needs, join other trusts' needs and see
# their trust's indicators.
CARE_PROVIDER_KINDS = ("clinical_department", "health_trust")
HEALTH_KINDS = (*CARE_PROVIDER_KINDS, "regional_health_authority")


def trust_id(organisation_id: int, kind: str, parent_id: int | None) -> int:
    """The trust an organisation belongs to: a department's parent, else itself (a trust, or a
    department registered without one). Also for rows read without building objects."""
    return parent_id if kind == "clinical_department" and parent_id else organisation_id
# What a person may do in their own organisation: administrators manage its members.
ORGANISATION_ROLES = ("admin", "member")


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        one_of("kind", ORGANISATION_KINDS),
        one_of("country", COUNTRIES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True, default=new_external_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    country: Mapped[str] = mapped_column(String(8), default="NO")
    org_number: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    size: Mapped[str | None] = mapped_column(String(10))
    founded: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    # An administrator's refusal, kept so that the members can read why.
    declined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    declined_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    decline_reason: Mapped[str | None] = mapped_column(Text)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Organisation]] = relationship(back_populates="parent")
    members: Mapped[list[User]] = relationship(
        back_populates="organisation", foreign_keys="User.organisation_id"
    )

    @property
    def trust_id(self) -> int:
        return trust_id(self.id, self.kind, self.parent_id)

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def is_declined(self) -> bool:
        return self.approved_at is None and self.declined_at is not None

    @property
    def size_label(self) -> str:
        return str(COMPANY_SIZES.get(self.size or "", ""))

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r} {self.kind}>"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation_role: Mapped[str] = mapped_column(String(10), default="member", server_default="member")
    locale: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation | None] = relationship(
        back_populates="members", foreign_keys=[organisation_id]
    )
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.created_at"
    )

    @property
    def password_digest(self) -> str:
        """Changes with the password. Sessions and reset links carry it, so a new password ends
        them; a digest, never the hash, because both can be read by whoever holds them."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:24]

    def get_id(self) -> str:
        """The session key: the id plus the password digest, so changing or resetting the
        password signs out every other session and "keep me signed in" cookie."""
        return f"{self.id}.{self.password_digest}"

    @property
    def role(self) -> str:
        """The role that decides the dashboard: admin, supplier, health, funder or organiser."""
        if self.is_admin:
            return "admin"
        kind = self.organisation.kind if self.organisation else None
        if kind in HEALTH_KINDS:
            return "health"
        return {"supplier": "supplier", "funding_agency": "funder", "arena_organiser": "organiser"}.get(
            kind, "member"
        )

    @property
    def is_organisation_admin(self) -> bool:
        return self.organisation_id is not None and self.organisation_role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class ApiToken(Base):
    """A personal API token. Only a SHA-256 hash is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
