"""The audit log: record what administrators and the command line do, and list it for admins."""

from __future__ import annotations

import logging
import math

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.models import AuditEntry, User
from matchmaker.services.browse import Page

log = logging.getLogger(__name__)

# The codes written to the log and how the log page names them.
ACTIONS = {
    "organisation.approved": _l("Organisation approved"),
    "user.created": _l("Account created (command line)"),
    "token.created": _l("API token created (command line)"),
    "account.deleted": _l("Account deleted"),
}
PER_PAGE = 50


def actor_label(actor: User | None) -> str:
    """Who acted, as text that stays readable after the account is deleted."""
    return f"{actor.name} <{actor.email}>" if actor is not None else ""


def _client_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def record(session: Session, actor: User | None, action: str, target=None, **details) -> AuditEntry:
    """Adds an entry to the session, so it is stored with the work it describes or not at all.

    ``target`` is any model instance with an id; ``details`` must be JSON-serialisable and
    must never hold a secret (a password or a token)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None, actor_label=actor_label(actor), action=action,
        target_type=target.__tablename__ if target is not None else None,
        target_id=target.id if target is not None else None, details=details, ip_address=_client_address(),
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
