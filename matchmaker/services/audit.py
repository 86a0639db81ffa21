"""The audit log: record what administrators and the command line do, and list it for admins."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.messages import Message, _
from matchmaker.models import AuditEntry, Organisation, User
from matchmaker.services import context
from matchmaker.services.browse import Page

log = logging.getLogger(__name__)

# The codes written to the log and how the log page names them.
ACTIONS = {
    "organisation.approved": _("Organisation approved"),
    "organisation.declined": _("Organisation declined"),
    "user.created": _("Account created (command line)"),
    "token.created": _("API token created (command line)"),
    "account.deleted": _("Account deleted"),
    "member.promoted": _("Member made an administrator"),
    "member.demoted": _("Administrator made a member"),
    "member.removed": _("Member removed"),
    "member.left": _("Member left"),
    "invitation.created": _("Invitation sent"),
    "invitation.revoked": _("Invitation withdrawn"),
    "invitation.accepted": _("Invitation accepted"),
    "join.requested": _("Asked to join"),
    "join.approved": _("Request to join approved"),
    "join.declined": _("Request to join declined"),
}
PER_PAGE = 50


def actor_label(actor: User | None) -> str:
    """Who acted, as text that stays readable after the account is deleted."""
    return f"{actor.name} <{actor.email}>" if actor is not None else ""


def record(session: Session, actor: User | None, action: str, target=None, **details) -> AuditEntry:
    """Adds an entry to the session, so it is stored with the work it describes or not at all.

    ``target`` is any model instance with an id; ``details`` must be JSON-serialisable and
    must never hold a secret (a password or a token). The client's address is the one the
    session's caller gave (see ``matchmaker.services.context``)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None, actor_label=actor_label(actor), action=action,
        target_type=target.__tablename__ if target is not None else None,
        target_id=target.id if target is not None else None, details=details,
        ip_address=context.of(session).client_address,
    )
    session.add(entry)
    session.flush()
    log.info("audit %s by %s on %s:%s", action, entry.actor_id, entry.target_type, entry.target_id)
    return entry


def list_entries(session: Session, action: str | None = None, page: int = 1,
                 per_page: int = PER_PAGE) -> Page[AuditEntry]:
    """Newest first; ``action`` keeps one kind of entry."""
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, min(page, math.ceil(total / per_page) or 1))
    ordered = query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    entries = list(session.scalars(ordered.limit(per_page).offset((page - 1) * per_page)))
    return Page(entries, total, page, per_page)


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


# What the log page says an entry means: a sentence worded in the reader's language when shown, with names.
@dataclass
class Described:
    entry: AuditEntry
    sentence: Message
    details: dict  # what the sentence does not already say


Wording = Callable[[str | Message, str | Message, dict], Message]
SENTENCES: dict[str, tuple[Wording, tuple[str, ...]]] = {
    "organisation.approved": (lambda actor, target, details: _(
        "%(actor)s approved the organisation %(target)s", actor=actor, target=target), ("name",)),
    "organisation.declined": (lambda actor, target, details: _(
        "%(actor)s declined the organisation %(target)s: %(reason)s", actor=actor, target=target,
        reason=details.get("reason", "")), ("name", "reason")),
    "user.created": (lambda actor, target, details: _(
        "The administrator account %(target)s was created on the command line", target=target)
        if details.get("admin") else _("The account %(target)s was created on the command line", target=target),
        ("admin",)),
    "token.created": (lambda actor, target, details: _(
        "An API token named “%(token)s” was created on the command line for %(target)s",
        token=details.get("token_name", ""), target=target), ("token_name",)),
    "account.deleted": (lambda actor, target, details: _("%(actor)s deleted their own account", actor=actor), ()),
}
# The tables an entry's target may live in, and how a target is named.
TARGET_MODELS = {"organisations": Organisation, "users": User}


def describe(session: Session, entries: list[AuditEntry]) -> list[Described]:
    """Each entry as a sentence; actors and targets are looked up in one query per table."""
    actors = _names(session, User, {e.actor_id for e in entries if e.actor_id})
    targets = {table: _names(session, model, {e.target_id for e in entries if e.target_type == table})
               for table, model in TARGET_MODELS.items()}
    return [_described(entry, _actor_name(entry, actors), _target_name(entry, targets)) for entry in entries]


def _names(session: Session, model, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _actor_name(entry: AuditEntry, names: dict[int, str]) -> str | Message:
    if entry.actor_id in names:
        return names[entry.actor_id]
    if entry.actor_label:  # the account is gone; its label is "Name <e-mail>"
        name = entry.actor_label.split(" <")[0]
        # An account deletion's own sentence already says that the account is gone.
        return name if entry.action == "account.deleted" else _("%(name)s (account deleted)", name=name)
    return _("The command line")


def _target_name(entry: AuditEntry, names: dict[str, dict[int, str]]) -> str | Message:
    if entry.target_id is None:
        return "—"
    found = names.get(entry.target_type or "", {}).get(entry.target_id)
    if found is not None:
        return found
    return _("%(name)s (deleted)", name=(entry.details or {}).get("name") or f"#{entry.target_id}")


def _described(entry: AuditEntry, actor: str | Message, target: str | Message) -> Described:
    details = dict(entry.details or {})
    if entry.action not in SENTENCES:
        sentence = _("%(actor)s: %(action)s, %(target)s", actor=actor, action=ACTIONS.get(entry.action, entry.action),
                     target=target)
        return Described(entry, sentence, details)
    wording, said = SENTENCES[entry.action]
    return Described(entry, wording(actor, target, details), {k: v for k, v in details.items() if k not in said})
