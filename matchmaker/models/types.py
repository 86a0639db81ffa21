"""Column helpers shared by the models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, and_


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(column: str, codes, name: str | None = None) -> CheckConstraint:
    """A CHECK constraint keeping a code column inside its vocabulary."""
    allowed = ", ".join(f"'{code}'" for code in codes)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or f"{column}_allowed")


def new_external_id() -> str:
    """Every row gets a stable external id, so exports re-import as updates, never duplicates."""
    return uuid.uuid4().hex


class Publishable:
    """What anyone may see: published, by an organisation an administrator approved. The one
    definition for pages, the API, matching, dashboards and funding."""

    @property
    def is_public(self) -> bool:
        return self.status == "published" and self.organisation.is_approved

    @classmethod
    def public_clause(cls):
        """The same rule in SQL; the query must join the row's organisation."""
        from matchmaker.models.accounts import Organisation

        return and_(cls.status == "published", Organisation.approved_at.is_not(None))
