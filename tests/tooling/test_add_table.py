"""dev_scripts/add_table.py in a copy of the project: only what is particular to the table (at
most 4 files with the migration, under 150 lines), lint-clean, tested, migratable."""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from heavy.testing.scratch import make_scratch_database, scratch_name

from heavy_stack.settings import ENV_PREFIX, PROJECT_ROOT, Settings

from tests.tooling.project_copy import (
    copy_env,
    copy_project,
    output,
    project_files,
    run_in,
    run_pytest_in,
    run_tool,
)

pytestmark = pytest.mark.tooling

PACKAGE = Settings.__module__.split(".")[0]
# The goal for one table: files written or edited, the migration included, and lines.
MAX_FILES = 4
MAX_LINES = 150


@dataclass(frozen=True)
class AddedTable:
    root: Path
    table: str
    model: str
    pk: str
    module: str
    stdout: str
    changed: dict[str, int]  # files written or edited by the script: relative path -> lines


def _snapshot(root: Path) -> dict[str, str]:
    """Every file of the copy (no caches), by its content's digest."""
    return {str(path): hashlib.sha256((root / path).read_bytes()).hexdigest() for path in project_files(root)}


def _generated_entity() -> str:
    """A CamelCase name no project has: Gizmo plus random letters."""
    return "Gizmo" + "".join(random.choices(string.ascii_lowercase, k=6))


@pytest.fixture(scope="module")
def added_table(tmp_path_factory: pytest.TempPathFactory) -> AddedTable:
    """A copy of the project in which add_table.py has run once, with flags."""
    root = copy_project(tmp_path_factory.mktemp("add-table") / "project", with_mypy_cache=True)
    entity = _generated_entity()
    module = entity.lower()
    table, model, pk = f"{module}s", f"SQL{entity}", f"{entity}Id"
    before = _snapshot(root)
    result = run_in(root, "dev_scripts/add_table.py", "--table", table, "--model", model, "--pk", pk, "--yes")
    assert result.returncode == 0, output(result)
    after = _snapshot(root)
    changed = {
        path: len((root / path).read_text().splitlines())
        for path, digest in after.items()
        if before.get(path) != digest
    }
    return AddedTable(root, table, model, pk, module, result.stdout, changed)


@pytest.fixture(scope="module")
async def copy_test_database(database_urls: tuple[str, str]) -> AsyncIterator[str]:
    """An empty database the copy's own test suite runs on."""
    async for url in make_scratch_database(database_urls, "add_table"):
        yield url


def test_the_copy_imports_its_own_code(added_table: AddedTable) -> None:
    result = run_in(added_table.root, "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)")
    assert result.stdout.strip() == str(added_table.root / PACKAGE / "__init__.py"), output(result)


def test_only_what_is_particular_to_the_table_is_written(added_table: AddedTable) -> None:
    data = f"{PACKAGE}/backend/data"
    module = added_table.module
    assert set(added_table.changed) == {
        f"{PACKAGE}/shared_models/{module}.py",
        f"{data}/sql_models/{module}.py",
        f"tests/backend/test_{module}_layers.py",
    }, "no other file is written or edited: no registry, no __init__ line"
    sql_model = (added_table.root / data / "sql_models" / f"{module}.py").read_text()
    assert f"{added_table.table} = CrudManager({added_table.model}, " in sql_model
    assert "make migrations" in added_table.stdout
    print("Written by add_table.py:", added_table.changed)


def test_with_its_migration_the_table_takes_at_most_4_files_and_under_150_lines(
    added_table: AddedTable, migration: Path
) -> None:
    files = {**added_table.changed, str(migration.relative_to(added_table.root)): _lines(migration)}
    total = sum(files.values())
    print(f"A table with its migration: {len(files)} files, {total} lines: {files}")
    assert len(files) <= MAX_FILES, files
    assert total < MAX_LINES, files


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def test_existing_files_are_never_overwritten(added_table: AddedTable) -> None:
    sql_model = added_table.root / PACKAGE / "backend" / "data" / "sql_models" / f"{added_table.module}.py"
    before = sql_model.read_text()

    # Another table name, the same model: every file it would write exists.
    result = run_in(
        added_table.root,
        "dev_scripts/add_table.py",
        "--table",
        "others",
        "--model",
        added_table.model,
        "--yes",
    )

    assert result.returncode == 2
    assert "exist already (nothing was written)" in result.stderr
    assert sql_model.read_text() == before


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--table", "Invoices"], "plural snake_case"),
        (["--table", "invoices", "--model", "Invoice"], "start with SQL"),
        (["--table", "invoices", "--pk", "InvoiceKey"], "ending in Id"),
        (["--table", "users"], "already declares the table 'users'"),
        (["--table", "class"], "reserved word"),
        (["--table", "uuid"], "a name the table's module uses"),
    ],
)
def test_invalid_names_are_refused(flags: list[str], message: str) -> None:
    # Refused before anything is written, so this runs safely on the project itself.
    result = run_in(PROJECT_ROOT, "dev_scripts/add_table.py", *flags, "--yes")
    assert result.returncode == 2, output(result)
    assert message in result.stderr


