"""Importing notes from files in Chromium, on two instances behind nginx (``make cluster``):
several files at once with each outcome shown, a drop, an answer lost on the way back, a
websocket dropped while a file is on its way, files chosen on the first paint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from heavy.testing.browser import TIMEZONE
from heavy.testing.cluster import Cluster
from heavy.testing.plugin import BrowserPage
from heavy.testing.product import ProductUnderTest
from playwright.async_api import (
    Browser,
    BrowserContext,
    FilePayload,
    Locator,
    Page,
    Route,
    WebSocketRoute,
    expect,
)

from heavy_stack.backend.services.note_import import NOTE_FILE_POLICY
from heavy_stack.backend.web.note_import import NOTE_IMPORT_PATH
from heavy_stack_testing.page_tour import go_live

from tests.e2e.test_accounts_in_browser import sign_up_on_this_page


@pytest.fixture(scope="module")
async def importer(browser: Browser, two_instances: Cluster) -> AsyncIterator[BrowserContext]:
    """A browser context on the cluster (through nginx) of one person, signed up once for the
    module: each test opens its own page in it (routes are per page)."""
    context = await browser.new_context(timezone_id=TIMEZONE, base_url=two_instances.base_url)
    page = await context.new_page()
    await page.goto("/sign-up?next=/notes")
    await sign_up_on_this_page(page, "Importer")
    await page.close()
    yield context
    await context.close()


@pytest.fixture
async def cluster_page(
    importer: BrowserContext, two_instances: Cluster, heavy_product: ProductUnderTest
) -> AsyncIterator[BrowserPage]:
    """The notes page of the signed-up person, live (not its first paint: a drag marks the
    zone that stays)."""
    page = await importer.new_page()
    session = BrowserPage(page, two_instances.base_url, heavy_product)
    page.on("console", lambda message: session.console.append(f"{message.type}: {message.text}"))
    await page.goto("/notes")
    await go_live(page)
    yield session
    await page.close()


def line_of(page: Page, name: str) -> Locator:
    return page.locator("#note-import-list li", has_text=name)


def console_problems(session: BrowserPage) -> list[str]:
    return [line for line in session.console if line.startswith(("error:", "warning:"))]


async def test_several_files_at_once_each_with_its_outcome(cluster_page: BrowserPage) -> None:
    page = cluster_page.page
    big = b"# Big\n" + b"x" * NOTE_FILE_POLICY.max_bytes
    files: list[FilePayload] = [
        {"name": "groceries.md", "mimeType": "text/markdown", "buffer": b"# Groceries\n\n- tea\n- bread"},
        {"name": "Пример.txt", "mimeType": "text/plain", "buffer": "Первая строка\nвторая".encode()},
        {"name": "big.txt", "mimeType": "text/plain", "buffer": big},
        {"name": "photo.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n"},
        {"name": "latin1.txt", "mimeType": "text/plain", "buffer": "café".encode("latin-1")},
    ]
    await page.set_input_files("#note-import-files", files)
    await expect(line_of(page, "groceries.md")).to_contain_text("Imported as Groceries.")
    await expect(line_of(page, "Пример.txt")).to_contain_text("Imported as Первая строка.")
    await expect(line_of(page, "big.txt")).to_contain_text(
        "“big.txt” is too large: 50,006 bytes, and a file may have at most 50,000 bytes."
    )
    await expect(line_of(page, "photo.png")).to_contain_text(
        "“photo.png” is not one of the text or Markdown files (.txt, .md) this takes (image/png)."
    )
    await expect(line_of(page, "latin1.txt")).to_contain_text("“latin1.txt” is not UTF-8 text")
    # The imported ones are in the list above, and their lines link to them.
    await expect(page.locator("#note-list")).to_contain_text("Groceries")
    await expect(page.locator("#note-list")).to_contain_text("Первая строка")
    await expect(line_of(page, "groceries.md").locator("progress")).to_have_attribute("value", "100")
    await line_of(page, "groceries.md").get_by_role("link", name="Groceries").click()
    await expect(page.locator("#note-body")).to_have_value("- tea\n- bread")
    assert console_problems(cluster_page) == []


async def test_files_dropped_on_the_zone_are_imported(cluster_page: BrowserPage) -> None:
    page = cluster_page.page
    transfer = await page.evaluate_handle(
        """() => {
            const transfer = new DataTransfer();
            transfer.items.add(new File(["Dropped note\\nwith text"], "dropped.txt", { type: "text/plain" }));
            transfer.items.add(new File(["## Also dropped"], "also.md", { type: "" }));
            return transfer;
        }"""
    )
    await page.dispatch_event("#note-import", "dragover", {"dataTransfer": transfer})
    await expect(page.locator("#note-import")).to_have_class("upload-zone heavy-upload-over")
    await page.dispatch_event("#note-import", "drop", {"dataTransfer": transfer})
    await expect(line_of(page, "dropped.txt")).to_contain_text("Imported as Dropped note.")
    await expect(line_of(page, "also.md")).to_contain_text("Imported as Also dropped.")
    await expect(page.locator("#note-import")).to_have_class("upload-zone")
    assert console_problems(cluster_page) == []


async def test_an_answer_lost_on_the_way_back_is_retried_and_imports_once(cluster_page: BrowserPage) -> None:
    page = cluster_page.page
    tries: list[str] = []

    async def lose_the_first_answer(route: Route) -> None:
        tries.append(route.request.headers["heavy-upload-id"])
        response = await route.fetch()  # the server stores the file...
        if len(tries) == 1:
            assert response.status == 200
            await route.abort("connectionreset")  # ...and the browser never hears of it
        else:
            await route.fulfill(response=response)

    await page.route("**" + NOTE_IMPORT_PATH, lose_the_first_answer)
    await page.set_input_files(
        "#note-import-files", {"name": "once.md", "mimeType": "text/markdown", "buffer": b"# Only once\ntext"}
    )
    await expect(line_of(page, "once.md")).to_contain_text("Imported as Only once.")
    assert len(tries) == 2
    assert tries[0] == tries[1]  # the same upload id, sent again
    await page.reload()
    await expect(page.locator("#note-list li", has_text="Only once")).to_have_count(1)


async def test_a_layout_after_a_dropped_websocket_is_told_the_files_and_shows_the_outcome(
    cluster_page: BrowserPage,
) -> None:
    page = cluster_page.page
    sockets: list[WebSocketRoute] = []

    async def keep(socket: WebSocketRoute) -> None:
        sockets.append(socket)
        socket.connect_to_server()

    await page.route_web_socket("**/_reactpy/stream**", keep)
    await page.reload()
    await expect(page.locator("#heavy-first-paint")).to_have_count(0)
    answer_held = asyncio.Event()

    async def hold_the_answer(route: Route) -> None:
        response = await route.fetch()  # stored on the server; the browser waits
        await answer_held.wait()
        await route.fulfill(response=response)

    await page.route("**" + NOTE_IMPORT_PATH, hold_the_answer)
    await page.set_input_files(
        "#note-import-files",
        {"name": "late.md", "mimeType": "text/markdown", "buffer": b"# Late answer\ntext"},
    )
    await expect(line_of(page, "late.md")).to_contain_text("Sending…")
    report = page.locator("#note-import-report")
    first_layout = await report.get_attribute("data-heavy-upload-report")
    assert first_layout
    await sockets[-1].close()  # the page's websocket drops; it reconnects to a new layout
    await expect(report).not_to_have_attribute("data-heavy-upload-report", first_layout)
    # The new layout knew nothing of the file: the page told it, and it shows the line again.
    await expect(line_of(page, "late.md")).to_contain_text("Sending…")
    answer_held.set()
    await expect(line_of(page, "late.md")).to_contain_text("Imported as Late answer.")
    assert len(sockets) == 2


async def test_files_chosen_on_the_first_paint_are_shown_once_the_page_is_live(
    cluster_page: BrowserPage,
) -> None:
    page = cluster_page.page
    release = asyncio.Event()

    async def hold(socket: WebSocketRoute) -> None:
        await release.wait()
        socket.connect_to_server()

    await page.route_web_socket("**/_reactpy/stream**", hold)
    await page.reload()
    await expect(page.locator("#heavy-first-paint #note-import-files")).to_be_attached()
    await page.set_input_files(
        "#note-import-files",
        {"name": "early.txt", "mimeType": "text/plain", "buffer": b"Chosen early\nbefore live"},
    )
    release.set()
    await expect(line_of(page, "early.txt")).to_contain_text("Imported as Chosen early.")
