"""Importing and running the app changes nothing in ReactPy, and heavy.live's list of ReactPy's
inside still matches the installed ReactPy."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from heavy.live import reactpy_internals
from heavy.stream.guard import SANIC_PATCHES
from heavy.testing.live_server import stop
from heavy.testing.page_driver import WebSocketPage

from heavy_stack.settings import PROJECT_ROOT
from heavy_stack_testing.product import live_server

pytestmark = pytest.mark.server

# Sanic's: the framework's guard (SANIC_PATCHES) and the log scope of a websocket's close line.
KNOWN_SANIC_CHANGES = {
    *SANIC_PATCHES,
    "sanic.server.protocols.websocket_protocol:WebSocketProtocol.connection_lost",
}


async def test_serving_a_page_assigns_nothing_onto_reactpy(
    database_urls: tuple[str, str], tmp_path: Path
) -> None:
    sql_url, vector_url = database_urls
    # The tests package importable too, before what PYTHONPATH held (a renamed copy's suite puts
    # the copy's package and its Brython folder there).
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }
    with live_server(
        {"SQL_DB_URL": sql_url, "VECTOR_DB_URL": vector_url, "WORKERS": "1"},
        tmp_path / "server.log",
        module="tests.server.untouched_libraries",
        base_env=env,
    ) as server:
        async with WebSocketPage.open(server.base_url, "/") as page:
            assert page.layout.find_all(tag="main")  # the page rendered, over the live stream
        stop(server)
    [line] = [line for line in server.log().splitlines() if line.startswith("CHANGED ")]
    changed = set(json.loads(line.removeprefix("CHANGED ")))
    assert {name for name in changed if name.startswith("reactpy")} == set()
    assert changed - _sanic_own_touch_ups() <= KNOWN_SANIC_CHANGES


def _sanic_own_touch_ups() -> set[str]:
    """What Sanic itself rewrites on its classes when it starts (its TouchUp service)."""
    from sanic.touchup.service import TouchUp

    touched = {(target.__module__, target.__qualname__) for target, _method in TouchUp._registry}
    return {f"{module}:{name}.__touched__" for module, name in touched} | {
        f"{target.__module__}:{target.__qualname__}.{method}" for target, method in TouchUp._registry
    }


def test_reactpy_inside_is_what_heavy_live_was_written_against() -> None:
    """On a ReactPy upgrade: read each entry's new source, carry fixes over, update its hash."""
    assert reactpy_internals.changed() == []
