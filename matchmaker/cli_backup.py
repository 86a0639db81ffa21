"""``flask --app wsgi db backup FILE`` and ``db restore FILE``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from matchmaker import backup
from matchmaker.migrate import upgrade


def add_backup_commands(group: AppGroup) -> None:
    group.add_command(backup_command)
    group.add_command(restore_command)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a backup of the database to PATH (PostgreSQL: pg_dump custom format; only the schema
    when DATABASE_URL sets a search_path)."""
    url = current_app.config["DATABASE_URL"]
    click.echo(f"Backing up {backup.describe(url)} to {path} ...")
    started = time.monotonic()
    contents = _checked(backup.read_contents, url)
    _checked(backup.backup, url, path)
    click.echo(f"Backup written: {path} ({_size(path)}, {_rows(contents)}, "
               f"schema revision {contents.revision or 'none'}) in {time.monotonic() - started:.1f} s.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the data the database holds now.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database with the backup in PATH, then upgrade its schema to the latest revision."""
    url = current_app.config["DATABASE_URL"]
    current = _checked(backup.read_contents, url)
    if current.total_rows and not yes:
        click.echo(f"{backup.describe(url)} holds {_count(current.total_rows, 'row')}; restoring replaces all of them. "
                   "Run again with --yes to go ahead.", err=True)
        sys.exit(1)
    click.echo(f"Restoring {path} into {backup.describe(url)} ...")
    started = time.monotonic()
    dropped = _checked(backup.restore, url, path)
    if dropped:
        click.echo(f"Dropped tables the backup does not have: {', '.join(dropped)}.")
    restored = backup.read_contents(url)
    click.echo(f"Restored {_rows(restored)} at schema revision "
               f"{restored.revision or 'none'}; upgrading the schema ...")
    upgrade("head", url)
    final = backup.read_contents(url)
    click.echo(f"Done in {time.monotonic() - started:.1f} s: schema revision {final.revision}.")
    # The log positions in index snapshots and running workers belong to the data that was replaced.
    click.echo("Next: run `flask --app wsgi index rebuild` on every app host, then restart the app.")


def _checked(action, *args):
    try:
        return action(*args)
    except backup.BackupError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)


def _rows(contents: backup.Contents) -> str:
    return f"{_count(contents.total_rows, 'row')} in {_count(len(contents.rows), 'table')}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024:.0f} kB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
