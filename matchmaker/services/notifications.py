"""Notifications. Each is stored as a kind with parameters and worded when shown, so every
reader sees it in their own language; each user chooses per topic whether it shows in the app,
comes by e-mail (worded in their language when queued), or both."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matchmaker import i18n
from matchmaker.messages import _, in_locale, ngettext
from matchmaker.models import Arena, Notification, User
from matchmaker.models.arenas import table_label
from matchmaker.models.types import utcnow
from matchmaker.services import context, notification_preferences, outbox
from matchmaker.vocabulary import COLLABORATION_STAGES, INTERFACE_LOCALES, label

log = logging.getLogger(__name__)


def _moment(p: dict, name: str = "deadline") -> str:
    """A stored ISO time, in the reader's language and the time zone the params name, with the
    zone's name: an arena's time is where it takes place, which need not be where the reader is."""
    return i18n.when(datetime.fromisoformat(p[name]), p.get("timezone") or "UTC", labelled=True)


def _day(p: dict) -> str:
    return i18n.day(date.fromisoformat(p["deadline"]))


def _moved(p: dict) -> str:
    # Notifications stored before the time was worded when read carry it ready-made.
    when = _moment(p, "starts_at") if "starts_at" in p else p["when"]
    return _("Your meeting with %(name)s at %(title)s is now at %(when)s, %(table)s.", name=p["name"],
             title=p["title"], when=when, table=table_label(p["table"]))


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
    "meeting_moved": _moved,
    "meeting_removed": lambda p: _("Your meeting with %(name)s at %(title)s was taken out of the schedule.", **p),
    "collaboration_proposed": lambda p: _("%(name)s proposes a test collaboration on \"%(need)s\".", **p),
    "collaboration_terms": lambda p: _("%(name)s changed the terms of the collaboration on \"%(need)s\".", **p),
    "collaboration_stage": lambda p: _("The collaboration on \"%(need)s\" is now %(stage)s (%(name)s).",
                                       **{**p, "stage": label(COLLABORATION_STAGES, p["stage"])}),
    "collaboration_comment": lambda p: _("%(name)s commented on the collaboration on \"%(need)s\".", **p),
    "collaboration_funding": lambda p: _("%(name)s seeks %(title)s for the collaboration on \"%(need)s\".", **p),
    "followed_change": lambda p: (
        _("The collaboration on \"%(need)s\" that you follow is now %(stage)s.", need=p["need"],
          stage=label(COLLABORATION_STAGES, p["stage"])) if p["change"] == "stage"
        else _("%(name)s proposes a collaboration on \"%(need)s\", which you follow.", **p)
        if p["change"] == "collaboration"
        else _("%(name)s joined the need \"%(need)s\", which you follow.", **p)),
    "meeting_request_deadline": lambda p: ngettext(
        "%(num)d meeting request at %(title)s waits for your answer; requests close %(when)s.",
        "%(num)d meeting requests at %(title)s wait for your answer; requests close %(when)s.",
        p["count"], title=p["title"], when=_moment(p)),
    "funding_deadline": lambda p: _("The application deadline for %(title)s is %(date)s.",
                                    title=p["title"], date=_day(p)),
    "organisation_waiting": lambda p: _("%(name)s registered %(organisation)s, which waits for your approval.", **p),
    "join_requested": lambda p: _("%(name)s asks to join %(organisation)s.", **p),
    "join_approved": lambda p: _("You are now a member of %(organisation)s.", **p),
    "join_declined": lambda p: _("Your request to join %(organisation)s was declined.", **p),
    "member_joined": lambda p: _("%(name)s accepted the invitation and joined %(organisation)s.", **p),
    "member_removed": lambda p: _("You were removed from %(organisation)s.", **p),
}
LIST_LIMIT = 100

# The preference topic (NOTIFICATION_TOPICS) of each kind.
KIND_TOPICS = {
    "registration_received": "schedule",
    "registration_approved": "schedule",
    "registration_declined": "schedule",
    "meeting_requested": "requests",
    "meeting_accepted": "answers",
    "meeting_declined": "answers",
    "meeting_expired": "answers",
    "meeting_cancelled": "answers",
    "schedule_published": "schedule",
    "meeting_moved": "schedule",
    "meeting_removed": "schedule",
    "collaboration_proposed": "requests",
    "collaboration_terms": "stages",
    "collaboration_stage": "stages",
    "collaboration_comment": "stages",
    "collaboration_funding": "requests",
    "followed_change": "following",
    "meeting_request_deadline": "deadlines",
    "funding_deadline": "deadlines",
    "organisation_waiting": "requests",
    "join_requested": "requests",
    "join_approved": "answers",
    "join_declined": "answers",
    "member_joined": "answers",
    "member_removed": "answers",
}
# Membership kinds lead to the organisation's members, or to the organisation itself.
ORGANISATION_TARGETS = {"join_requested": "members.index", "member_joined": "members.index",
                        "join_approved": "organisations.detail", "join_declined": "organisations.detail"}
# Where each arena kind leads; other arena kinds lead to the arena itself.
ARENA_TARGETS = {
    "registration_received": "arena_organiser.registrations",
    "meeting_requested": "arenas.my_requests",
    "meeting_accepted": "arenas.my_requests",
    "meeting_declined": "arenas.my_requests",
    "meeting_expired": "arenas.my_requests",
    "meeting_cancelled": "arenas.my_requests",
    "meeting_request_deadline": "arenas.my_requests",
    "schedule_published": "arenas.my_agenda",
    "meeting_moved": "arenas.my_agenda",
    "meeting_removed": "arenas.my_agenda",
}


def topic_of(kind: str) -> str | None:
    """A kind nobody gave a topic gets the default channels (in the app, no e-mail), so it is
    neither lost nor e-mailed to someone who never asked for it."""
    topic = KIND_TOPICS.get(kind)
    if topic is None:
        log.warning("notification kind %s has no topic", kind)
    return topic


def notify(session: Session, users: Iterable[User], kind: str, arena_id: int | None = None, **params) -> None:
    if kind not in MESSAGES:
        raise ValueError(f"unknown notification kind {kind}")
    for user in {user.id: user for user in users if user is not None}.values():
        deliver(session, user, kind, {"arena_id": arena_id, **params})


def deliver(session: Session, user: User, kind: str, params: dict) -> bool:
    """Notifies one user through the channels they chose for the kind's topic. True when it
    went anywhere. Only adds to the session: callers may be in the middle of a change."""
    with session.no_autoflush:
        channels = notification_preferences.channels_for(session, user, topic_of(kind))
    if channels.in_app:
        session.add(Notification(user_id=user.id, kind=kind, params=params))
    if channels.email:
        _queue_email(session, user, kind, params)
    return channels.in_app or channels.email


def _queue_email(session: Session, user: User, kind: str, params: dict) -> None:
    with in_locale(user.locale if user.locale in INTERFACE_LOCALES else "en"):  # the recipient's language
        text = word(kind, params)
        lines = [str(_("Hello %(name)s,", name=user.name)), "", text]
        given = context.of(session)
        target = absolute_link(session, kind, params)
        if target:
            lines += ["", target]
        lines += ["", "-- ", str(_("You get this e-mail because you asked for e-mail about this topic. "
                                   "Choose what you hear about and how: %(url)s",
                                   url=given.absolute_url(given.site_path("notification_settings.index", {})) or ""))]
    outbox.queue(session, user, kind, text, "\n".join(lines), reference=params.get("ref") or "")


def link_target(kind: str, params: dict) -> tuple[str, dict] | None:
    """The endpoint and values of the page a notification is about, if any."""
    if kind == "organisation_waiting":
        return "admin.organisation_list", {"state": "pending"}
    if kind in ORGANISATION_TARGETS and params.get("organisation_id") is not None:
        return ORGANISATION_TARGETS[kind], {"organisation_id": params["organisation_id"]}
    if params.get("collaboration_id") is not None:
        return "collaborations.detail", {"collaboration_id": params["collaboration_id"]}
    if params.get("need_id") is not None:
        return "profiles.detail", {"section": "needs", "profile_id": params["need_id"]}
    if params.get("arena_id") is not None:
        return ARENA_TARGETS.get(kind, "arenas.detail"), {"arena_id": params["arena_id"]}
    return None


def link(session: Session, notification: Notification) -> str | None:
    """The page a notification leads to, as a path of this site."""
    target = link_target(notification.kind, notification.params or {})
    return context.of(session).page_path(*target) if target else None


def absolute_link(session: Session, kind: str, params: dict) -> str | None:
    """The page a notification leads to, as a full address where the site knows its own; the
    same from a page and from a cron job."""
    target = link_target(kind, params)
    if target is None:
        return None
    given = context.of(session)
    return given.absolute_url(given.site_path(*target))


def notify_admins(session: Session, kind: str, **params) -> None:
    notify(session, session.scalars(select(User).where(User.is_admin.is_(True))), kind, **params)


def notify_organisers(session: Session, arena: Arena, kind: str, **params) -> None:
    organisers = session.scalars(select(User).where(User.organisation_id == arena.organiser_id))
    notify(session, organisers, kind, arena_id=arena.id, title=arena.title, **params)


def message(notification: Notification) -> str:
    return word(notification.kind, notification.params or {})


def word(kind: str, params: dict) -> str:
    """The text of a notification in the current language: called where it is shown (a page,
    the API's answer, an e-mail worded in its recipient's language)."""
    params = {name: value for name, value in params.items() if name not in ("arena_id", "collaboration_id")}
    try:
        return str(MESSAGES[kind](params))
    except (KeyError, TypeError, ValueError):
        return kind  # a message whose wording changed since it was stored


def recent(session: Session, user: User) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id.desc()).limit(LIST_LIMIT)))


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(update(Notification).where(Notification.user_id == user.id,
                                                        Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount
