"""The notification list, and the unread count every page shows in the menu."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from matchmaker.database import get_session, writes
from matchmaker.services import notifications

bp = Blueprint("notifications", __name__)

def link(notification) -> str | None:
    """Where a notification leads is decided by the service, so e-mails carry the same links."""
    return notifications.link(get_session(), notification)


@bp.get("/notifications")
@writes
def index():
    db = get_session()
    items = notifications.recent(db, current_user)
    unread = {n.id for n in items if n.read_at is None}
    notifications.mark_all_read(db, current_user)
    return render_template("notifications/index.html", items=items, unread=unread,
                           message=notifications.message, link=link)


def unread_count() -> int:
    if not current_user.is_authenticated:
        return 0
    return notifications.unread_count(get_session(), current_user)
