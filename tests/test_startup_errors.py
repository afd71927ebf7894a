"""What `make run` prints for settings it cannot start with: a short message naming the variable.

Each case starts ``python -m heavy_stack`` for real, in a folder of its own (its ``.env``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from heavy.testing.live_server import free_port

from heavy_stack.settings import ENV_PREFIX

TIMEOUT = 60
UNREACHABLE_DB = "postgresql://postgres@127.0.0.1:1/nothing"


def start(tmp_path: Path, env: dict[str, str], env_file: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m heavy_stack`` in ``tmp_path`` with these settings and ``.env``, on a free port
    unless they name one (the default port may be serving the developer's app)."""
    (tmp_path / ".env").write_text(env_file)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    names_a_port = "PORT" in env or f"{ENV_PREFIX}PORT=" in env_file
    port = {} if names_a_port else {"PORT": str(free_port())}
    return subprocess.run(
        [sys.executable, "-m", "heavy_stack"],
        cwd=tmp_path,
        env=clean | {f"{ENV_PREFIX}{key}": value for key, value in (port | env).items()},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "env_file", "expected"),
    [
        ({}, f"{ENV_PREFIX}PORT=eighty\n", [f"{ENV_PREFIX}PORT='eighty' (from .env)", "valid integer"]),
        ({"PORT": "70000"}, "", [f"{ENV_PREFIX}PORT='70000' (from the environment)", "65535"]),
        ({"SQL_DB_URL": "not a url"}, "", [f"{ENV_PREFIX}SQL_DB_URL='not a url'", "not a URL"]),
        ({"WORKERS": "0"}, "", [f"{ENV_PREFIX}WORKERS=", "greater than or equal to 1"]),
        (
            {"ENVIRONMENT": "PRODUCTION", "SECRET_KEY": "short", "ALLOWED_ORIGINS": "*"},
            "",
            [
                f"{ENV_PREFIX}SECRET_KEY",
                "at least 32",
                f"{ENV_PREFIX}SQL_DB_URL",
                f"{ENV_PREFIX}ALLOWED_ORIGINS",
            ],
        ),
    ],
    ids=["port-not-a-number", "port-out-of-range", "bad-url", "no-workers", "production-all-at-once"],
)
def test_a_bad_setting_is_one_short_message_naming_the_variable(
    tmp_path: Path, env: dict[str, str], env_file: str, expected: list[str]
) -> None:
    result = start(tmp_path, env, env_file)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Cannot start:"
    assert len(lines) <= 4, result.stderr  # the header, and one line per problem
    assert "Traceback" not in result.stderr
    for part in expected:
        assert part in result.stderr


def test_a_port_in_use_is_named_with_its_variable(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", port))
        other_server.listen()
        result = start(tmp_path, {"PORT": str(port), "SQL_DB_URL": UNREACHABLE_DB})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Cannot start:",
        f"Port {port} on 127.0.0.1 is in use ({ENV_PREFIX}PORT): stop the other server, "
        f"or set {ENV_PREFIX}PORT={port + 1}.",
    ]


def test_a_misspelt_variable_is_a_warning_with_the_closest_name(tmp_path: Path) -> None:
    result = start(tmp_path, {"SQL_DB_URL": "not a url"}, env_file=f"{ENV_PREFIX}PORTT=8001\n")
    assert (
        f"Warning: {ENV_PREFIX}PORTT (in .env) is not a setting and is ignored; did you mean {ENV_PREFIX}PORT?"
        in result.stderr
    )


def test_a_data_folder_of_postgresql_16_is_one_line_saying_what_to_do_and_is_left_as_it_was(
    tmp_path: Path,
) -> None:
    # What the pgserver wheel (PostgreSQL 16) left under .data/ before the move to PostgreSQL 18.
    pgdata = tmp_path / "data" / "pgdata"
    (pgdata / "base").mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("16\n")
    result = start(tmp_path, {"DATA_DIR": str(tmp_path / "data")})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines[-2:] == [
        "Cannot start:",
        f"The embedded database in {pgdata} was made by PostgreSQL 16; this version uses 18: move that "
        f"folder away (its data stays there) and start again for an empty database, or set "
        f"{ENV_PREFIX}DATA_DIR to another folder.",
    ]
    assert "Traceback" not in result.stderr
    assert sorted(path.name for path in pgdata.iterdir()) == ["PG_VERSION", "base"]  # nothing written
    assert (pgdata / "PG_VERSION").read_text() == "16\n"
