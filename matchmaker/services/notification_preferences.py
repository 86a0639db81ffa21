"""How each user wants to hear about each topic: in the app, by e-mail, both or neither.

A topic without a stored row means the default, in the app and no e-mail, so nobody gets
e-mail they never asked for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import User
from matchmaker.models.activity import NotificationPreference
from matchmaker.services.errors import ValidationFailed
from matchmaker.vocabulary import NOTIFICATION_TOPICS

CHANNELS = ("in_app", "email")


@dataclass(frozen=True)
class Channels:
    in_app: bool = True
    email: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {"in_app": self.in_app, "email": self.email}


DEFAULT = Channels()


def channels_for(session: Session, user: User, topic: str | None) -> Channels:
    """The channels of one topic; a kind without a topic gets the default."""
    if topic is None:
        return DEFAULT
    row = session.get(NotificationPreference, (user.id, topic))
    return DEFAULT if row is None else Channels(row.in_app, row.email)


def all_channels(session: Session, user: User) -> dict[str, Channels]:
    rows = {row.topic: row for row in session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    return {topic: Channels(rows[topic].in_app, rows[topic].email) if topic in rows else DEFAULT
            for topic in NOTIFICATION_TOPICS}


def save(session: Session, user: User, choices: Mapping[str, Channels]) -> dict[str, Channels]:
    """Stores the given topics' channels; topics left out keep theirs."""
    unknown = sorted(set(choices) - set(NOTIFICATION_TOPICS))
    if unknown:
        raise ValidationFailed(_("Unknown notification topic."),
                               {topic: _("Unknown notification topic.") for topic in unknown})
    for topic, channels in choices.items():
        row = session.get(NotificationPreference, (user.id, topic))
        if row is None:
            row = NotificationPreference(user_id=user.id, topic=topic)
            session.add(row)
        row.in_app, row.email = channels.in_app, channels.email
    session.flush()
    return all_channels(session, user)


def from_json(session: Session, user: User, body: Mapping[str, Any]) -> dict[str, Channels]:
    """Choices from a JSON object like {"deadlines": {"email": true}}. A channel left out keeps
    its current value, so clients can change one switch without knowing the others."""
    current = all_channels(session, user)
    choices, errors = {}, {}
    for topic, value in body.items():
        if topic not in NOTIFICATION_TOPICS:
            errors[topic] = _("Unknown notification topic.")
        elif not isinstance(value, dict) or set(value) - set(CHANNELS) or \
                not all(isinstance(flag, bool) for flag in value.values()):
            errors[topic] = _("Give in_app and/or email as true or false.")
        else:
            choices[topic] = Channels(**{**current[topic].as_dict(), **value})
    if errors:
        raise ValidationFailed(_("Some notification preferences are not valid."), errors)
    return choices
