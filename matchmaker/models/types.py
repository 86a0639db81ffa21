"""Column helpers shared by the models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(column: str, codes, name: str | None = None) -> CheckConstraint:
    """A CHECK constraint keeping a code column inside its vocabulary."""
    allowed = ", ".join(f"'{code}'" for code in codes)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or f"{column}_allowed")


def new_external_id() -> str:
    """Every row gets a stable external id, so exports re-import as updates, never duplicates."""
    return uuid.uuid4().hex
