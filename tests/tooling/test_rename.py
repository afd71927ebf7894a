"""rename_project.py on a copy of the project: the renamed project says only its new name and passes
its own tests."""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import string
import sys
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from heavy.testing.scratch import make_scratch_database

import rename_project
from heavy_stack.settings import PROJECT_ROOT

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
# The renamed copy's whole fast suite, on this 2-core machine: minutes (about 7.5 in 2026-12).
RENAMED_SUITE_TIMEOUT = 900
# The test's own limit, over the suite's: the copy, the rename and the scratch databases too
# (the suite's default of 300 s ended the test while the copy's suite still ran).
RENAMED_TEST_TIMEOUT = RENAMED_SUITE_TIMEOUT + 300

OLD = rename_project.ProjectName(rename_project.CURRENT_NAME, rename_project.CURRENT_TITLE)
# A binary file named after the project, whose bytes spell the old name: renamed, not rewritten.
BINARY_BYTES = b"\x89PNG\r\n\x1a\n\0" + f"{OLD.snake} {OLD.upper}_ {OLD.title}".encode() + bytes(range(256))
LATIN1_BYTES = f"{OLD.snake}: caf\xe9\n".encode("latin-1")


@dataclass(frozen=True)
class Renamed:
    root: Path
    new: rename_project.ProjectName
    stdout: str


def _generated_name() -> rename_project.ProjectName:
    """A fresh snake_case name (never installed anywhere) and its title.

    It starts late in the alphabet, after every library the project imports: import sorting
    must not depend on where the project's name sorts (names across the alphabet are linted
    in ``test_names_across_the_alphabet_keep_the_project_lint_clean``).
    """
    letters = "".join(random.choices(string.ascii_lowercase, k=6))
    return rename_project.ProjectName(f"zulu_{letters}", f"Zulu {letters.capitalize()}")


def _add_files_the_rename_must_not_rewrite(root: Path) -> None:
    (root / "static" / "img").mkdir(parents=True, exist_ok=True)
    (root / "static" / "img" / f"{OLD.snake}_logo.png").write_bytes(BINARY_BYTES)
    (root / "static" / "legacy-latin1.txt").write_bytes(LATIN1_BYTES)


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Renamed:
    root = copy_project(tmp_path_factory.mktemp("rename") / "project", with_mypy_cache=True)
    _add_files_the_rename_must_not_rewrite(root)
    new = _generated_name()
    result = run_in(root, "rename_project.py", "--name", new.snake, "--title", new.title, "--yes")
    assert result.returncode == 0, output(result)
    return Renamed(root, new, result.stdout)


@pytest.fixture(scope="module")
async def renamed_test_database(database_urls: tuple[str, str]) -> AsyncIterator[str]:
    async for url in make_scratch_database(database_urls, "renamed"):
        yield url


def _text_files(root: Path) -> list[Path]:
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [name for name in dirs if name not in rename_project.SKIP_DIRS]
        files += [
            Path(folder) / name for name in names if rename_project.read_text(Path(folder) / name) is not None
        ]
    return files


def test_the_summary_counts_the_changes_and_says_what_to_do_next(renamed: Renamed) -> None:
    counts = re.search(r"Done: (\d+) files changed, (\d+) replacements", renamed.stdout)
    assert counts is not None, renamed.stdout
    assert int(counts.group(1)) > 20
    assert int(counts.group(2)) > int(counts.group(1))
    assert "rm -rf .git && git init" in renamed.stdout
    assert "make test" in renamed.stdout


def test_nothing_still_says_the_old_name(renamed: Renamed) -> None:
    # Any case: heavy_stack, HEAVY_STACK_, heavy-stack, HeavyStack, Heavy Stack, ...
    spellings = {spelling.casefold() for spelling in (OLD.snake, OLD.kebab, OLD.camel, OLD.words)}
    found = [
        f"{path.relative_to(renamed.root)}: {spelling}"
        for path in _text_files(renamed.root)
        for spelling in spellings
        if spelling in path.read_text(encoding="utf-8").casefold()
    ]
    # The template's notice stays with its code, and the framework keeps its own words. Worked
    # out, not written here: the rename rewrites this file too, and a renamed project's
    # LICENSE still names the template.
    kept = tuple(f"{pattern}{end}" for pattern in rename_project.ALWAYS_KEPT for end in (": ", "/"))
    assert [entry for entry in found if not entry.startswith(kept)] == []


