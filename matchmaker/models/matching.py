"""Stored embeddings and the change log that keeps every worker's in-memory index current."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.database import Base
from matchmaker.models.types import utcnow


class ProfileVector(Base):
    """A profile's vectors under one encoder. ``text_hash`` covers the text and the encoder,
    so unchanged text is never embedded twice, whichever process or host asks."""

    __tablename__ = "profile_vectors"

    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    text_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    passages: Mapped[list] = mapped_column(JSON, default=list)
    passage_vectors: Mapped[bytes] = mapped_column(LargeBinary)
    # Detected from the embedded text rather than taken from the profile's tag: the language
    # mean taken off the vector must be the one the text is written in.
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class IndexChange(Base):
    """Append-only: a profile whose text, status or visibility changed. Each worker applies
    the entries it has not seen before answering a match, so all agree without rebuilding."""

    __tablename__ = "index_changes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    profile_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
