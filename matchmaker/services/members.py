"""The people of an organisation: who belongs, who administers it, and who leaves.

An organisation always keeps an administrator: the last one can be neither demoted nor removed,
and cannot leave, so that its members are never left without someone to let colleagues in."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.messages import _
from matchmaker.models import Organisation, User
from matchmaker.models.accounts import ORGANISATION_ROLES
from matchmaker.services import audit, notifications, permissions
from matchmaker.services.errors import Conflict, NotFound, ValidationFailed

log = logging.getLogger(__name__)

ADMIN, MEMBER = "admin", "member"


def list_members(session: Session, viewer: User, organisation: Organisation) -> list[User]:
    """Administrators first, then by name; only for the organisation's own members."""
    permissions.ensure_member_of(viewer, organisation)
    query = select(User).where(User.organisation_id == organisation.id)
    return list(session.scalars(query.order_by(User.organisation_role, User.name, User.id)))


def admins_of(session: Session, organisation_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.organisation_id == organisation_id,
                                                   User.organisation_role == ADMIN)))


def set_role(session: Session, actor: User, organisation: Organisation, user_id: int, role: str) -> User:
    """Promotes a member to administrator, or makes an administrator an ordinary member."""
    permissions.ensure_can_manage_members(actor, organisation)
    if role not in ORGANISATION_ROLES:
        message = _("Choose administrator or member.")
        raise ValidationFailed(message, {"role": message})
    member = _member(session, organisation, user_id)
    if member.organisation_role == role:
        return member
    if role == MEMBER:
        _ensure_another_admin(session, member)
    member.organisation_role = role
    session.flush()
    action = "member.promoted" if role == ADMIN else "member.demoted"
    audit.record(session, actor, action, member, organisation=organisation.name, name=member.name)
    return member


def remove_member(session: Session, actor: User, organisation: Organisation, user_id: int) -> User:
    permissions.ensure_can_manage_members(actor, organisation)
    member = _member(session, organisation, user_id)
    _ensure_another_admin(session, member)
    _detach(session, member)
    audit.record(session, actor, "member.removed", member, organisation=organisation.name, name=member.name)
    notifications.notify(session, [member], "member_removed", organisation=organisation.name)
    return member


def leave(session: Session, user: User, organisation: Organisation) -> None:
    permissions.ensure_member_of(user, organisation)
    _ensure_another_admin(session, user)
    _detach(session, user)
    audit.record(session, user, "member.left", user, organisation=organisation.name, name=user.name)


def join(session: Session, user: User, organisation: Organisation) -> User:
    """Makes a person a member; someone who belongs elsewhere moves, under the same rule as leaving."""
    if user.organisation_id == organisation.id:
        raise Conflict(_("%(name)s is already a member of %(organisation)s.", name=user.name,
                         organisation=organisation.name))
    if user.organisation_id is not None:
        _ensure_another_admin(session, user)
    user.organisation, user.organisation_role = organisation, MEMBER
    session.flush()
    log.info("user %s joined organisation %s", user.id, organisation.id)
    return user


def _member(session: Session, organisation: Organisation, user_id: int) -> User:
    member = session.get(User, user_id)
    if member is None or member.organisation_id != organisation.id:
        raise NotFound(_("No such member."))
    return member


def _ensure_another_admin(session: Session, user: User) -> None:
    if user.organisation_role != ADMIN or user.organisation_id is None:
        return
    count = session.scalar(select(func.count(User.id)).where(
        User.organisation_id == user.organisation_id, User.organisation_role == ADMIN)) or 0
    if count <= 1:
        raise Conflict(_("%(name)s is the last administrator of the organisation. Make another member an "
                         "administrator first.", name=user.name))


def ensure_others_keep_an_admin(session: Session, user: User) -> None:
    """Before an account is deleted: colleagues are never left without an administrator, but a
    person alone in their organisation may always delete their account."""
    others = session.scalar(select(func.count(User.id)).where(
        User.organisation_id == user.organisation_id, User.id != user.id)) if user.organisation_id else 0
    if others:
        _ensure_another_admin(session, user)


def _detach(session: Session, user: User) -> None:
    user.organisation, user.organisation_role = None, MEMBER
    session.flush()
