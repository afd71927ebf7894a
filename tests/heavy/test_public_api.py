"""The product reaches the framework only through ``heavy``'s public API: the import-linter
contract "public-api" forbids every module inside it, so a new one must be added there; and
"framework-testing" keeps every module but ``heavy.testing`` from importing the test tooling."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import tomllib

import heavy

from heavy_stack.settings import PROJECT_ROOT


def test_every_module_of_the_framework_is_forbidden_to_the_product() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    contracts = {contract["id"]: contract for contract in config["tool"]["importlinter"]["contracts"]}
    forbidden = contracts["public-api"]["forbidden_modules"]
    modules = {f"heavy.{info.name}" for info in pkgutil.iter_modules(heavy.__path__)}
    assert modules - set(forbidden) == set(), "add these to the public-api contract in pyproject.toml"


def test_every_module_of_the_framework_but_its_test_tooling_is_kept_from_importing_it() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    contracts = {contract["id"]: contract for contract in config["tool"]["importlinter"]["contracts"]}
    sources = contracts["framework-testing"]["source_modules"]
    modules = {f"heavy.{info.name}" for info in pkgutil.iter_modules(heavy.__path__)} - {"heavy.testing"}
    assert modules - set(sources) == set(), "add these to the framework-testing contract in pyproject.toml"


def test_importing_heavy_imports_no_test_tooling() -> None:
    # Nor OpenTelemetry's SDK: only OTEL_* variables asking for export load it (heavy.telemetry).
    # In a fresh interpreter: this one has the suite's plugin (heavy.testing, pytest) loaded.
    loaded = "import heavy, sys; print(sorted(m for m in sys.modules if m.startswith(('heavy.testing', 'pytest', 'playwright', 'opentelemetry'))))"
    result = subprocess.run(
        [sys.executable, "-c", loaded], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_every_public_name_can_be_imported() -> None:
    missing = [name for name in heavy.__all__ if not hasattr(heavy, name)]
    assert missing == [], "import these in heavy/__init__.py, or take them out of __all__"


def test_every_public_name_is_documented_where_a_product_reads_the_api() -> None:
    """``heavy``'s docstring is the API's table of contents: a new name must appear in it."""
    undocumented = [
        name for name in heavy.__all__ if name != "__version__" and f"``{name}``" not in (heavy.__doc__ or "")
    ]
    assert undocumented == [], "name these in heavy/__init__.py's docstring"
