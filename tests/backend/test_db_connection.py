from __future__ import annotations

import asyncpg
import pytest
from heavy.data.db_connection import Database, async_url, is_unavailable
from sqlalchemy import text

from tests.backend.test_unit_of_work import plain_url


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:p@localhost/app", "postgresql+asyncpg://u:p@localhost/app"),
        ("postgres://u:p@localhost/app", "postgresql+asyncpg://u:p@localhost/app"),
        ("postgresql+asyncpg://u:p@localhost/app", "postgresql+asyncpg://u:p@localhost/app"),
        ("cockroachdb+asyncpg://root@localhost:26257/app", "cockroachdb+asyncpg://root@localhost:26257/app"),
        ("cockroachdb://root@localhost:26257/app", "cockroachdb+asyncpg://root@localhost:26257/app"),
    ],
)
def test_urls_get_the_async_driver(given: str, used: str) -> None:
    assert async_url(given) == used


async def test_a_cockroachdb_url_gets_the_cockroachdb_dialect() -> None:
    url = "cockroachdb+asyncpg://root@localhost:26257/app"
    database = Database.connect(url, url)  # engines connect lazily: no server needed
    assert database.engine.dialect.name == "cockroachdb"
    await database.close()


async def test_the_vector_database_has_pgvector(database: Database) -> None:
    async with database.vector_engine.connect() as connection:
        distance = await connection.execute(text("SELECT '[1,0]'::vector <-> '[0,0]'::vector"))
        assert distance.scalar() == 1.0


async def test_a_statement_on_a_connection_the_server_ended_is_an_outage(scratch_url: str) -> None:
    # After the server ends a connection (a restart, pg_terminate_backend), the next statement
    # fails in one of two ways, by a race inside asyncpg: "connection is closed" once it has
    # read the end of the connection, "cannot switch to state 12" when it has read only the
    # server's goodbye. Both are a lost connection, never an unexpected error: many rounds
    # meet both.
    observer = await asyncpg.connect(plain_url(scratch_url))
    failures: set[str] = set()
    try:
        for _ in range(40):
            victim = await asyncpg.connect(plain_url(scratch_url))
            pid = victim.get_server_pid()
            await observer.fetchval("SELECT pg_terminate_backend($1)", pid)
            while await observer.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
                pass
            with pytest.raises(Exception) as failure:  # noqa: PT011 (which one is the race's choice)
                await victim.fetchrow("SELECT 1")
            assert is_unavailable(failure.value), repr(failure.value)
            failures.add(type(failure.value).__name__)
            victim.terminate()
    finally:
        await observer.close()
    assert failures <= {"InterfaceError", "InternalClientError"}


async def test_a_failing_statement_names_its_sql_but_never_its_parameters(database: Database) -> None:
    """Parameters are user data (a note's text, an owner's id): no error, and so no log line, shows them."""
    secret = "owner-4f1c private note text"
    statement = text("SELECT CAST(:title AS text), CAST(:owner AS text)")
    for engine in (database.engine, database.vector_engine):
        async with engine.connect() as connection:
            with pytest.raises(Exception) as failure:  # noqa: PT011 (the driver's own error class)
                await connection.execute(statement, {"title": "Groceries\x00", "owner": secret})
        assert "CAST(" in str(failure.value)  # what failed is still said
        assert "owner-4f1c" not in str(failure.value)
        assert "owner-4f1c" not in repr(failure.value)
