"""Administration: the audit log in sentences, newest first, filtered by action."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from matchmaker.database import get_session
from matchmaker.services import audit, permissions
from matchmaker.web.helpers import optional_id

bp = Blueprint("audit_log", __name__, url_prefix="/admin")


@bp.before_request
def _require_admin():
    permissions.ensure_admin(current_user)


@bp.get("/audit")
def index():
    # Any code filters, not only the known ones, so older or newer codes can be found too.
    db = get_session()
    action = (request.args.get("action") or "").strip()[:60] or None
    page = audit.list_entries(db, action, optional_id(request.args.get("page")) or 1)
    return render_template("admin/audit.html", page=page, described=audit.describe(db, page.items),
                           action=action, actions=audit.ACTIONS)