def test_the_prompts_offer_names_derived_from_the_table(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")

    # Answers: the table, Enter twice for the suggested model and id names, y to write.
    result = run_in(root, "dev_scripts/add_table.py", stdin="line_items\n\n\ny\n")

    assert result.returncode == 0, output(result)
    sql_model = (root / PACKAGE / "backend" / "data" / "sql_models" / "line_item.py").read_text()
    assert "class SQLLineItem(HeavyModel, table=True):" in sql_model
    assert '__tablename__ = "line_items"' in sql_model
    assert (
        'LineItemId = NewType("LineItemId", uuid.UUID)'
        in (root / PACKAGE / "shared_models" / "line_item.py").read_text()
    )


def test_the_result_is_lint_type_and_layer_clean(added_table: AddedTable) -> None:
    for command in (
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        ["lint-imports", "--no-cache"],
    ):
        result = run_tool(added_table.root, *command)
        assert result.returncode == 0, f"{' '.join(command)}: {output(result)}"


def test_the_generated_test_passes_on_the_real_database(
    added_table: AddedTable, copy_test_database: str
) -> None:
    env = copy_env(added_table.root, **{f"{ENV_PREFIX}TEST_SQL_DB_URL": copy_test_database})
    test_file = f"tests/backend/test_{added_table.module}_layers.py"

    result = run_pytest_in(added_table.root, test_file, env=env)

    assert result.returncode == 0, output(result)
    assert "3 passed" in result.stdout


@pytest.fixture(scope="module")
def migration(added_table: AddedTable, database_urls: tuple[str, str], copy_test_database: str) -> Path:
    """The migration ``make migrations`` writes for the table (after checking the suite asks
    for one): the fourth file of a table."""
    test_env = copy_env(added_table.root, **{f"{ENV_PREFIX}TEST_SQL_DB_URL": copy_test_database})
    before = run_pytest_in(added_table.root, MIGRATION_TESTS, "-k", AGREEMENT, env=test_env)
    assert before.returncode == 1, output(before)
    assert "make migrations" in before.stdout
    return _make_migrations(added_table.root, database_urls[0], f"add {added_table.table}")


MIGRATION_TESTS = "tests/tooling/test_migrations.py"
AGREEMENT = "test_the_models_and_the_migrations_agree"


def test_make_migrations_then_creates_the_table_and_the_stairway_passes(
    added_table: AddedTable, migration: Path, copy_test_database: str
) -> None:
    test_env = copy_env(added_table.root, **{f"{ENV_PREFIX}TEST_SQL_DB_URL": copy_test_database})
    source = migration.read_text()
    assert f'op.create_table(\n        "{added_table.table}"' in source
    assert f'op.drop_table("{added_table.table}")' in source

    after = run_pytest_in(added_table.root, MIGRATION_TESTS, "-k", f"stairway or {AGREEMENT}", env=test_env)
    assert after.returncode == 0, output(after)
    assert "2 passed" in after.stdout


def _make_migrations(root: Path, server_url: str, message: str) -> Path:
    """Run the migration script in ``root``; the one revision file it wrote."""
    versions = root / "alembic" / "versions"
    before = set(versions.glob("*.py"))
    env = copy_env(root, **{f"{ENV_PREFIX}SQL_DB_URL": server_url, f"{ENV_PREFIX}COCKROACH_DB_URL": ""})
    result = run_in(
        root,
        "dev_scripts/create_and_test_migrations.py",
        "-m",
        message,
        "--scratch-database",
        scratch_name("make_migrations"),
        env=env,
    )
    assert result.returncode == 0, output(result)
    assert "applied, downgraded and applied again: OK" in result.stdout
    written = set(versions.glob("*.py")) - before
    assert len(written) == 1, output(result)
    return written.pop()
