"""Recording what people look at, for the indicators: a match list viewed counts once per view."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from matchmaker.batched_writes import BatchedWrites
from matchmaker.database import after_commit, get_database
from matchmaker.models import MatchView, Profile, User


def record_match_view(session: Session, viewer: User | None, profile: Profile | None, mode: str,
                      channel: str = "web", results: int = 0) -> MatchView:
    """Log that ``viewer`` saw ``results`` matches for ``profile`` (None for free text)."""
    view = MatchView(**_fields(viewer, profile, mode, channel, results))
    session.add(view)
    session.flush()
    return view


def record_match_view_after(viewer: User | None, profile: Profile | None, mode: str, channel: str = "web",
                            results: int = 0) -> None:
    """The same, for a request that shows the matches: written after its answer is ready, and
    never a reason for that answer to fail or wait (see ``matchmaker.database.after_commit``)."""
    full = _match_views().add(_fields(viewer, profile, mode, channel, results))
    if full:
        after_commit(lambda session: _write_match_views(session, full), "match views")


def _match_views() -> BatchedWrites:
    """This process's match views waiting to be written (MATCH_VIEW_BATCH rows at a time)."""
    batched = current_app.extensions.get("matchmaker.match_views")
    if batched is None:
        database, config = get_database(), current_app.config
        batched = BatchedWrites(_write_match_views, lambda: database.session_scope(immediate=True),
                                config.get("MATCH_VIEW_BATCH", 50), config.get("MATCH_VIEW_SECONDS", 5.0))
        batched = current_app.extensions.setdefault("matchmaker.match_views", batched)
    return batched


def _write_match_views(session: Session, rows: list[dict]) -> None:
    session.add_all(MatchView(**fields) for fields in rows)


def _fields(viewer: User | None, profile: Profile | None, mode: str, channel: str, results: int) -> dict:
    return {"user_id": getattr(viewer, "id", None),
            "viewer_organisation_id": getattr(viewer, "organisation_id", None),
            "profile_id": profile.id if profile else None,
            "profile_organisation_id": profile.organisation_id if profile else None,
            "mode": mode, "channel": channel, "results": results}
