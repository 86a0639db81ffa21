"""/api/v1/notifications and /api/v1/notification-preferences for the token's user."""

from __future__ import annotations

from contextlib import nullcontext

from flask import g
from flask_babel import force_locale

from matchmaker.api import api_blueprint as bp
from matchmaker.api.documented import documented
from matchmaker.api.params import bad_body, json_body
from matchmaker.database import get_session
from matchmaker.models import Notification, User
from matchmaker.models.arenas import as_utc
from matchmaker.services import notification_preferences as preferences
from matchmaker.services import notifications
from matchmaker.vocabulary import INTERFACE_LOCALES, NOTIFICATION_TOPICS

CHANNELS = {"type": "object", "additionalProperties": False,
            "properties": {"in_app": {"type": "boolean"}, "email": {"type": "boolean"}}}
PREFERENCES = {"type": "object", "description": "Channels per topic: " + ", ".join(NOTIFICATION_TOPICS),
               "properties": {topic: CHANNELS for topic in NOTIFICATION_TOPICS}, "additionalProperties": False}
NOTIFICATION = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string"}, "topic": {"type": ["string", "null"]},
    "message": {"type": "string", "description": "Worded in the user's language"},
    "link": {"type": ["string", "null"]}, "read": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"}}}
NOTIFICATION_LIST = {"type": "object", "properties": {"items": {"type": "array", "items": NOTIFICATION},
                                                      "unread": {"type": "integer"}}}


def _user_language(user: User):
    """Messages in the user's stored language; without one, in the request's."""
    return force_locale(user.locale) if user.locale in INTERFACE_LOCALES else nullcontext()


def _serialise(notification: Notification) -> dict:
    params = notification.params or {}
    return {"id": notification.id, "kind": notification.kind, "topic": notifications.KIND_TOPICS.get(notification.kind),
            "message": notifications.message(notification),
            "link": notifications.absolute_link(get_session(), notification.kind, params),
            "read": notification.read_at is not None, "created_at": as_utc(notification.created_at).isoformat()}


@bp.get("/notifications")
@documented("list_notifications", NOTIFICATION_LIST, description="Your recent notifications")
def list_notifications():
    db, user = get_session(), g.api_user
    with _user_language(user):
        items = [_serialise(n) for n in notifications.recent(db, user)]
    return {"items": items, "unread": notifications.unread_count(db, user)}


@bp.post("/notifications/read")
@documented("mark_notifications_read", {"type": "object", "properties": {"marked": {"type": "integer"}}},
            description="Mark all your notifications read")
def mark_notifications_read():
    return {"marked": notifications.mark_all_read(get_session(), g.api_user)}


def _preferences_body(choices: dict) -> dict:
    return {topic: channels.as_dict() for topic, channels in choices.items()}


@bp.get("/notification-preferences")
@documented("get_notification_preferences", PREFERENCES)
def get_notification_preferences():
    return _preferences_body(preferences.all_channels(get_session(), g.api_user))


@bp.put("/notification-preferences")
@documented("put_notification_preferences", PREFERENCES, body=PREFERENCES,
            errors={"400": None, "422": "Unknown topic or channel; see error.fields"},
            description="Change some topics' channels; what is left out stays as it is")
def put_notification_preferences():
    body = json_body()
    if body is None:
        return bad_body()
    db, user = get_session(), g.api_user
    return _preferences_body(preferences.save(db, user, preferences.from_json(db, user, body)))
