"""The product reaches the framework only through ``heavy``'s public API: the import-linter
contract "public-api" forbids every module inside it, so a new one must be added there."""

from __future__ import annotations

import pkgutil
import tomllib

import heavy

from heavy_stack.settings import PROJECT_ROOT


def test_every_module_of_the_framework_is_forbidden_to_the_product() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    contracts = {contract["id"]: contract for contract in config["tool"]["importlinter"]["contracts"]}
    forbidden = contracts["public-api"]["forbidden_modules"]
    modules = {f"heavy.{info.name}" for info in pkgutil.iter_modules(heavy.__path__)}
    assert modules - set(forbidden) == set(), "add these to the public-api contract in pyproject.toml"
