"""How each user wants to hear about each topic: in the app, by e-mail, both or neither.

A topic without a stored row means the default, in the app and no e-mail, so nobody gets
e-mail they never asked for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, create_model
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.messages import _
from matchmaker.models import User
from matchmaker.models.activity import NotificationPreference
from matchmaker.services.schemas import validated
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


def _unknown_topic(value: Any) -> Any:
    raise ValueError(_("Unknown notification topic."))


def _switches(value: Any) -> dict[str, bool]:
    if not isinstance(value, dict) or set(value) - set(CHANNELS) or \
            not all(isinstance(flag, bool) for flag in value.values()):
        raise ValueError(_("Give in_app and/or email as true or false."))
    return value


class _Topics(BaseModel):
    # Unknown topics are extra fields whose every value is refused, so each is reported under its
    # own name, as the known ones are.
    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Annotated[Any, BeforeValidator(_unknown_topic)]]


# One field per topic: a channel left out of a topic keeps its value, a topic left out keeps its channels.
PreferencesInput = create_model(
    "PreferencesInput", __base__=_Topics,
    **{topic: (Annotated[dict[str, bool], BeforeValidator(_switches)], None) for topic in NOTIFICATION_TOPICS})


def save(session: Session, user: User, choices: Mapping[str, Channels]) -> dict[str, Channels]:
    """Stores the given topics' channels; topics left out keep theirs."""
    validated(PreferencesInput, {topic: channels.as_dict() for topic, channels in choices.items()},
              message=_("Unknown notification topic."))
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
    wanted = validated(PreferencesInput, body, message=_("Some notification preferences are not valid."))
    current = all_channels(session, user)
    return {topic: Channels(**{**current[topic].as_dict(), **value})
            for topic, value in wanted.model_dump(exclude_unset=True).items()}
