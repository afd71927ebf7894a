"""``python -m tests.server.untouched_libraries``: the server as ``python -m heavy_stack`` runs it,
then one line saying what changed on ReactPy's and Sanic's modules and classes meanwhile.

What ReactPy and Sanic hold is noted before anything of the framework or the app is imported;
after the server stops (the test serves a page over a real websocket first), the same names are
looked up again and each one bound to another object is printed: ``CHANGED ["module:name", ...]``.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

MODULES = (
    "reactpy.core.layout",
    "reactpy.core._life_cycle_hook",
    "reactpy.core._thread_local",
    "reactpy.core.serve",
    "reactpy.core.vdom",
    "reactpy.core.hooks",
    "reactpy.core.events",
    "reactpy.core.component",
    "reactpy.backend.sanic",
    "reactpy.backend._common",
    "sanic.server.protocols.websocket_protocol",
    "sanic.server.protocols.http_protocol",
    "sanic.server.websockets.impl",
    "sanic.server.websockets.connection",
)

Snapshot = dict[str, Any]


def snapshot() -> Snapshot:
    """Every name of each module, and of each class it defines, with the object it is bound to."""
    seen: Snapshot = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            seen[f"{name}:{attribute}"] = value
            if isinstance(value, type) and value.__module__ == name:
                for member, member_value in vars(value).items():
                    seen[f"{name}:{attribute}.{member}"] = member_value
    return seen


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """The names added, removed or bound to another object."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) is not after.get(name))


if __name__ == "__main__":
    BEFORE = snapshot()
    from heavy_stack.__main__ import main

    try:
        main()
    finally:
        print("CHANGED " + json.dumps(changed(BEFORE, snapshot())), flush=True)
