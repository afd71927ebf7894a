"""Name event handlers and component states without reading the OS's random source each time.

ReactPy 1.1 gives every event handler and every mounted component an id made with
``uuid.uuid4().hex``: one ``os.urandom`` system call per id, and a page mounts hundreds of them
on each new connection. In the demo replay at 200 users that was about 5 % of the server's CPU.
The ids only need to be unique within the process (a layout looks targets up among its own
handlers; another connection's ids mean nothing to it), so a random prefix drawn once per
process and a counter serve. ``install()`` swaps the name ReactPy's layout module calls.
"""

from __future__ import annotations

import itertools
import secrets

import reactpy.core.layout

_original_uuid4 = reactpy.core.layout.uuid4  # type: ignore[attr-defined]


class ProcessUniqueId:
    """What ReactPy reads of a UUID: its ``hex``."""

    __slots__ = ("hex",)

    def __init__(self, hex: str) -> None:  # noqa: A002 - the attribute uuid.UUID has
        self.hex = hex


_PREFIX = secrets.token_hex(6)
_counter = itertools.count()


def process_unique_id() -> ProcessUniqueId:
    """A new id, unique within this process: a per-process random prefix and a counter."""
    return ProcessUniqueId(f"{_PREFIX}{next(_counter):x}")


def install() -> None:
    """Make ReactPy's layout take its ids from ``process_unique_id`` (idempotent)."""
    reactpy.core.layout.uuid4 = process_unique_id  # type: ignore[attr-defined,assignment]


def is_installed() -> bool:
    return reactpy.core.layout.uuid4 is process_unique_id  # type: ignore[attr-defined,comparison-overlap]


def original() -> object:
    """ReactPy's own id maker."""
    return _original_uuid4
