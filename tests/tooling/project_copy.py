"""Copy the project to a temporary folder and run its commands there, as a user would.

The copy runs on this checkout's virtualenv: its Python, with the copy first on ``PYTHONPATH``
(ahead of the editable install, which points at this checkout), and the copy as the working
directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from heavy_stack.settings import ENV_PREFIX, PROJECT_ROOT

# What a copy never needs (and what `git ls-files` would leave out anyway).
_NOT_COPIED = {
    ".git",
    ".venv",
    ".tools",
    ".data",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
}
SUBPROCESS_TIMEOUT = 300


def project_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """The project's files: tracked and untracked-but-not-ignored, relative to ``root``."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return _walked_files(root)  # no git, or no repository (a renamed project before `git init`)
    return [Path(name) for name in listed.split("\0") if name and (root / name).is_file()]


def _walked_files(root: Path) -> list[Path]:
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [name for name in dirs if name not in _NOT_COPIED]
        files += [(Path(folder) / name).relative_to(root) for name in names]
    return files


def copy_project(destination: Path, *, with_mypy_cache: bool = False) -> Path:
    """Copy the project into ``destination`` (created); returns it.

    ``with_mypy_cache`` copies mypy's cache too: mypy then re-checks only what changed.
    """
    for relative in project_files():
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / relative, target, follow_symlinks=False)
    cache = PROJECT_ROOT / ".mypy_cache"
    if with_mypy_cache and cache.is_dir():
        shutil.copytree(cache, destination / ".mypy_cache")
    return destination


def copy_env(root: Path, **variables: str) -> dict[str, str]:
    """This process's environment for a command in ``root``: no settings leak from the shell."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)}
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(root / "brython")])
    env.pop("PYTEST_ADDOPTS", None)
    return {**env, **variables}


def run_in(
    root: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = SUBPROCESS_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` (this virtualenv's Python) in ``root``; never raises on failure."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=root,
        env=env if env is not None else copy_env(root),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_pytest_in(
    root: Path, *args: str, env: dict[str, str], timeout: float = SUBPROCESS_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run the copy's own pytest on ``args``.

    Its temporary files go next to the copy: left to itself, a second pytest resets the
    permissions of the shared ``pytest-of-<user>`` folder, where the PostgreSQL this run started
    (as another system user, when run as root) keeps its data.
    """
    basetemp = root.parent / f"{root.name}-pytest-tmp"
    return run_in(
        root,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--basetemp={basetemp}",
        *args,
        env=env,
        timeout=timeout,
    )


def tool(name: str) -> str:
    """A command installed next to this Python (ruff, mypy); a path is used as it is."""
    if os.sep in name:
        return name
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else name


def run_tool(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command ``args`` (first item: a tool name or a path) in ``root``; never raises."""
    return subprocess.run(
        [tool(args[0]), *args[1:]],
        cwd=root,
        env=env if env is not None else copy_env(root),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    """Both streams, for assertion messages."""
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
