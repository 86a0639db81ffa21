"""/api/v1/notifications and /api/v1/notification-preferences for the token's user."""

from __future__ import annotations

from contextlib import nullcontext

from flask import g
from flask_babel import force_locale

from matchmaker.api import api_blueprint as bp
from matchmaker.api.params import bad_body, json_body
from matchmaker.database import get_session
from matchmaker.models import Notification, User
from matchmaker.models.arenas import as_utc
from matchmaker.services import notification_preferences as preferences
from matchmaker.services import notifications
from matchmaker.vocabulary import INTERFACE_LOCALES, NOTIFICATION_TOPICS


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
def list_notifications():
    db, user = get_session(), g.api_user
    with _user_language(user):
        items = [_serialise(n) for n in notifications.recent(db, user)]
    return {"items": items, "unread": notifications.unread_count(db, user)}


@bp.post("/notifications/read")
def mark_notifications_read():
    return {"marked": notifications.mark_all_read(get_session(), g.api_user)}


def _preferences_body(choices: dict) -> dict:
    return {topic: channels.as_dict() for topic, channels in choices.items()}


@bp.get("/notification-preferences")
def get_notification_preferences():
    return _preferences_body(preferences.all_channels(get_session(), g.api_user))


@bp.put("/notification-preferences")
def put_notification_preferences():
    body = json_body()
    if body is None:
        return bad_body()
    db, user = get_session(), g.api_user
    return _preferences_body(preferences.save(db, user, preferences.from_json(db, user, body)))


# --- OpenAPI -----------------------------------------------------------------------------------

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_CHANNELS = {"type": "object", "additionalProperties": False,
             "properties": {"in_app": {"type": "boolean"}, "email": {"type": "boolean"}}}
_PREFERENCES = {"type": "object", "description": "Channels per topic: " + ", ".join(NOTIFICATION_TOPICS),
                "properties": {topic: _CHANNELS for topic in NOTIFICATION_TOPICS}, "additionalProperties": False}
_NOTIFICATION = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string"}, "topic": {"type": ["string", "null"]},
    "message": {"type": "string", "description": "Worded in the user's language"},
    "link": {"type": ["string", "null"]}, "read": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"}}}
_LIST = {"type": "object", "properties": {"items": {"type": "array", "items": _NOTIFICATION},
                                          "unread": {"type": "integer"}}}


_TOKEN = {"401": "Missing, unknown or revoked API token"}


def _ok(schema: dict, errors: dict[str, str]) -> dict:
    responses = {"200": {"description": "Success", "content": {"application/json": {"schema": schema}}}}
    responses.update({status: {"description": text, **_ERROR} for status, text in errors.items()})
    return responses


def notification_paths() -> dict:
    return {
        "/notifications": {"get": {"operationId": "list_notifications", "description": "Your recent notifications",
                                   "responses": _ok(_LIST, _TOKEN)}},
        "/notifications/read": {"post": {
            "operationId": "mark_notifications_read", "description": "Mark all your notifications read",
            "responses": _ok({"type": "object", "properties": {"marked": {"type": "integer"}}}, _TOKEN)}},
        "/notification-preferences": {
            "get": {"operationId": "get_notification_preferences", "responses": _ok(_PREFERENCES, _TOKEN)},
            "put": {"operationId": "put_notification_preferences",
                    "description": "Change some topics' channels; what is left out stays as it is",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _PREFERENCES}}},
                    "responses": _ok(_PREFERENCES, {"400": "Malformed request body", **_TOKEN,
                                                   "422": "Unknown topic or channel; see error.fields"})}},
    }
