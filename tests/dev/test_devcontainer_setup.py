"""The dev container's set-up scripts, run here in a copy of the project as the container runs them.

``post_create.sh`` (once, when the container is created) and ``post_start.sh`` (each start) run
in a fresh copy with a git repository of its own, with uv working from its cache (offline): the
copy gets its own ``.venv`` and ``.env``, time tracking starts, records, is kept with the
documented ``cement`` step, and stops. This checkout's ``.venv`` and ``.env`` are not touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from heavy_stack.settings import PROJECT_ROOT

from tests.tooling.project_copy import copy_env, copy_project, output, run_tool

pytestmark = pytest.mark.tooling

TRACKING = "bash .devcontainer/time_tracking.sh"
RECORD_TIMEOUT = 60.0


def find_uv() -> str | None:
    for candidate in (
        os.environ.get("UV"),
        shutil.which("uv"),
        str(PROJECT_ROOT / ".tools" / "uv" / "bin" / "uv"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def bash(root: Path, line: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_tool(root, "bash", "-c", line, env=env)


def untracked(root: Path) -> set[str]:
    """Files git would offer to commit (not ignored)."""
    listed = run_tool(root, "git", "ls-files", "--others", "--exclude-standard")
    return set(listed.stdout.splitlines())


def wait_for(condition_met: Callable[[], object], what: str, timeout: float = RECORD_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition_met():
            return
        time.sleep(0.2)
    pytest.fail(f"{what}: not within {timeout} s")


def fingerprint(path: Path) -> tuple[float, int] | None:
    return (path.stat().st_mtime, path.stat().st_size) if path.exists() else None


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A copy of the project with git, and the environment the container's scripts get."""
    uv = find_uv()
    if uv is None:
        pytest.skip("uv is not installed here")
    root = copy_project(tmp_path_factory.mktemp("devcontainer") / "project")
    git = run_tool(root, "git", "init", "--quiet", "--initial-branch", "main")
    assert git.returncode == 0, output(git)
    env = copy_env(root, UV=uv, UV_OFFLINE="1", HOME=os.environ.get("HOME", str(root)))
    for leaked in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PTYME_TRACK_DIR", "PTYME_SECRET_PATH"):
        env.pop(leaked, None)
    yield root, env
    bash(root, f"{TRACKING} stop", env)  # whatever a failed test left running


@pytest.fixture(scope="module")
def created(container: tuple[Path, dict[str, str]]) -> tuple[Path, dict[str, str], set[str]]:
    """post_create.sh has run in the copy; also what git saw before it ran."""
    root, env = container
    before = untracked(root)
    checkout = [fingerprint(PROJECT_ROOT / ".env"), fingerprint(PROJECT_ROOT / ".venv" / "pyvenv.cfg")]
    result = bash(root, "bash .devcontainer/post_create.sh", env)
    assert result.returncode == 0, output(result)
    assert checkout == [
        fingerprint(PROJECT_ROOT / ".env"),
        fingerprint(PROJECT_ROOT / ".venv" / "pyvenv.cfg"),
    ]
    return root, env, before


def test_post_create_makes_the_copys_own_venv_env_and_secret(
    created: tuple[Path, dict[str, str], set[str]],
) -> None:
    root, _, _ = created
    assert (root / ".env").read_text() == (root / ".env.example").read_text()
    assert (root / ".ptyme.secret").read_text().strip()
    # The copy's venv runs the copy's package, from anywhere, without PYTHONPATH.
    where = subprocess.run(
        [str(root / ".venv" / "bin" / "python"), "-c", "import heavy_stack; print(heavy_stack.__file__)"],
        cwd=root.parent,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert where.returncode == 0, output(where)
    assert Path(where.stdout.strip()).is_relative_to(root)
    for program in ("pytest", "ruff", "ptyme-track", "hadolint"):
        assert (root / ".venv" / "bin" / program).exists(), program


def test_post_create_runs_again_without_losing_the_env_or_the_secret(
    created: tuple[Path, dict[str, str], set[str]],
) -> None:
    root, env, _ = created
    (root / ".env").write_text("HEAVY_STACK_APP_TITLE=Mine\n")
    secret = (root / ".ptyme.secret").read_text()
    again = bash(root, "bash .devcontainer/post_create.sh", env)
    assert again.returncode == 0, output(again)
    assert (root / ".env").read_text() == "HEAVY_STACK_APP_TITLE=Mine\n"
    assert (root / ".ptyme.secret").read_text() == secret


def test_time_tracking_starts_records_is_cemented_and_stops(
    created: tuple[Path, dict[str, str], set[str]],
) -> None:
    root, env, before = created
    started = bash(root, "bash .devcontainer/post_start.sh", env)
    assert started.returncode == 0, output(started)
    assert "Time tracking is on" in started.stdout
    pid = int((root / ".data" / "ptyme-track.pid").read_text())
    # A second start (the container restarted its lifecycle hook) keeps the one running.
    again = bash(root, "bash .devcontainer/post_start.sh", env)
    assert f"already on (ptyme-track, pid {pid})" in again.stdout

    record = root / ".ptyme_track" / ".cur_times"
    wait_for(lambda: record.exists() and record.read_text().strip(), "ptyme-track's first record")
    assert json.loads(record.read_text().splitlines()[0])["signed_time"]["sig"]
    # The secret, the running record and the container's logs are never offered to git.
    assert untracked(root) - before == set()

    cement = run_tool(root, str(root / ".venv" / "bin" / "ptyme-track"), "--cement", "ada", env=env)
    assert cement.returncode == 0, output(cement)
    kept = (root / ".ptyme_track" / "ada").read_text().splitlines()
    assert json.loads(kept[0])["git-branch"] == "main"
    # ptyme-track reads it back, its signatures checked against this clone's secret.
    blocks = run_tool(
        root, str(root / ".venv" / "bin" / "ptyme-track"), "--time-blocks", ".ptyme_track/ada", env=env
    )
    assert blocks.returncode == 0, output(blocks)
    assert json.loads(blocks.stdout.splitlines()[0])[
        "start"
    ]  # a block: entries that failed the check are dropped
    assert record.read_text() == ""  # moved, not copied
    assert untracked(root) - before == {".ptyme_track/ada"}  # the file to commit

    stopped = bash(root, f"{TRACKING} stop", env)
    assert stopped.returncode == 0, output(stopped)
    wait_for(lambda: not Path(f"/proc/{pid}").exists() or _is_zombie(pid), "ptyme-track to stop", 10)
    assert not (root / ".data" / "ptyme-track.pid").exists()
    status = bash(root, f"{TRACKING} status", env)
    assert (status.returncode, status.stdout.strip()) == (3, "Time tracking is off.")
    assert "Traceback" not in (root / ".data" / "ptyme-track.log").read_text()


def test_time_tracking_refuses_an_unknown_command(container: tuple[Path, dict[str, str]]) -> None:
    root, env = container
    result = bash(root, f"{TRACKING} restart", env)
    assert result.returncode == 2
    assert result.stderr.strip() == "usage: bash .devcontainer/time_tracking.sh start|stop|status"


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True
