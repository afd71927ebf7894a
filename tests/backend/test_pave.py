from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from heavy_stack.backend.data.db_connection import Database, create_engine
from heavy_stack.backend.data.pave import NotLocalDatabaseError, is_local_database, pave
from heavy_stack.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("postgresql+asyncpg://u:p@localhost/db", True),
        ("postgresql+asyncpg://u:p@127.0.0.1:5432/db", True),
        ("postgresql+asyncpg://u:p@127.8.9.10/db", True),
        ("postgresql+asyncpg://u:p@[::1]:5432/db", True),
        ("postgresql+asyncpg://postgres:@/db?host=/tmp/pg-socket", True),
        ("postgresql+asyncpg://u:p@db.example.com/db", False),
        ("postgresql+asyncpg://u:p@10.0.0.5/db", False),
        ("cockroachdb+asyncpg://root@cockroach:26257/db", False),
    ],
)
def test_only_databases_on_this_machine_count_as_local(url: str, local: bool) -> None:
    assert is_local_database(url) is local


async def test_pave_refuses_a_remote_database_without_connecting() -> None:
    engine = create_engine("postgresql+asyncpg://u:p@db.example.com/prod")
    with pytest.raises(NotLocalDatabaseError, match="only a database on this machine"):
        await pave(engine)


async def test_pave_empties_the_tables(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (id, email, display_name, created_at) "
                "VALUES (gen_random_uuid(), 'pave@example.com', 'P', now())"
            )
        )

    await pave(database.engine)

    async with database.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM users"))).scalar() == 0


def _run_pave_script(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_overrides}
    return subprocess.run(
        [sys.executable, "dev_scripts/pave_db.py", "--yes"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_pave_script_paves_the_configured_database(database_urls: tuple[str, str]) -> None:
    result = _run_pave_script({"HEAVY_STACK_SQL_DB_URL": database_urls[0]})
    assert result.returncode == 0, result.stderr
    assert "all tables dropped and recreated" in result.stdout


def test_pave_script_refuses_a_remote_database() -> None:
    result = _run_pave_script({"HEAVY_STACK_SQL_DB_URL": "postgresql://u:secret@db.example.com/prod"})
    assert result.returncode == 2
    assert "not on this machine" in result.stderr
    assert "secret" not in result.stderr
