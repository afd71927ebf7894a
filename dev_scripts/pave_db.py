"""Drop and recreate every table from the models: a clean development database.

Usage: python dev_scripts/pave_db.py [--yes]

Works on the embedded database (started if needed) or on HEAVY_STACK_SQL_DB_URL, and refuses
any database that is not on this machine, and one that a running server of the app is using
(stop `make run` first). All data in those tables is lost. For databases that hold data you
keep, write a migration instead (make migrations).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from heavy.data.db_connection import create_engine, is_unavailable
from heavy.data.embedded_postgres import EmbeddedDatabaseError, EmbeddedPostgres
from sqlalchemy.engine import make_url

from heavy_stack.backend.data.pave import (
    DatabaseInUseError,
    NotLocalDatabaseError,
    is_local_database,
    pave,
    refuse_if_a_server_uses,
)
from heavy_stack.settings import Settings


async def pave_configured_database(settings: Settings, confirm: Callable[[str], bool]) -> int:
    """Pave the configured (or embedded) database; the exit code for the command line.

    ``confirm`` is asked (with what is about to be paved) once the database is known to be
    local and unused; False leaves everything as it was.
    """
    if settings.sql_db_url is not None and not is_local_database(settings.sql_db_url):
        # Refuse before connecting anywhere.
        print(f"Refusing to pave: {_shown(settings.sql_db_url)} is not on this machine.", file=sys.stderr)
        return 2
    embedded: EmbeddedPostgres | None = None
    if settings.sql_db_url is None:
        try:
            embedded = await EmbeddedPostgres.start(settings.data_dir, settings)
        except EmbeddedDatabaseError as error:  # no wheel, or a folder of another version
            print(f"Cannot pave: {error}", file=sys.stderr)
            return 2
        url, vector_url = embedded.sql_url, embedded.vector_url
    else:
        url, vector_url = settings.sql_db_url, settings.vector_db_url or settings.sql_db_url
    engine, vector_engine = create_engine(url, pool_size=1), create_engine(vector_url, pool_size=1)
    try:
        await refuse_if_a_server_uses(engine, _describe(settings))
        await refuse_if_a_server_uses(vector_engine, f"the vector database of {_describe(settings)}")
        if not confirm(_describe(settings)):
            print("Nothing changed.")
            return 1
        await pave(engine, vector_engine)
    except (NotLocalDatabaseError, DatabaseInUseError) as error:
        print(error, file=sys.stderr)
        return 2
    except Exception as error:
        if not is_unavailable(error):
            raise
        print(f"Cannot pave: {_shown(url)} does not answer ({type(error).__name__}).", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
        await vector_engine.dispose()
        if embedded is not None:
            await embedded.stop()
    print(f"Paved {_shown(url)}: all tables dropped and recreated, empty.")
    return 0


def _describe(settings: Settings) -> str:
    if settings.sql_db_url is None:
        return f"the embedded database in {settings.data_dir}"
    return _shown(settings.sql_db_url)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    args = parser.parse_args(argv)
    settings = Settings()
    confirm = _always if args.yes else _ask
    return asyncio.run(pave_configured_database(settings, confirm))


def _always(_what: str) -> bool:
    return True


def _ask(what: str) -> bool:
    try:
        answer = input(f"Drop and recreate all tables in {what}? [y/N] ")
    except (EOFError, KeyboardInterrupt):  # Ctrl+D or Ctrl+C at the question: a no
        print()
        return False
    return answer.strip().lower() == "y"


if __name__ == "__main__":
    sys.exit(main())
