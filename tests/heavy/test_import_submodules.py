"""``heavy.import_submodules``: a folder of table modules registers a new one by its being there."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from heavy import import_submodules


@pytest.fixture
def package(tmp_path: Path) -> Iterator[str]:
    """A package ``tables_here`` with two modules, a private one and a sub-package."""
    folder = tmp_path / "tables_here"
    (folder / "nested").mkdir(parents=True)
    (folder / "nested" / "__init__.py").write_text("LOADED = True\n")
    (folder / "__init__.py").write_text("")
    for name in ("invoices", "customers", "_helpers"):
        (folder / f"{name}.py").write_text(f"NAME = {name!r}\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield "tables_here"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == "tables_here"]:
            del sys.modules[name]


def test_every_public_module_is_imported_in_name_order(package: str) -> None:
    __import__(package)

    modules = import_submodules(package)

    assert [module.__name__ for module in modules] == ["tables_here.customers", "tables_here.invoices"]
    assert "tables_here.invoices" in sys.modules
    assert "tables_here._helpers" not in sys.modules
    assert "tables_here.nested" not in sys.modules
