"""Recording what people look at, for the indicators: a match list viewed counts once per view."""

from __future__ import annotations

from sqlalchemy.orm import Session

from matchmaker.models import MatchView, Profile, User


def record_match_view(session: Session, viewer: User | None, profile: Profile | None, mode: str,
                      channel: str = "web", results: int = 0) -> MatchView:
    """Log that ``viewer`` saw ``results`` matches for ``profile`` (None for free text)."""
    view = MatchView(**match_view_fields(viewer, profile, mode, channel, results))
    session.add(view)
    session.flush()
    return view


def write_match_views(session: Session, rows: list[dict]) -> None:
    session.add_all(MatchView(**fields) for fields in rows)


def match_view_fields(viewer: User | None, profile: Profile | None, mode: str, channel: str, results: int) -> dict:
    return {"user_id": getattr(viewer, "id", None),
            "viewer_organisation_id": getattr(viewer, "organisation_id", None),
            "profile_id": profile.id if profile else None,
            "profile_organisation_id": profile.organisation_id if profile else None,
            "mode": mode, "channel": channel, "results": results}
