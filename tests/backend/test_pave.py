from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from heavy.data.db_connection import Database, create_engine
from heavy.data.embedded_postgres import EmbeddedPostgres
from heavy.testing.live_server import LiveServer
from sqlalchemy import text

from heavy_stack.backend.data.pave import (
    SERVER_APPLICATION_NAME,
    NotLocalDatabaseError,
    is_local_database,
    pave,
)
from heavy_stack.settings import ENV_PREFIX, PROJECT_ROOT, Settings
from heavy_stack_testing.product import live_server


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


def test_pave_script_paves_the_configured_database(scratch_url: str, tmp_path: Path) -> None:
    # A database of its own: the suite's may be in use by its session's server, which pave refuses.
    result = pave_script({"SQL_DB_URL": scratch_url}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "all tables dropped and recreated" in result.stdout


def test_pave_script_refuses_a_remote_database(tmp_path: Path) -> None:
    result = pave_script({"SQL_DB_URL": "postgresql://u:secret@db.example.com/prod"}, tmp_path)
    assert result.returncode == 2
    assert "not on this machine" in result.stderr
    assert "secret" not in result.stderr


# --- a database that a running server uses -----------------------------------------------------

SERVER_CONNECTS_SECONDS = 30.0
REFUSED = "a running server is using it"


def pave_script(settings: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``make pave-db YES=1`` with only these settings, in a folder without a ``.env``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIX)}
    env |= {ENV_PREFIX + name: value for name, value in settings.items()}
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "dev_scripts" / "pave_db.py"), "--yes"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def server_connections(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            count = await connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = :name"
                ),
                {"name": SERVER_APPLICATION_NAME},
            )
            return int(count.scalar_one())
    finally:
        await engine.dispose()


async def wait_for_server_connections(url: str, server: LiveServer) -> None:
    # Its background jobs use the database as it starts; the health check answers before that.
    deadline = time.monotonic() + SERVER_CONNECTS_SECONDS
    while await server_connections(url) == 0:
        assert time.monotonic() < deadline, f"the server never connected:\n{server.log()}"
        await asyncio.sleep(0.1)


async def count_users(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT count(*) FROM users"))).scalar_one())
    finally:
        await engine.dispose()


async def add_a_user(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO users (id, email, display_name, created_at) "
                    "VALUES (gen_random_uuid(), 'kept@example.com', 'K', now())"
                )
            )
    finally:
        await engine.dispose()


@pytest.mark.server
async def test_pave_refuses_a_configured_database_that_a_running_server_uses(
    scratch_url: str, tmp_path: Path
) -> None:
    settings = {"SQL_DB_URL": scratch_url}
    assert pave_script(settings, tmp_path).returncode == 0  # the tables, for the server
    await add_a_user(scratch_url)
    clean = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIX)}
    with live_server(settings, tmp_path / "server.log", base_env=clean) as server:
        await wait_for_server_connections(scratch_url, server)

        refused = await asyncio.to_thread(pave_script, settings, tmp_path)

        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert REFUSED in refused.stderr
        assert "stop the server first" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert "Paved" not in refused.stdout
        assert await count_users(scratch_url) == 1  # nothing dropped

    paved = await asyncio.to_thread(pave_script, settings, tmp_path)
    assert paved.returncode == 0, paved.stderr
    assert await count_users(scratch_url) == 0


@pytest.mark.server
async def test_pave_refuses_the_embedded_database_while_make_run_serves_it(
    embedded_data_dir: Path, tmp_path: Path
) -> None:
    settings = {"DATA_DIR": str(embedded_data_dir)}
    clean = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIX)}
    with live_server(settings, tmp_path / "server.log", base_env=clean) as server:
        watching = await EmbeddedPostgres.start(embedded_data_dir, Settings)  # attached, as pave will be
        try:
            await wait_for_server_connections(watching.sql_url, server)
            refused = await asyncio.to_thread(pave_script, settings, tmp_path)
        finally:
            await watching.stop()

        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert REFUSED in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert server.process.poll() is None  # the server serves on

    paved = await asyncio.to_thread(pave_script, settings, tmp_path)
    assert paved.returncode == 0, paved.stderr
    assert "all tables dropped and recreated" in paved.stdout
