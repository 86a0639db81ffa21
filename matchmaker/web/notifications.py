"""The notification list, and the unread count every page shows in the menu."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_login import current_user, login_required

from matchmaker.database import get_session
from matchmaker.models import Notification
from matchmaker.services import notifications

bp = Blueprint("notifications", __name__)

# Where each kind of notification leads.
TARGETS = {
    "registration_received": "arena_organiser.registrations",
    "meeting_requested": "arenas.my_requests",
    "meeting_accepted": "arenas.my_requests",
    "meeting_declined": "arenas.my_requests",
    "meeting_expired": "arenas.my_requests",
    "meeting_cancelled": "arenas.my_requests",
    "schedule_published": "arenas.my_agenda",
    "meeting_moved": "arenas.my_agenda",
    "meeting_removed": "arenas.my_agenda",
}


def link(notification: Notification) -> str | None:
    collaboration_id = (notification.params or {}).get("collaboration_id")
    if collaboration_id is not None:
        return url_for("collaborations.detail", collaboration_id=collaboration_id)
    arena_id = (notification.params or {}).get("arena_id")
    if arena_id is None:
        return None
    return url_for(TARGETS.get(notification.kind, "arenas.detail"), arena_id=arena_id)


@bp.get("/notifications")
@login_required
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