def test_the_framework_is_left_byte_identical(renamed: Renamed) -> None:
    framework = rename_project.FRAMEWORK_DIR

    # The project's own files (what git tracks or would): not installed node_modules or caches.
    tracked = [path for path in project_files() if path.parts[0] == framework]

    def digests(root: Path) -> dict[str, str]:
        return {path.as_posix(): hashlib.sha256((root / path).read_bytes()).hexdigest() for path in tracked}

    assert tracked, f"no {framework}/ here"
    assert digests(renamed.root) == digests(PROJECT_ROOT)
    in_the_copy = {
        path.relative_to(renamed.root)
        for path in (renamed.root / framework).rglob("*")
        if path.is_file() and not {"__pycache__", "node_modules"} & set(path.parts)
    }
    assert in_the_copy == set(tracked)  # and nothing added


def test_the_license_keeps_the_templates_notice(renamed: Renamed) -> None:
    assert (renamed.root / "LICENSE").read_text() == (PROJECT_ROOT / "LICENSE").read_text()
    paths = [path for path in renamed.root.rglob(f"*{OLD.snake}*") if ".mypy_cache" not in path.parts]
    assert paths == []


def test_the_package_brython_package_prefix_and_distribution_are_renamed(renamed: Renamed) -> None:
    root, new = renamed.root, renamed.new
    assert (root / new.snake / "__init__.py").is_file()
    assert (root / "brython" / f"{new.snake}_brython").is_dir()
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["name"] == new.kebab
    assert f'name = "{new.kebab}"\nversion' in (root / "uv.lock").read_text()

    shown = run_in(
        root,
        "-c",
        f"import {new.snake}; from {new.snake}.settings import ENV_PREFIX, Settings; "
        f"print({new.snake}.__file__, ENV_PREFIX, Settings(_env_file=None).app_title, sep='|')",
    )
    assert shown.stdout.strip().split("|") == [
        str(root / new.snake / "__init__.py"),
        f"{new.upper}_",
        new.title,
    ], output(shown)


def test_binary_and_non_utf8_files_are_left_alone(renamed: Renamed) -> None:
    assert (renamed.root / "static" / "img" / f"{renamed.new.snake}_logo.png").read_bytes() == BINARY_BYTES
    assert (renamed.root / "static" / "legacy-latin1.txt").read_bytes() == LATIN1_BYTES
    # Only files that name the project are listed (the screenshots in docs/ do not).
    assert "2 binary or non-UTF-8 files naming the project left alone" in renamed.stdout


def _uv() -> str:
    """This checkout's uv (skips the test where there is none)."""
    uv = os.environ.get("UV") or shutil.which("uv") or str(PROJECT_ROOT / ".tools" / "uv" / "bin" / "uv")
    if not Path(uv).exists():
        pytest.skip("uv is not installed here")
    return uv


def test_the_lock_file_still_matches_pyproject(renamed: Renamed) -> None:
    result = run_tool(renamed.root, _uv(), "lock", "--check", "--offline")
    assert result.returncode == 0, output(result)


def test_the_renamed_project_is_lint_type_and_layer_clean(renamed: Renamed) -> None:
    checks = (
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        ["lint-imports", "--no-cache"],
    )
    for command in checks:
        result = run_tool(renamed.root, *command)
        assert result.returncode == 0, f"{' '.join(command)}: {output(result)}"


def test_the_renamed_project_passes_its_own_tests(
    renamed: Renamed, renamed_test_database: str, database_urls: tuple[str, str]
) -> None:
    prefix = f"{renamed.new.upper}_"
    env = copy_env(
        renamed.root,
        **{
            f"{prefix}TEST_SQL_DB_URL": renamed_test_database,
            f"{prefix}TEST_VECTOR_DB_URL": database_urls[1],
        },
    )
    suites = ["tests/backend", "tests/frontend", "tests/test_settings.py", "tests/tooling/test_migrations.py"]

    result = run_pytest_in(renamed.root, "-m", "not browser and not server", *suites, env=env)

    assert result.returncode == 0, output(result)
    assert " passed" in result.stdout


@pytest.fixture
async def second_scratch_url(database_urls: tuple[str, str]) -> AsyncIterator[str]:
    async for url in make_scratch_database(database_urls, "renamed_vectors"):
        yield url


