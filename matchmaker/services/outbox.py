"""The e-mail outbox: e-mails are queued in the transaction that caused them and sent later by
``flask mail send`` over SMTP, each in a transaction of its own."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.database import Database
from matchmaker.models import User
from matchmaker.models.activity import OutboxEmail
from matchmaker.models.types import utcnow

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 5
SUBJECT_LIMIT = 300
ERROR_LIMIT = 2000
SMTP_TIMEOUT_SECONDS = 30


def queue(session: Session, user: User, kind: str, subject: str, body: str, reference: str = "") -> OutboxEmail:
    return queue_to_address(session, user.email, kind, subject, body, reference, user_id=user.id)


def queue_to_address(session: Session, address: str, kind: str, subject: str, body: str, reference: str = "",
                     user_id: int | None = None) -> OutboxEmail:
    """For someone who may have no account yet, such as a colleague invited to an organisation."""
    # Names in a subject come from users; a line break there would end the header early.
    subject = " ".join(subject.split())[:SUBJECT_LIMIT]
    email = OutboxEmail(user_id=user_id, to_address=address, subject=subject, body=body, kind=kind,
                        reference=reference, attempts=0, last_error="")
    session.add(email)
    return email


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    username: str
    password: str
    use_tls: bool
    sender: str
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    @classmethod
    def from_config(cls, config: Mapping) -> MailSettings:
        return cls(server=config.get("MAIL_SERVER") or "localhost", port=int(config.get("MAIL_PORT") or 25),
                   username=config.get("MAIL_USERNAME") or "", password=config.get("MAIL_PASSWORD") or "",
                   use_tls=bool(config.get("MAIL_USE_TLS")), sender=config.get("MAIL_FROM") or "",
                   max_attempts=int(config.get("MAIL_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS))


class MailUnavailable(Exception):
    """The mail server cannot be reached at all; no e-mail is to blame, so none is charged an attempt."""


class SmtpTransport:
    """One SMTP connection for a run, opened on the first e-mail and opened again after a failure."""

    def __init__(self, settings: MailSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        try:
            smtp = smtplib.SMTP(self.settings.server, self.settings.port, timeout=SMTP_TIMEOUT_SECONDS)
            if self.settings.use_tls:
                smtp.starttls()
            if self.settings.username:
                smtp.login(self.settings.username, self.settings.password)
        except (OSError, smtplib.SMTPException) as error:
            raise MailUnavailable(f"{self.settings.server}:{self.settings.port}: {error}") from error
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except (OSError, smtplib.SMTPException):
            self.close()  # the connection may be broken; the next e-mail starts afresh
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                log.debug("closing the SMTP connection failed", exc_info=True)


def compose(settings: MailSettings, email: OutboxEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"outbox-{email.id}")
    message.set_content(email.body)
    return message


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0


def _pending(max_attempts: int):
    return select(OutboxEmail).where(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < max_attempts)


def next_unsent(session: Session, after_id: int, max_attempts: int) -> OutboxEmail | None:
    """The next e-mail to send, locked until this transaction ends. SKIP LOCKED passes over the
    ones another sender holds, so two senders never send the same e-mail (SQLite has no row
    locks and ignores it; it allows one writer at a time anyway)."""
    query = (_pending(max_attempts).where(OutboxEmail.id > after_id).order_by(OutboxEmail.id).limit(1)
             .with_for_update(skip_locked=True))
    return session.scalars(query).first()


def send_pending(database: Database, transport, settings: MailSettings, limit: int | None = None) -> SendReport:
    """Sends unsent e-mails in id order, one transaction each. A failed one keeps its error and
    is tried again on a later run, until it has had ``max_attempts``."""
    report, after_id = SendReport(), 0
    while limit is None or report.sent + report.failed < limit:
        with database.session_scope() as session:
            email = next_unsent(session, after_id, settings.max_attempts)
            if email is None:
                break
            after_id = email.id
            if _send_one(transport, settings, email):
                report.sent += 1
            else:
                report.failed += 1
    return report


def _send_one(transport, settings: MailSettings, email: OutboxEmail) -> bool:
    """MailUnavailable is not caught: it rolls the transaction back, so no attempt is counted."""
    email.attempts += 1
    try:
        transport.send(compose(settings, email))
    except (OSError, smtplib.SMTPException, ValueError) as error:
        email.last_error = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
        log.warning("e-mail %s to %s failed (attempt %s): %s", email.id, email.to_address, email.attempts, error)
        return False
    email.sent_at, email.last_error = utcnow(), ""
    return True


def preview(session: Session, settings: MailSettings, limit: int | None = None) -> list[OutboxEmail]:
    """What a run would send, without sending or changing anything."""
    return list(session.scalars(_pending(settings.max_attempts).order_by(OutboxEmail.id).limit(limit)))


def status(session: Session, settings: MailSettings) -> dict[str, int]:
    unsent = OutboxEmail.sent_at.is_(None)
    count = select(func.count()).select_from(OutboxEmail)
    return {
        "waiting": session.scalar(count.where(unsent, OutboxEmail.attempts < settings.max_attempts)) or 0,
        "retrying": session.scalar(count.where(unsent, OutboxEmail.attempts > 0,
                                               OutboxEmail.attempts < settings.max_attempts)) or 0,
        "given_up": session.scalar(count.where(unsent, OutboxEmail.attempts >= settings.max_attempts)) or 0,
        "sent": session.scalar(count.where(OutboxEmail.sent_at.is_not(None))) or 0,
    }
