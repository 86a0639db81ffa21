"""Accounts: registration, sign-in checks, preferences and personal API tokens."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, BeforeValidator
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.messages import _
from matchmaker.models import ApiToken, User
from matchmaker.models.arenas import as_utc
from matchmaker.models.types import utcnow
from matchmaker.services import notifications
from matchmaker.services.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from matchmaker.services.organisations import create_organisation
from matchmaker.services.schemas import one_of, validated
from matchmaker.services.storable import nfc
from matchmaker.vocabulary import INTERFACE_LOCALES

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "mm_"
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
# Checked against when an e-mail is unknown, so sign-in takes as long either way.
_DUMMY_HASH = generate_password_hash("not a real password")


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationFailed(_("Please correct the marked fields."),
                               {"email": _("Enter a valid e-mail address.")}) from None


def create_user(session: Session, email: str, name: str, password: str, organisation=None,
                is_admin: bool = False) -> User:
    email = normalise_email(email)
    _check_password(password)
    name = nfc(name or "").strip()
    if not name:
        raise ValidationFailed(_("Please correct the marked fields."), {"name": _("Give your name.")})
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(_("An account with this e-mail address exists already."),
                       {"email": _("An account with this e-mail address exists already.")})
    # The first member of an organisation administers it, so someone can always let colleagues in.
    first = organisation is not None and not session.scalar(
        select(User.id).where(User.organisation_id == organisation.id).limit(1))
    user = User(email=email, name=name, password_hash=generate_password_hash(password),
                organisation=organisation, is_admin=is_admin, organisation_role="admin" if first else "member")
    session.add(user)
    session.flush()
    return user


def register(session: Session, user_data: dict[str, Any], organisation_data: dict[str, Any]) -> User:
    """A new person with a new organisation, which waits for an admin's approval."""
    organisation = create_organisation(session, organisation_data, approved=False)
    user = create_user(session, user_data["email"], user_data["name"], user_data["password"], organisation)
    log.info("registered user %s with organisation %s", user.id, organisation.id)
    notifications.notify_admins(session, "organisation_waiting", name=user.name, organisation=organisation.name)
    return user


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_("Please correct the marked fields."), {
            "password": _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)})


def authenticate(session: Session, email: str, password: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    password_hash = user.password_hash if user else _DUMMY_HASH
    if not check_password_hash(password_hash, password or "") or user is None:
        raise NotAuthenticated(_("Wrong e-mail address or password."))
    user.last_login_at = utcnow()
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationFailed(_("Please correct the marked fields."),
                               {"current_password": _("This is not your current password.")})
    _check_password(new)
    user.password_hash = generate_password_hash(new)
    session.flush()


def set_password(session: Session, user: User, new: str) -> None:
    """A new password without the current one, for someone who proved otherwise who they are
    (a password-reset link). The same rules as registration and change_password."""
    _check_password(new)
    user.password_hash = generate_password_hash(new)
    session.flush()


def _known_timezone(value: Any) -> str | None:
    if value and value not in available_timezones():
        raise ValueError(_("Choose a time zone from the list."))
    return value or None


class PreferencesInput(BaseModel):
    # Empty means the default: the browser's language, the arena's time zone.
    locale: Annotated[Any, BeforeValidator(one_of(INTERFACE_LOCALES, _("Choose a language from the list."),
                                                  optional=True))] = None
    timezone: Annotated[Any, BeforeValidator(_known_timezone)] = None


def set_preferences(session: Session, user: User, locale: str | None, timezone: str | None) -> None:
    chosen = validated(PreferencesInput, {"locale": locale, "timezone": timezone})
    user.locale, user.timezone = chosen.locale, chosen.timezone
    session.flush()


def find_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(_("No account with the e-mail address %(email)s.", email=email))
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the stored token and its plain text, which is shown once and never stored."""
    # A stored name, so worded now, in the language of whoever creates the token.
    name = (name or "").strip()[:100] or str(_("API token"))
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=hash_token(plain), prefix=plain[:10])
    session.add(token)
    session.flush()
    log.info("user %s created API token %s", user.id, token.id)
    return token, plain


def revoke_api_token(session: Session, user: User, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."))
    token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    return token


def active_token(session: Session, plain: str) -> ApiToken:
    # The user comes in the same query: every API request needs both.
    token = session.scalar(select(ApiToken).options(joinedload(ApiToken.user))
                           .where(ApiToken.token_hash == hash_token(plain)))
    if token is None or not token.is_active:
        raise NotAuthenticated(_("The API token is unknown or revoked."))
    return token


def token_use_due(token: ApiToken, now: datetime | None = None) -> bool:
    """Whether ``last_used_at`` is older than its resolution: a minute is plenty for "last used",
    and writing it on every request would make every API read a write."""
    now = now or utcnow()
    return token.last_used_at is None or as_utc(token.last_used_at) <= now - TOKEN_USE_RESOLUTION


def record_token_use(session: Session, token_id: int, now: datetime | None = None) -> None:
    """Sets ``last_used_at`` unless a concurrent request did within the resolution."""
    now = now or utcnow()
    session.execute(update(ApiToken).where(
        ApiToken.id == token_id,
        or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOKEN_USE_RESOLUTION),
    ).values(last_used_at=now))
