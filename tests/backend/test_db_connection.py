from __future__ import annotations

import pytest
from sqlalchemy import text

from heavy_stack.backend.data.db_connection import Database, async_url


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
