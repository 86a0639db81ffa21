"""Invitations to join an organisation, sent by its administrators as a signed e-mail link.

The link carries a token signed with SECRET_KEY that names the invitation and its organisation;
the stored invitation says when it expires and whether it was used or revoked, so a link works
once, for seven days, for the address it was sent to. Tokens are never stored or logged."""

from __future__ import annotations

import logging
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from matchmaker.messages import _, in_locale
from matchmaker.models import Organisation, OrganisationInvitation, User
from matchmaker.models.arenas import as_utc
from matchmaker.models.types import utcnow
from matchmaker.services import accounts, audit, context, members, notifications, outbox, permissions
from matchmaker.services.context import Settings
from matchmaker.services.errors import Conflict, NotFound, PermissionDenied

log = logging.getLogger(__name__)

SALT = "matchmaker.organisation-invitation"
VALID_FOR = timedelta(days=7)
EMAIL_KIND = "organisation_invitation"
LINK_ENDPOINT = "members.open_invitation"


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=SALT)


def make_token(settings: Settings, invitation: OrganisationInvitation) -> str:
    return _serializer(settings).dumps({"invitation": invitation.id, "organisation": invitation.organisation_id})


def invite(session: Session, actor: User, organisation: Organisation, email: str) -> OrganisationInvitation:
    """Stores an invitation and queues its e-mail with the link."""
    permissions.ensure_can_manage_members(actor, organisation)
    address = accounts.normalise_email(email or "")
    if session.scalar(select(User.id).where(User.email == address, User.organisation_id == organisation.id)):
        raise Conflict(_("%(email)s is already a member.", email=address),
                       {"email": _("%(email)s is already a member.", email=address)})
    invitation = OrganisationInvitation(organisation=organisation, email=address, invited_by_id=actor.id,
                                        expires_at=utcnow() + VALID_FOR)
    session.add(invitation)
    session.flush()
    _queue_email(session, invitation, actor)
    audit.record(session, actor, "invitation.created", organisation, email=address)
    log.info("user %s invited someone to organisation %s", actor.id, organisation.id)
    return invitation


def _queue_email(session: Session, invitation: OrganisationInvitation, actor: User) -> None:
    given = context.of(session)
    link = given.absolute_url(given.page_path(LINK_ENDPOINT, {"token": make_token(given.settings, invitation)}))
    existing = session.scalar(select(User).where(User.email == invitation.email))
    locale = existing.locale if existing is not None and existing.locale else actor.locale
    with in_locale(locale or "en"):  # worded now, in the language of whoever it goes to
        subject = str(_("%(name)s invites you to %(organisation)s", name=actor.name,
                        organisation=invitation.organisation.name))
        body = "\n".join(map(str, [
            _("Hello,"), "",
            _("%(name)s invites you to join %(organisation)s on matchmaker, to work on its profiles, "
              "collaborations and arenas together. Open this link within %(days)d days to accept:",
              name=actor.name, organisation=invitation.organisation.name, days=VALID_FOR.days), "",
            link, "",
            _("The link works once. If you do not know why you got this e-mail, ignore it."),
        ]))
    outbox.queue_to_address(session, invitation.email, EMAIL_KIND, subject, body,
                            user_id=existing.id if existing is not None else None)


def invitation_for_token(session: Session, token: str) -> OrganisationInvitation:
    """The open, unexpired invitation a token names; NotFound for anything else, alike."""
    try:
        payload = _serializer(context.of(session).settings).loads(token or "")
    except BadSignature:
        raise _invalid_link() from None
    invitation_id = payload.get("invitation") if isinstance(payload, dict) else None
    invitation = session.get(OrganisationInvitation, invitation_id) if isinstance(invitation_id, int) else None
    if (invitation is None or invitation.organisation_id != payload.get("organisation") or not invitation.is_open
            or as_utc(invitation.expires_at) <= utcnow()):
        raise _invalid_link()
    return invitation


def _invalid_link() -> NotFound:
    return NotFound(_("This invitation has expired, was withdrawn or was used already. Ask for a new one."))


def accept(session: Session, user: User, token: str) -> Organisation:
    invitation = invitation_for_token(session, token)
    if accounts.normalise_email(user.email) != invitation.email:
        raise PermissionDenied(_("This invitation was sent to another e-mail address."))
    organisation = invitation.organisation
    members.join(session, user, organisation)
    invitation.accepted_at, invitation.accepted_by_id = utcnow(), user.id
    session.flush()
    audit.record(session, user, "invitation.accepted", organisation, email=invitation.email)
    notifications.notify(session, members.admins_of(session, organisation.id), "member_joined",
                         name=user.name, organisation=organisation.name, organisation_id=organisation.id)
    return organisation


def open_invitations(session: Session, actor: User, organisation: Organisation) -> list[OrganisationInvitation]:
    """Neither used, revoked nor expired; newest first."""
    permissions.ensure_can_manage_members(actor, organisation)
    query = (select(OrganisationInvitation).options(joinedload(OrganisationInvitation.invited_by))
             .where(OrganisationInvitation.organisation_id == organisation.id,
                    OrganisationInvitation.accepted_at.is_(None), OrganisationInvitation.revoked_at.is_(None),
                    OrganisationInvitation.expires_at > utcnow()))
    return list(session.scalars(query.order_by(OrganisationInvitation.id.desc())))


def revoke(session: Session, actor: User, organisation: Organisation, invitation_id: int) -> OrganisationInvitation:
    permissions.ensure_can_manage_members(actor, organisation)
    invitation = session.get(OrganisationInvitation, invitation_id)
    if invitation is None or invitation.organisation_id != organisation.id:
        raise NotFound(_("No such invitation."))
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation was accepted already."))
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        session.flush()
        audit.record(session, actor, "invitation.revoked", organisation, email=invitation.email)
    return invitation


def register_and_accept(session: Session, user_data: dict, token: str) -> User:
    """A new person joining the organisation that invited them; the invitation is checked first,
    so that no account is made for a link that does not work."""
    invitation_for_token(session, token)
    user = accounts.create_user(session, user_data["email"], user_data["name"], user_data["password"])
    accept(session, user, token)
    return user
