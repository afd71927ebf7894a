"""Create a migration from the model changes and test it before you commit it.

Usage: python dev_scripts/create_and_test_migrations.py [-m MESSAGE | --auto-name]

1. Drops and recreates a scratch database (never your app's database) and upgrades it to head.
2. Autogenerates a revision for what the models have and the migrations lack, named from the
   message (asked for, or the git branch with --auto-name). With no model changes it writes
   nothing and says so.
3. Applies the new revision, checks the models and migrations now agree, downgrades it and
   applies it again.
4. With HEAVY_STACK_COCKROACH_DB_URL set (e.g. cockroachdb://root@localhost:26257/defaultdb
   after `docker compose --profile migration-test up cockroach`), runs every migration up, down
   and up again on a scratch database there too.

The scratch database lives on the server of HEAVY_STACK_SQL_DB_URL, or on the embedded
PostgreSQL under .data/ when no URL is set.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from heavy_stack.backend.data import migrations
from heavy_stack.settings import ENV_PREFIX, PROJECT_ROOT, Settings

SCRATCH_DATABASE = f"{Settings.database_names().sql}_migrations_scratch"
COCKROACH_URL_VARIABLE = f"{ENV_PREFIX}COCKROACH_DB_URL"


class MigrationSettings(Settings):
    """The app's settings plus the optional CockroachDB server for migration tests."""

    cockroach_db_url: str | None = None


class MigrationCheckError(Exception):
    """A generated migration failed a check; the message says which."""


def git_branch() -> str | None:
    """The current git branch, or ``None`` outside a repository or on a detached HEAD."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--abbrev-ref", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    branch = result.stdout.strip()
    return None if branch in ("", "HEAD") else branch


def choose_message(message: str | None, auto_name: bool) -> str | None:
    """The revision message: given, the git branch, or asked for (the branch as default)."""
    if message:
        return message.strip()
    branch = git_branch()
    if auto_name:
        return branch
    hint = f" [{branch}]" if branch else ""
    answer = input(f"What changed (revision message){hint}: ").strip()
    return answer or branch


async def create_and_test(server_url: str, message: str, scratch: str) -> Path | None:
    """Steps 1-3 of the module docstring; the new revision file, or ``None`` when empty."""
    scratch_url = await migrations.recreate_database(server_url, scratch)
    engine = migrations.migration_engine(scratch_url)
    try:
        await migrations.upgrade(engine, "head")
        print(f"Scratch database {scratch} is at head.")
        path = await migrations.autogenerate(engine, message)
        if path is not None:
            await _check_new_revision(engine, path)
        return path
    finally:
        await engine.dispose()
        await migrations.drop_database(server_url, scratch)


async def _check_new_revision(engine: AsyncEngine, path: Path) -> None:
    shown = _relative(path)
    try:
        await migrations.upgrade(engine, "head")
        await migrations.downgrade(engine, "-1")
        await migrations.upgrade(engine, "head")
    except Exception as error:
        raise MigrationCheckError(
            f"{shown} does not upgrade, downgrade and upgrade again: {error}"
        ) from error
    left = await migrations.model_changes(engine)
    if left:
        raise MigrationCheckError(f"After {shown}, the models still differ from the database: {left}")


async def test_on_cockroach(cockroach_url: str, scratch: str) -> None:
    """Every revision up, down and up again on a scratch database on CockroachDB."""
    scratch_url = await migrations.recreate_database(cockroach_url, scratch)
    engine = migrations.migration_engine(scratch_url)
    try:
        walked = await migrations.stairway(engine)
    finally:
        await engine.dispose()
        await migrations.drop_database(cockroach_url, scratch)
    print(f"CockroachDB: {len(walked)} revision(s) upgrade, downgrade and upgrade again: OK.")


async def run(settings: MigrationSettings, message: str, scratch: str) -> int:
    """The whole workflow; the exit code for the command line."""
    async with migrations.configured_database_url(settings.sql_db_url) as server_url:
        print(f"Using a scratch database on {_shown(server_url)}.")
        try:
            path = await create_and_test(server_url, message, scratch)
        except MigrationCheckError as error:
            print(f"FAILED: {error}", file=sys.stderr)
            return 1
    if path is None:
        print(migrations.NO_CHANGES_MESSAGE)
    else:
        print(f"Wrote {_relative(path)}: applied, downgraded and applied again: OK.")
    if settings.cockroach_db_url:
        await test_on_cockroach(settings.cockroach_db_url, scratch)
    else:
        print(f"CockroachDB: skipped ({COCKROACH_URL_VARIABLE} is not set).")
    if path is not None:
        print("Review the new revision, then commit it with the model change.")
    return 0


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code (1: a check failed, 2: no message)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    naming = parser.add_mutually_exclusive_group()
    naming.add_argument("-m", "--message", help="what the revision does, e.g. 'add invoices'")
    naming.add_argument("--auto-name", action="store_true", help="name the revision after the git branch")
    parser.add_argument("--scratch-database", default=SCRATCH_DATABASE, help=f"default: {SCRATCH_DATABASE}")
    args = parser.parse_args(argv)
    message = choose_message(args.message, args.auto_name)
    if not message:
        print(
            "A revision needs a message: pass -m MESSAGE, or use --auto-name on a git branch.",
            file=sys.stderr,
        )
        return 2
    # Show what autogenerate detected ("Detected added table ..."), not alembic's set-up chatter.
    logging.basicConfig(level=logging.WARNING, format="  %(message)s")
    logging.getLogger("alembic.autogenerate.compare").setLevel(logging.INFO)
    logging.getLogger(migrations.__name__).setLevel(logging.ERROR)  # this script says "no changes" itself
    return asyncio.run(run(MigrationSettings(), message, args.scratch_database))


if __name__ == "__main__":
    sys.exit(main())
