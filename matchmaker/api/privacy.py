"""/api/v1/account/export: everything stored about the token's user, as one JSON document."""

from __future__ import annotations

from flask import g

from matchmaker.api import api_blueprint as bp
from matchmaker.api.documented import documented
from matchmaker.database import get_session
from matchmaker.services import privacy
from matchmaker.web.privacy import export_response

SECTIONS = ("account", "organisation", "join_requests", "profiles_created", "funding_instruments_created",
            "notifications", "notification_preferences", "emails", "api_tokens", "arena_registrations",
            "meeting_requests", "collaboration_activity", "collaboration_terms_written", "follows", "match_views")
EXPORT = {"type": "object", "description": "Everything stored about you; never password or token hashes",
          "properties": {"format": {"type": "integer"}, "exported_at": {"type": "string", "format": "date-time"},
                         **{name: {} for name in SECTIONS}}}


@bp.get("/account/export")
@documented("export_account", EXPORT, description="Download your personal data (an attachment)")
def export_account():
    return export_response(privacy.export_user_data(get_session(), g.api_user))
