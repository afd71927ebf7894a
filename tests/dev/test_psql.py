"""``make psql``: psql on the app's SQL database, the embedded one or a configured URL, reading
statements piped in (``echo ... | make psql``) or redirected from a file (``make psql < x.sql``).

``make`` runs here with ``UV=true RUN=env``: the target's own recipe, on this checkout's
virtualenv, without a ``uv sync`` of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from heavy.data.embedded_postgres import _postmaster, bundled_program

from heavy_stack.settings import ENV_PREFIX, PROJECT_ROOT

pytestmark = pytest.mark.tooling

TIMEOUT = 120
STATEMENTS = "CREATE TEMP TABLE seen (n int);\nINSERT INTO seen VALUES (41), (1);\nSELECT sum(n) AS answer FROM seen;\n"
FAILING = "SELECT 1 AS first;\nSELECT no_such_column;\nSELECT 3 AS never_reached;\n"


def make_psql(
    settings: dict[str, str], statements: str, form: str, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """``make psql`` with ``statements`` on its stdin, through a pipe or from a file."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIX)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env |= {ENV_PREFIX + name: value for name, value in settings.items()}
    command = ["make", "--no-print-directory", "-C", str(PROJECT_ROOT), "psql", "UV=true", "RUN=env"]
    if form == "pipe":
        return subprocess.run(
            command, input=statements, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    script = tmp_path / "statements.sql"
    script.write_text(statements)
    with script.open() as stdin:
        return subprocess.run(
            command, stdin=stdin, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )


@pytest.fixture(params=["embedded", "configured"])
def database_settings(
    request: pytest.FixtureRequest, embedded_data_dir: Path, database_urls: tuple[str, str]
) -> dict[str, str]:
    """The settings of each kind of database: the embedded one (not running: make psql starts
    it), or the suite's test database as a configured SQLAlchemy URL (``+asyncpg``)."""
    if request.param == "embedded":
        return {"DATA_DIR": str(embedded_data_dir)}
    return {"SQL_DB_URL": database_urls[0], "DATA_DIR": str(embedded_data_dir)}


@pytest.mark.parametrize("form", ["pipe", "file"])
def test_make_psql_runs_the_statements_it_is_given(
    database_settings: dict[str, str], form: str, tmp_path: Path
) -> None:
    result = make_psql(database_settings, STATEMENTS, form, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert " answer \n" in result.stdout
    assert "     42\n" in result.stdout
    assert result.stderr == ""
    data_dir = Path(database_settings["DATA_DIR"])
    # The embedded one was started for the session and stopped after; a configured URL wins.
    assert _postmaster(data_dir / "pgdata") is None
    assert (data_dir / "pgdata").exists() is ("SQL_DB_URL" not in database_settings)


def test_piped_statements_stop_at_the_first_error(database_settings: dict[str, str], tmp_path: Path) -> None:
    result = make_psql(database_settings, FAILING, "pipe", tmp_path)

    assert result.returncode != 0
    assert "first" in result.stdout
    assert 'column "no_such_column" does not exist' in result.stderr
    assert "never_reached" not in result.stdout


def test_the_psql_used_is_the_one_bundled_with_the_embedded_postgresql() -> None:
    # Nothing to install by hand: the dev dependencies bring it, matching the server's version.
    psql = bundled_program("psql")
    assert psql is not None
    version = subprocess.run([str(psql), "--version"], capture_output=True, text=True, check=True, timeout=30)
    assert version.stdout.startswith("psql (PostgreSQL) ")
    assert bundled_program("no-such-program") is None
