"""Password reset by e-mail: a signed link that expires and works once.

The token is signed with SECRET_KEY and carries the user id and a fingerprint of the current
password hash, so nothing about it is stored: setting a password changes the hash, which
invalidates every link sent before (the one used included), and the signature's timestamp
makes a link expire after PASSWORD_RESET_MAX_AGE seconds. Tokens are never logged.
"""

from __future__ import annotations

import hmac
import logging

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.messages import _, in_locale
from matchmaker.models import User
from matchmaker.services import accounts, context, outbox
from matchmaker.services.context import Settings
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.vocabulary import INTERFACE_LOCALES

log = logging.getLogger(__name__)

SALT = "matchmaker.password-reset"
DEFAULT_MAX_AGE = 3600
EMAIL_KIND = "password_reset"
LINK_ENDPOINT = "password_reset.open_link"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT)


def _max_age(settings: Settings) -> int:
    return int(settings.password_reset_max_age or DEFAULT_MAX_AGE)


def make_token(settings: Settings, user: User) -> str:
    return _serializer(settings).dumps({"user": user.id, "password": user.password_digest})


def user_for_token(session: Session, token: str) -> User:
    """The user a valid, unexpired and unused token is for; NotFound otherwise."""
    settings = context.of(session).settings
    try:
        payload = _serializer(settings).loads(token, max_age=_max_age(settings))
    except BadSignature:  # expired ones too: SignatureExpired is a BadSignature
        raise _invalid_link() from None
    user_id = payload.get("user") if isinstance(payload, dict) else None
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not hmac.compare_digest(str(payload.get("password")), user.password_digest):
        raise _invalid_link()
    return user


def _invalid_link() -> NotFound:
    return NotFound(_("This link to choose a new password has expired or was used already. Ask for a new one."))


def request_reset(session: Session, email: str) -> User | None:
    """Queues an e-mail with a reset link when an account has this address. Callers answer
    the same either way, so that nobody learns which addresses have accounts."""
    user = _find_user(session, email)
    if user is None:
        log.info("password reset asked for an address without an account")
        return None
    given = context.of(session)
    link = given.absolute_url(given.page_path(LINK_ENDPOINT, {"token": make_token(given.settings, user)}))
    _queue_email(session, user, link, _max_age(given.settings))
    session.flush()
    log.info("password reset link queued for user %s", user.id)
    return user


def _find_user(session: Session, email: str) -> User | None:
    try:
        address = accounts.normalise_email(email or "")
    except ValidationFailed:
        return None
    return session.scalar(select(User).where(User.email == address))


def _queue_email(session: Session, user: User, link: str, max_age: int) -> None:
    with in_locale(user.locale if user.locale in INTERFACE_LOCALES else "en"):  # the recipient's language
        subject = str(_("Choose a new password"))
        body = "\n".join(map(str, [
            _("Hello %(name)s,", name=user.name), "",
            _("Someone, probably you, asked to choose a new password for your matchmaker account. "
              "Open this link within %(minutes)d minutes to do so:", minutes=max_age // 60), "",
            link, "",
            _("The link works once. If you did not ask for it, ignore this e-mail: your password stays as it is."),
        ]))
    outbox.queue(session, user, EMAIL_KIND, subject, body)


def reset_password(session: Session, token: str, new_password: str) -> User:
    """Sets the password a valid token allows; the token stops working with the old hash."""
    user = user_for_token(session, token)
    accounts.set_password(session, user, new_password)
    log.info("user %s chose a new password through a reset link", user.id)
    return user
