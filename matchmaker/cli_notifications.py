"""Command-line tools for cron: ``flask --app wsgi mail send|status`` and
``flask --app wsgi notifications deadlines``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from matchmaker.database import get_database
from matchmaker.services import outbox, reminders

mail_cli = AppGroup("mail", help="The e-mail outbox.")
notifications_cli = AppGroup("notifications", help="Notifications sent on a schedule.")


@mail_cli.command("send")
@click.option("--dry-run", is_flag=True, help="Print the e-mails that would go out; send and change nothing.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send at most this many.")
def send_mail(dry_run: bool, limit: int | None) -> None:
    """Send the unsent e-mails of the outbox over SMTP (MAIL_* settings)."""
    settings = outbox.MailSettings.from_config(current_app.config)
    if dry_run:
        _preview(settings, limit)
        return
    transport = outbox.SmtpTransport(settings)
    try:
        report = outbox.send_pending(get_database(), transport, settings, limit)
    except outbox.MailUnavailable as error:
        click.echo(f"Error: cannot reach the mail server {error}", err=True)
        sys.exit(1)
    finally:
        transport.close()
    click.echo(f"Sent {report.sent} e-mails; {report.failed} failed and will be tried again.")


def _preview(settings: outbox.MailSettings, limit: int | None) -> None:
    with get_database().session_scope() as session:
        emails = outbox.preview(session, settings, limit)
        for email in emails:
            click.echo(f"--- #{email.id} to {email.to_address} (attempts {email.attempts})")
            click.echo(f"Subject: {email.subject}\n\n{email.body}\n")
    click.echo(f"Would send {len(emails)} e-mails (dry run: nothing sent).")


@mail_cli.command("status")
def mail_status() -> None:
    """Count the outbox's e-mails: waiting, being retried, given up and sent."""
    settings = outbox.MailSettings.from_config(current_app.config)
    with get_database().session_scope() as session:
        counts = outbox.status(session, settings)
    click.echo(f"waiting: {counts['waiting']} (of which retrying: {counts['retrying']})")
    click.echo(f"given up after {settings.max_attempts} attempts: {counts['given_up']}")
    click.echo(f"sent: {counts['sent']}")


@notifications_cli.command("deadlines")
def deadline_reminders() -> None:
    """Remind people of meeting-request and funding deadlines (each reminder once; safe to run hourly)."""
    with get_database().session_scope(immediate=True) as session:
        sent = reminders.send_deadline_reminders(session)
    click.echo(f"Sent {sent} deadline reminders.")
