"""The migrations are the one source of the schema, whoever made the database.

`make run` migrates its embedded database; `make migrate` then has nothing left to do (it used to
fail with `relation "users" already exists`). A database made from the models the old way is
stamped when it matches them; anything else gets one line saying what to run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from heavy.data.embedded_postgres import EmbeddedPostgres
from heavy.testing.live_server import free_port
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from heavy_stack.backend.data import migrations
from heavy_stack.backend.data.sql_models import HeavyModel
from heavy_stack.backend.data.sql_models.user import SQLUser
from heavy_stack.settings import ENV_PREFIX, PROJECT_ROOT, Settings
from heavy_stack_testing.product import live_server

pytestmark = pytest.mark.tooling


async def test_an_empty_database_is_migrated_to_head(scratch_engine: AsyncEngine) -> None:
    assert "migrated from revision none" in await migrations.bring_to_head(scratch_engine)
    assert await migrations.current_revision(scratch_engine) == migrations.head_revision()
    assert await migrations.schema_state(scratch_engine) is None
    assert "at revision" in await migrations.bring_to_head(scratch_engine)  # and again: nothing to do


async def test_a_database_made_from_the_models_is_stamped_at_head(scratch_engine: AsyncEngine) -> None:
    async with scratch_engine.begin() as connection:
        await connection.run_sync(HeavyModel.metadata.create_all)
    assert "run `make migrate`" in (await migrations.schema_state(scratch_engine) or "")
    assert "stamped" in await migrations.bring_to_head(scratch_engine)
    assert await migrations.current_revision(scratch_engine) == migrations.head_revision()


async def test_a_database_that_differs_from_the_models_is_refused_with_the_fix(
    scratch_engine: AsyncEngine,
) -> None:
    async with scratch_engine.begin() as connection:
        await connection.run_sync(HeavyModel.metadata.create_all)
        await connection.execute(text(f"ALTER TABLE {SQLUser.__tablename__} ADD COLUMN nickname text"))
    with pytest.raises(migrations.SchemaStateError, match="make pave-db"):
        await migrations.bring_to_head(scratch_engine)


async def test_a_database_ahead_of_the_code_is_refused(scratch_engine: AsyncEngine) -> None:
    await migrations.upgrade(scratch_engine)
    async with scratch_engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0001'"))
    with pytest.raises(migrations.SchemaStateError, match="f00dfeed0001"):
        await migrations.bring_to_head(scratch_engine)
    assert "newer than this code" in (await migrations.schema_state(scratch_engine) or "")


def test_make_migrate_works_on_the_database_make_run_made(tmp_path: Path, embedded_data_dir: Path) -> None:
    data_dir = embedded_data_dir
    with live_server({"DATA_DIR": str(data_dir)}, tmp_path / "run.log") as server:
        assert "migrated from revision none" in server.log()
    env = {f"{ENV_PREFIX}DATA_DIR": str(data_dir), "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "already exists" not in result.stderr


async def test_make_run_on_a_database_ahead_of_the_code_says_so_in_one_line(
    tmp_path: Path, embedded_data_dir: Path
) -> None:
    data_dir = embedded_data_dir
    embedded = await EmbeddedPostgres.start(data_dir, Settings)
    engine = migrations.migration_engine(embedded.sql_url)
    try:
        await migrations.upgrade(engine)
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0002'"))
    finally:
        await engine.dispose()
        await embedded.stop()
    env = {**os.environ, f"{ENV_PREFIX}DATA_DIR": str(data_dir), f"{ENV_PREFIX}PORT": str(free_port())}
    command = [sys.executable, "-m", "heavy_stack"]
    result = await asyncio.to_thread(
        subprocess.run, command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "Cannot start:\nThe database is at revision f00dfeed0002" in result.stderr
