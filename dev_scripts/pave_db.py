"""Drop and recreate every table from the models: a clean development database.

Usage: python dev_scripts/pave_db.py [--yes]

Works on the embedded database (started if needed) or on HEAVY_STACK_SQL_DB_URL, and refuses
any database that is not on this machine. All data in those tables is lost. For databases
that hold data you keep, write a migration instead (make migrations).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.engine import make_url

from heavy_stack.backend.data.db_connection import create_engine
from heavy_stack.backend.data.embedded_postgres import EmbeddedDatabaseError, EmbeddedPostgres
from heavy_stack.backend.data.pave import NotLocalDatabaseError, is_local_database, pave
from heavy_stack.settings import Settings


async def pave_configured_database(settings: Settings) -> int:
    """Pave the configured (or embedded) database; the exit code for the command line."""
    if settings.sql_db_url is not None and not is_local_database(settings.sql_db_url):
        # Refuse before connecting anywhere.
        print(f"Refusing to pave: {_shown(settings.sql_db_url)} is not on this machine.", file=sys.stderr)
        return 2
    embedded: EmbeddedPostgres | None = None
    if settings.sql_db_url is None:
        try:
            embedded = await EmbeddedPostgres.start(settings.data_dir)
        except EmbeddedDatabaseError as error:  # no wheel, or a folder of another version
            print(f"Cannot pave: {error}", file=sys.stderr)
            return 2
        url, vector_url = embedded.sql_url, embedded.vector_url
    else:
        url, vector_url = settings.sql_db_url, settings.vector_db_url or settings.sql_db_url
    engine, vector_engine = create_engine(url, pool_size=1), create_engine(vector_url, pool_size=1)
    try:
        await pave(engine, vector_engine)
    except NotLocalDatabaseError as error:
        print(error, file=sys.stderr)
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
    if (
        not args.yes
        and input(f"Drop and recreate all tables in {_describe(settings)}? [y/N] ").lower() != "y"
    ):
        print("Nothing changed.")
        return 1
    return asyncio.run(pave_configured_database(settings))


if __name__ == "__main__":
    sys.exit(main())
