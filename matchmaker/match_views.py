"""Match views seen in a request, for the indicators (see ``matchmaker.services.activity``):
written after the request's answer is ready, a batch at a time, and never a reason for that
answer to fail or wait (see ``matchmaker.database.after_commit``)."""

from __future__ import annotations

from flask import current_app

from matchmaker.batched_writes import BatchedWrites
from matchmaker.database import after_commit, get_database
from matchmaker.models import Profile, User
from matchmaker.services import activity


def record_match_view_after(viewer: User | None, profile: Profile | None, mode: str, channel: str = "web",
                            results: int = 0) -> None:
    """Log that ``viewer`` saw ``results`` matches for ``profile`` (None for free text)."""
    full = _match_views().add(activity.match_view_fields(viewer, profile, mode, channel, results))
    if full:
        after_commit(lambda session: activity.write_match_views(session, full), "match views")


def _match_views() -> BatchedWrites:
    """This process's match views waiting to be written (MATCH_VIEW_BATCH rows at a time)."""
    batched = current_app.extensions.get("matchmaker.match_views")
    if batched is None:
        database, config = get_database(), current_app.config
        batched = BatchedWrites(activity.write_match_views, lambda: database.session_scope(immediate=True),
                                config.get("MATCH_VIEW_BATCH", 50), config.get("MATCH_VIEW_SECONDS", 5.0))
        batched = current_app.extensions.setdefault("matchmaker.match_views", batched)
    return batched
