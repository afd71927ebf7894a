"""The migrations in alembic/versions: they go up and down cleanly and match the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from heavy.data.migrations import render_item
from heavy.testing.scratch import scratch_name
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.sql.sqltypes import AutoString

from heavy_stack.backend.data import migrations
from heavy_stack.settings import ENV_PREFIX, PROJECT_ROOT

from tests.tooling.project_copy import copy_env, output, run_in

VERSIONS = PROJECT_ROOT / "alembic" / "versions"


async def test_stairway_every_revision_upgrades_downgrades_and_upgrades_again(
    scratch_engine: AsyncEngine,
) -> None:
    steps = migrations.revision_steps()
    assert steps, "alembic/versions holds no revision"

    for step in steps:
        await migrations.upgrade(scratch_engine, step.revision)
        await migrations.downgrade(scratch_engine, step.previous)
        if step.previous != "-1":  # a merge goes back to several parents
            assert await migrations.current_revision(scratch_engine) == (
                None if step.previous == "base" else step.previous
            )
        await migrations.upgrade(scratch_engine, step.revision)
        assert await migrations.current_revision(scratch_engine) == step.revision


async def test_the_models_and_the_migrations_agree(scratch_engine: AsyncEngine) -> None:
    await migrations.upgrade(scratch_engine, "head")

    changes = await migrations.model_changes(scratch_engine)
    assert changes == [], f"The models differ from the migrations: run `make migrations`. {changes}"


async def test_migrated_constraints_follow_the_naming_convention(scratch_engine: AsyncEngine) -> None:
    await migrations.upgrade(scratch_engine, "head")

    async with scratch_engine.connect() as connection:
        names = (
            await connection.execute(
                text("SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass")
            )
        ).scalars()
        assert {"pk_users", "uq_users_email"} <= set(names)


def _new_revision_files(before: set[Path]) -> set[Path]:
    return set(VERSIONS.glob("*.py")) - before


def test_the_script_says_when_there_is_nothing_to_migrate(database_urls: tuple[str, str]) -> None:
    before = set(VERSIONS.glob("*.py"))
    env = copy_env(
        PROJECT_ROOT,
        **{f"{ENV_PREFIX}SQL_DB_URL": database_urls[0], f"{ENV_PREFIX}COCKROACH_DB_URL": ""},
    )
    try:
        result = run_in(
            PROJECT_ROOT,
            "dev_scripts/create_and_test_migrations.py",
            "--message",
            "nothing changed",
            "--scratch-database",
            scratch_name("empty"),
            env=env,
        )
        written = _new_revision_files(before)
    finally:
        for path in _new_revision_files(before):  # never leave a stray revision in the project
            path.unlink()

    assert result.returncode == 0, output(result)
    assert "No model changes: nothing to migrate" in result.stdout
    assert "CockroachDB: skipped" in result.stdout
    assert written == set()


@pytest.mark.parametrize(
    ("column_type", "rendered"),
    [(AutoString(length=320), "sa.String(length=320)"), (AutoString(), "sa.String()")],
)
def test_sqlmodel_strings_are_written_as_plain_sqlalchemy(column_type: AutoString, rendered: str) -> None:
    # Revisions then import only SQLAlchemy, whatever SQLModel does in later versions.
    assert render_item("type", column_type, None) == rendered  # type: ignore[arg-type]