@pytest.mark.renamed_copy
@pytest.mark.timeout(RENAMED_TEST_TIMEOUT)
def test_a_renamed_copy_passes_its_whole_fast_suite(
    tmp_path: Path, scratch_url: str, second_scratch_url: str
) -> None:
    # What a user does first: rename, then run the tests. A name that sorts before every
    # library it imports, and a title of two words (the module's copy takes the other end).
    new = rename_project.ProjectName("acme_books", "Acme Books")
    root = copy_project(tmp_path / "project", with_mypy_cache=True)
    renamed = run_in(root, "rename_project.py", "--name", new.snake, "--title", new.title, "--yes")
    assert renamed.returncode == 0, output(renamed)
    prefix = f"{new.upper}_"
    env = copy_env(
        root, **{f"{prefix}TEST_SQL_DB_URL": scratch_url, f"{prefix}TEST_VECTOR_DB_URL": second_scratch_url}
    )

    result = run_pytest_in(
        root, "-m", "not browser and not renamed_copy", env=env, timeout=RENAMED_SUITE_TIMEOUT
    )

    assert result.returncode == 0, output(result)
    assert re.search(r"\b\d{3,} passed", result.stdout), result.stdout[-2000:]


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("ab", "AB"),
        ("app2go", "App 2 Go"),
        ("my_very_long_project_name_for_a_client_portal", "My Very Long Project Name"),
        ("reactpy_tools", "Reactpy Tools"),  # sorts right beside the libraries it imports
        ("x", "X Marks"),
    ],
)
def test_names_across_the_alphabet_keep_the_project_lint_clean(tmp_path: Path, name: str, title: str) -> None:
    root = copy_project(tmp_path / "project")
    result = run_in(root, "rename_project.py", "--name", name, "--title", title, "--yes")
    assert result.returncode == 0, output(result)
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        checked = run_tool(root, *command)
        assert checked.returncode == 0, output(checked)
    smoke = run_tool(root, "python", "-c", f"import {name}.app; {name}.app.create_app()")
    assert smoke.returncode == 0, output(smoke)


def test_a_fresh_clone_renamed_by_a_python_without_ruff_is_formatted(tmp_path: Path) -> None:
    # As a user runs it first: `python3 rename_project.py` in a fresh clone, with no .venv and
    # no ruff anywhere (-S: the standard library alone; no ruff on PATH). The short name moves
    # line breaks, which CI's lint would refuse unformatted.
    root = copy_project(tmp_path / "project")
    uv = _uv()
    path = os.pathsep.join(
        folder for folder in os.environ["PATH"].split(os.pathsep) if not (Path(folder) / "ruff").exists()
    )
    env = copy_env(root, PATH=path, UV=uv)
    for variable in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"):  # the copy's own .venv, not ours
        env.pop(variable, None)

    result = run_tool(
        root, sys.executable, "-S", "rename_project.py", "--name", "ab", "--title", "AB", "--yes", env=env
    )

    assert result.returncode == 0, output(result)
    assert "make install" in result.stdout
    assert "Formatted with the project's ruff" in result.stdout, output(result)
    ruff = str(root / ".venv" / "bin" / "ruff")
    for command in ([ruff, "format", "--check", "."], [ruff, "check", "."]):
        checked = run_tool(root, *command, env=env)
        assert checked.returncode == 0, output(checked)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("My-App", "not a valid Python identifier"),
        ("class", "is a Python keyword"),
        ("myApp", "not snake_case"),
        (OLD.snake, "already this project's name"),
        ("json", "standard library"),
        ("pytest", "installed"),
        ("tests", "already exists in this project's folder"),
    ],
)
def test_bad_names_are_refused_with_a_clear_message(name: str, reason: str) -> None:
    # --dry-run too: even a wrongly accepted name would change nothing in this checkout.
    result = run_in(PROJECT_ROOT, "rename_project.py", "--name", name, "--dry-run")
    assert result.returncode == 2, output(result)
    assert reason in result.stderr


def test_the_dry_run_lists_and_changes_nothing(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}

    result = run_in(root, "rename_project.py", "--name", _generated_name().snake, "--dry-run")

    assert result.returncode == 0, output(result)
    assert f"rename  {OLD.snake} -> " in result.stdout
    assert "Dry run, nothing changed" in result.stdout
    assert {path: path.read_bytes() for path in root.rglob("*") if path.is_file()} == before


def test_the_prompts_derive_the_title_and_kept_paths_stay(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    kept = (root / ".env.example").read_bytes()
    new = _generated_name()

    # Answers: the name, Enter for the derived title, y to confirm.
    result = run_in(root, "rename_project.py", "--keep", ".env.example", stdin=f"{new.snake}\n\ny\n")

    assert result.returncode == 0, output(result)
    assert f"title             {OLD.title}  ->  {new.words}" in result.stdout
    assert f'app_title: str = "{new.words}"' in (root / new.snake / "settings.py").read_text()
    assert (root / ".env.example").read_bytes() == kept


def test_answering_no_changes_nothing(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")

    result = run_in(root, "rename_project.py", "--name", _generated_name().snake, stdin="\nn\n")

    assert result.returncode == 1, output(result)
    assert "Nothing changed" in result.stdout
    assert (root / OLD.snake).is_dir()
