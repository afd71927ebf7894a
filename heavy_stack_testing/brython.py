"""The Brython bridge as a test sees it: the calls a page asks the browser to run, and answers.

A browser runs each call (a script element the bridge reads) and clicks the bridge's result
button with what it returned; a test driving a page with ``heavy.testing`` reads the calls
and answers them here.
"""

from __future__ import annotations

import json
from typing import Any

from heavy.stream.layout_mirror import LayoutMirror
from heavy.testing.page_driver import DEFAULT_TIMEOUT, PageDriver
from reactpy_bridge import RESULT_BUTTON_ID

from heavy_stack.frontend.brython_executors import CALL_PREFIX

NAVIGATE_FUNCTION = "navigate_to"


def brython_calls_in(layout: LayoutMirror) -> list[dict[str, Any]]:
    """The Brython calls a layout holds (script elements the bridge runs), oldest first."""
    calls = []
    for element in layout.find_all(tag="script"):
        source = element.text
        if source.startswith(CALL_PREFIX) and source.endswith(")"):
            call: dict[str, Any] = json.loads(source[len(CALL_PREFIX) : -1])
            call["kwargs"] = json.loads(call["kwargs"])
            calls.append(call)
    return calls


def brython_calls(page: PageDriver) -> list[dict[str, Any]]:
    """The Brython calls on the page, oldest first, as ``{"id", "module", "name", "kwargs", "reply"}``.

    A browser would run them; a test reads them, and answers with ``answer_brython``.
    """
    return brython_calls_in(page.layout)


async def answer_brython(page: PageDriver, call_id: str, value: Any, *, ok: bool = True) -> None:
    """Send what the browser's bridge sends when a call returns ``value``."""
    answer = json.dumps({"id": call_id, "ok": ok, "value": value})
    await page.fire(page.layout.find(id=RESULT_BUTTON_ID), "onClick", {"target": {"value": answer}})


def navigation_urls(page: PageDriver) -> list[str]:
    """The URLs the page has asked the browser to go to (``navigate_to`` Brython calls)."""
    return [call["kwargs"]["url"] for call in brython_calls(page) if call["name"] == NAVIGATE_FUNCTION]


async def wait_for_navigation(page: PageDriver, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The URL the page asks the browser to go to next."""
    await page.wait_until(lambda: bool(navigation_urls(page)), timeout)
    return navigation_urls(page)[-1]
