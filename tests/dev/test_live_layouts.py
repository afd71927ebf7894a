"""``live_layouts``: what hot reload uses to re-render the pages that are open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from heavy import heavy_event, heavy_use_state
from reactpy import component, html

from heavy_stack.frontend.types import Component
from heavy_stack_dev import live_layouts
from heavy_stack_testing.page_driver import InProcessPage

# What the component shows; the test changes it as an edited source file would.
label = "before"


@component
def Counter() -> Component:
    count, set_count = heavy_use_state(0)
    return html.div(
        html.button({"id": "add", "onClick": heavy_event(lambda _event: set_count(lambda c: c + 1))}, "+"),
        html.p({"id": "shown"}, f"{label}: {count}"),
    )


@pytest.fixture
def tracking() -> Iterator[None]:
    live_layouts.install()
    try:
        yield
    finally:
        live_layouts.uninstall()


@pytest.mark.usefixtures("tracking")
async def test_rerender_all_renders_open_layouts_again_and_keeps_their_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with InProcessPage.open(Counter(), router=False) as page:
        await page.click("add")
        await page.wait_for_text("shown", "before: 1")
        assert live_layouts.live_count() == 1

        monkeypatch.setitem(globals(), "label", "after")
        assert live_layouts.rerender_all() == 1

        await page.wait_for_text("shown", "after: 1")
        await page.click("add")  # the handlers still answer after the re-render
        await page.wait_for_text("shown", "after: 2")
    assert live_layouts.live_count() == 0


def test_install_is_idempotent_and_uninstall_restores_reactpy() -> None:
    live_layouts.install()
    live_layouts.install()
    assert live_layouts.is_installed()
    live_layouts.uninstall()
    assert not live_layouts.is_installed()
    assert live_layouts.rerender_all() == 0
