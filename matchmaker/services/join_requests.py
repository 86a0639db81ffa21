"""Asking to join an organisation: a person asks, its administrators approve or decline."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from matchmaker.messages import _
from matchmaker.models import JoinRequest, Organisation, User
from matchmaker.models.types import utcnow
from matchmaker.services import accounts, audit, members, notifications, permissions
from matchmaker.services.errors import Conflict, NotFound
from matchmaker.services.schemas import text_within

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000


def ask(session: Session, user: User, organisation: Organisation, message: str = "") -> JoinRequest:
    message = text_within("message", message, MESSAGE_LIMIT, summary=_("Please correct the marked fields."))
    if user.organisation_id == organisation.id:
        raise Conflict(_("You are already a member of %(name)s.", name=organisation.name))
    if _pending(session, user.id, organisation.id) is not None:
        raise Conflict(_("You have already asked to join %(name)s; its administrators will answer.",
                         name=organisation.name))
    request = JoinRequest(organisation=organisation, user=user, message=message, status="pending")
    session.add(request)
    session.flush()
    audit.record(session, user, "join.requested", organisation, name=user.name)
    notifications.notify(session, members.admins_of(session, organisation.id), "join_requested",
                         name=user.name, organisation=organisation.name, organisation_id=organisation.id)
    log.info("user %s asked to join organisation %s", user.id, organisation.id)
    return request


def _pending(session: Session, user_id: int, organisation_id: int) -> JoinRequest | None:
    return session.scalar(select(JoinRequest).where(JoinRequest.user_id == user_id,
                                                    JoinRequest.organisation_id == organisation_id,
                                                    JoinRequest.status == "pending"))


def waiting(session: Session, actor: User, organisation: Organisation) -> list[JoinRequest]:
    """Requests waiting for an answer, oldest first, for the organisation's administrators."""
    permissions.ensure_can_manage_members(actor, organisation)
    query = (select(JoinRequest).options(joinedload(JoinRequest.user))
             .where(JoinRequest.organisation_id == organisation.id, JoinRequest.status == "pending"))
    return list(session.scalars(query.order_by(JoinRequest.id)))


def waiting_count(session: Session, organisation_id: int) -> int:
    return session.scalar(select(func.count(JoinRequest.id)).where(
        JoinRequest.organisation_id == organisation_id, JoinRequest.status == "pending")) or 0


def mine(session: Session, user: User) -> list[JoinRequest]:
    """The person's own requests still waiting, so that they see what they asked for."""
    query = (select(JoinRequest).options(joinedload(JoinRequest.organisation))
             .where(JoinRequest.user_id == user.id, JoinRequest.status == "pending"))
    return list(session.scalars(query.order_by(JoinRequest.id)))


def decide(session: Session, actor: User, organisation: Organisation, request_id: int, approve: bool) -> JoinRequest:
    permissions.ensure_can_manage_members(actor, organisation)
    request = session.get(JoinRequest, request_id)
    if request is None or request.organisation_id != organisation.id:
        raise NotFound(_("No such request."))
    if request.status != "pending":
        raise Conflict(_("This request was answered already."))
    if approve:
        members.join(session, request.user, organisation)
    request.status = "approved" if approve else "declined"
    request.decided_at, request.decided_by_id = utcnow(), actor.id
    session.flush()
    audit.record(session, actor, f"join.{request.status}", request.user, organisation=organisation.name,
                 name=request.user.name)
    notifications.notify(session, [request.user], f"join_{request.status}", organisation=organisation.name,
                         organisation_id=organisation.id)
    return request


def register_and_ask(session: Session, user_data: dict, organisation: Organisation, message: str = "") -> User:
    """A new person without an organisation yet, asking to join one that exists."""
    user = accounts.create_user(session, user_data["email"], user_data["name"], user_data["password"])
    ask(session, user, organisation, message)
    return user
