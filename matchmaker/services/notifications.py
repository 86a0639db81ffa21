"""In-app notifications. Each is stored as a kind with parameters and worded when shown, so
every reader sees it in their own language."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matchmaker.models import Arena, Notification, User
from matchmaker.models.types import utcnow
from matchmaker.vocabulary import COLLABORATION_STAGES, label

MESSAGES = {
    "registration_received": lambda p: _("%(name)s registered for %(title)s.", **p),
    "registration_approved": lambda p: _("Your registration for %(title)s is approved.", **p),
    "registration_declined": lambda p: _("Your registration for %(title)s was declined.", **p),
    "meeting_requested": lambda p: _("%(name)s asks to meet you at %(title)s.", **p),
    "meeting_accepted": lambda p: _("%(name)s accepted your meeting at %(title)s.", **p),
    "meeting_declined": lambda p: _("%(name)s declined your meeting at %(title)s.", **p),
    "meeting_expired": lambda p: _("Your meeting request with %(name)s at %(title)s expired unanswered.", **p),
    "meeting_cancelled": lambda p: _("%(name)s cancelled the meeting at %(title)s.", **p),
    "schedule_published": lambda p: ngettext("Your agenda for %(title)s is published: %(num)d meeting.",
                                             "Your agenda for %(title)s is published: %(num)d meetings.",
                                             p["count"], title=p["title"]),
    "meeting_moved": lambda p: _("Your meeting with %(name)s at %(title)s is now at %(when)s, %(table)s.", **p),
    "meeting_removed": lambda p: _("Your meeting with %(name)s at %(title)s was taken out of the schedule.", **p),
    "collaboration_proposed": lambda p: _("%(name)s proposes a test collaboration on \"%(need)s\".", **p),
    "collaboration_terms": lambda p: _("%(name)s changed the terms of the collaboration on \"%(need)s\".", **p),
    "collaboration_stage": lambda p: _("The collaboration on \"%(need)s\" is now %(stage)s (%(name)s).",
                                       **{**p, "stage": label(COLLABORATION_STAGES, p["stage"])}),
    "collaboration_comment": lambda p: _("%(name)s commented on the collaboration on \"%(need)s\".", **p),
}
LIST_LIMIT = 100



def notify(session: Session, users: Iterable[User], kind: str, arena_id: int | None = None, **params) -> None:
    if kind not in MESSAGES:
        raise ValueError(f"unknown notification kind {kind}")
    for user in {user.id: user for user in users if user is not None}.values():
        session.add(Notification(user_id=user.id, kind=kind, params={"arena_id": arena_id, **params}))


def notify_organisers(session: Session, arena: Arena, kind: str, **params) -> None:
    organisers = session.scalars(select(User).where(User.organisation_id == arena.organiser_id))
    notify(session, organisers, kind, arena_id=arena.id, title=arena.title, **params)


def message(notification: Notification) -> str:
    params = {name: value for name, value in (notification.params or {}).items()
              if name not in ("arena_id", "collaboration_id")}
    try:
        return MESSAGES[notification.kind](params)
    except (KeyError, TypeError, ValueError):
        return notification.kind  # a message whose wording changed since it was stored


def recent(session: Session, user: User) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id.desc()).limit(LIST_LIMIT)))


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_all_read(session: Session, user: User) -> None:
    session.execute(update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                    .values(read_at=utcnow()))
