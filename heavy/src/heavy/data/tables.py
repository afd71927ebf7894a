"""``import_submodules``: a folder of table modules registers each of them by being there."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from types import ModuleType


def import_submodules(package: str) -> list[ModuleType]:
    """Import every module of ``package`` (not its sub-packages), in name order.

    Call it from the ``__init__`` of a folder of table modules: a table's metadata exists once
    its class is defined, so a new module in the folder is seen by migrations and paving with no
    line added anywhere. Modules whose names start with ``_`` are left out.
    """
    parent = sys.modules[package]
    found = sorted(
        info.name
        for info in pkgutil.iter_modules(parent.__path__)
        if not info.ispkg and not info.name.startswith("_")
    )
    return [importlib.import_module(f"{package}.{name}") for name in found]
