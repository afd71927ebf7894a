"""``make dev`` on a copy of the project: a saved change reaches a page that is already open.

The copy's ``pages/other.py`` is replaced by a small counter page, then edited the way editors
save (write a new file, rename it over the old one) while a websocket session has it open.
Run with ``-s`` to see how long a save takes to reach the page.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from heavy.data.db_connection import Database
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage

from heavy_stack_testing.product import live_server

from tests.dev.editing import LOG_TIMEOUT, save_like_an_editor, wait_for_log
from tests.tooling.project_copy import copy_env, copy_project

pytestmark = [pytest.mark.server, pytest.mark.tooling]

PROBE_PAGE = Path("heavy_stack/frontend/pages/other.py")
# The names app_root imports from pages/other.py, with a counter to keep across edits.
PROBE_SOURCE = """\
from dataclasses import dataclass

from heavy import heavy_event
from reactpy import component, html, use_state

from heavy_stack.frontend.types import Component


@dataclass
class Label:
    text: str = "a dataclass"


@component
def OtherPage() -> Component:
    count, set_count = use_state(0)
    add = heavy_event(lambda: set_count(lambda value: value + 1))
    return html.div(
        html.button({"id": "probe-add", "onClick": add}, "+"),
        html.p({"id": "probe-text"}, f"version one: {count}"),
    )


@component
def NotFoundPage() -> Component:
    return html.p("not found")
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("hot-reload") / "project")
    (root / PROBE_PAGE).write_text(PROBE_SOURCE)
    return root


@pytest.fixture(scope="module")
def dev_server(
    project: Path,
    database_urls: tuple[str, str],
    database: Database,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """``python -m heavy_stack --hot-reload`` (what ``make dev`` runs) in the copy."""
    sql_url, vector_url = database_urls
    log_path = tmp_path_factory.mktemp("dev-server") / "server.log"
    settings = {"SQL_DB_URL": sql_url, "VECTOR_DB_URL": vector_url}
    with live_server(
        settings, log_path, args=("--hot-reload",), cwd=project, base_env=copy_env(project)
    ) as running:
        yield running


async def test_a_saved_change_re_renders_the_open_page_with_its_state(
    dev_server: LiveServer, project: Path
) -> None:
    async with WebSocketPage.open(dev_server.base_url, "/other") as page:
        await page.click("probe-add")
        await page.click("probe-add")
        await page.wait_for_text("probe-text", "version one: 2")

        saved_at = time.monotonic()
        save_like_an_editor(project / PROBE_PAGE, '"version one: ', '"version two: ')
        await page.wait_for_text("probe-text", "version two: 2", timeout=LOG_TIMEOUT)
        print(f"\nhot reload: save -> new render on the open session in {time.monotonic() - saved_at:.2f} s")

        await page.click("probe-add")  # the same connection, its handlers still wired
        await page.wait_for_text("probe-text", "version two: 3")
    wait_for_log(dev_server.log, "re-rendering 1 open page(s) after other.py", process=dev_server.process)


async def test_a_change_it_cannot_apply_is_logged_with_a_hint_to_restart(
    dev_server: LiveServer, project: Path
) -> None:
    # A new dataclass field: the class was built from its fields once, so the edit cannot land.
    save_like_an_editor(project / PROBE_PAGE, "    text: str", "    size: int = 1\n    text: str")

    log = wait_for_log(dev_server.log, "changed a class body", process=dev_server.process)
    assert "Label" in log
    assert "restart the server" in log


async def test_a_syntax_error_is_logged_and_the_server_keeps_serving(
    dev_server: LiveServer, project: Path
) -> None:
    save_like_an_editor(project / PROBE_PAGE, "def NotFoundPage()", "def NotFoundPage(")

    wait_for_log(dev_server.log, "has a syntax error", process=dev_server.process)
    async with WebSocketPage.open(dev_server.base_url, "/other") as page:
        assert "version two: 0" in page.text("probe-text")
