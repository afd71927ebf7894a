"""The README's commands work verbatim in a fresh copy of the project, with no uv on PATH.

The commands a newcomer types come from the README itself: the shell blocks and the table of
make targets. ``make run`` really runs (it installs uv into ``.tools/`` and the locked
dependencies into ``.venv/`` first); the rest are checked with ``make -n``, which fails for a
target the Makefile lacks. ``make test`` is what CI itself runs.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from heavy.testing.live_server import free_port

from heavy_stack.settings import ENV_PREFIX, PROJECT_ROOT

from tests.tooling.project_copy import copy_project

pytestmark = pytest.mark.tooling

README = PROJECT_ROOT / "README.md"
FENCED_SHELL = re.compile(r"^```(?:bash|sh|shell)\n(.*?)^```", re.MULTILINE | re.DOTALL)
TABLE_MAKE = re.compile(r"^\| `(make [^`]+)` \|", re.MULTILINE)
INLINE_VENV = re.compile(r"`(\.venv/bin/[^`]+)`")
START_TIMEOUT = 240.0  # a fresh copy installs uv and every locked package first


def readme_commands() -> list[str]:
    """Every command the README shows: shell blocks (comments dropped) and the make table."""
    text = README.read_text()
    commands = []
    for block in FENCED_SHELL.findall(text):
        for line in block.splitlines():
            command = line.split(" #", 1)[0].strip()
            if command and not command.startswith("#"):
                commands.append(command)
    commands += TABLE_MAKE.findall(text)
    commands += INLINE_VENV.findall(text)
    return list(dict.fromkeys(commands))


def without_uv(env: dict[str, str]) -> dict[str, str]:
    """``env`` as a newcomer's shell has it: no uv on PATH, no virtualenv, no app settings."""
    folders = [
        folder
        for folder in env.get("PATH", "").split(os.pathsep)
        if not (Path(folder) / "uv").exists() and not (Path(folder) / "activate").exists()
    ]
    # `uv run` tells its children where uv is (UV): a newcomer's shell has no such variable.
    dropped = (ENV_PREFIX, "VIRTUAL_ENV", "UV_", "MAKE")
    clean = {name: value for name, value in env.items() if not name.startswith(dropped) and name != "UV"}
    clean.pop("PYTHONPATH", None)
    return {**clean, "PATH": os.pathsep.join(folders)}


def make_target(command: str) -> str | None:
    words = shlex.split(command)
    return words[1] if words[:1] == ["make"] and len(words) > 1 else None


def test_the_readme_shows_the_two_set_up_commands_first() -> None:
    commands = readme_commands()
    assert commands[:2] == ["make run", "make test"], commands


def test_every_readme_command_goes_through_make_or_needs_no_uv() -> None:
    for command in readme_commands():
        first = shlex.split(command)[0]
        assert first != "uv", f"{command!r} needs uv on PATH: route it through make"
        assert make_target(command) or first in {"sanic", "python3"} or first.startswith(".venv/"), command


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as a clone has it: no .venv, no .tools, no .data."""
    return copy_project(tmp_path_factory.mktemp("readme") / "project")


def test_every_make_target_the_readme_names_exists(fresh_copy: Path) -> None:
    env = without_uv(dict(os.environ))
    for command in readme_commands():
        target = make_target(command)
        if target is None:
            continue
        result = subprocess.run(
            ["make", "-n", *shlex.split(command)[1:]], cwd=fresh_copy, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{command}: {result.stderr}"


def test_make_run_serves_on_a_fresh_copy_without_uv_on_path(
    fresh_copy: Path, tmp_path: Path, embedded_data_dir: Path
) -> None:
    port = free_port()
    env = without_uv(dict(os.environ))
    env |= {f"{ENV_PREFIX}PORT": str(port), f"{ENV_PREFIX}DATA_DIR": str(embedded_data_dir)}
    log_path = tmp_path / "make-run.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            ["make", "run"],
            cwd=fresh_copy,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert _answers(f"http://127.0.0.1:{port}/readyz", process), log_path.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl+C, as in a terminal
        exited = process.wait(timeout=30)
    log = log_path.read_text()
    assert (fresh_copy / ".tools" / "uv" / "bin" / "uv").exists(), log  # make installed uv itself
    for command in readme_commands():  # what the README runs from .venv/bin is installed
        if command.startswith(".venv/"):
            assert (fresh_copy / shlex.split(command)[0]).is_file(), command
    assert "Traceback" not in log, log
    assert exited in (0, 130, -signal.SIGINT, 2), log


def _answers(url: str, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    return False
