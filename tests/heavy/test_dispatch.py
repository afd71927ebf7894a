"""The dispatch loop of a live page (``heavy.live.serve``): when and in what order answers go out.

Each test serves a page in this process through ``serve_live_layout``, with a ``send`` and a
``receive`` of its own standing for the websocket, and counts the event loop's turns: under
load every turn waits for all the other pages' ready work, so an answer that waits one turn
more comes that much later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from heavy import html
from heavy.live.layout import LiveLayout
from heavy.live.serve import PageClosed, serve_live_layout
from heavy.stream.layout_mirror import LayoutMirror
from reactpy import component, use_state  # noqa: TID251 - a bare page, no services
from reactpy.core.types import LayoutEventMessage, LayoutUpdateMessage

from heavy_stack.frontend.types import Component

from tests.heavy.loop_turns import TurnCounter


@component
def Clicks(
    handler_ended: list[int], counter: TurnCounter, kind: str, handler_began: list[int] | None = None
) -> Component:
    handler_began = [] if handler_began is None else handler_began
    count, set_count = use_state(0)

    def quick(_event: Any) -> None:
        set_count(count + 1)
        handler_ended.append(counter.turns)

    async def slow(_event: Any) -> None:
        handler_began.append(counter.turns)
        await asyncio.sleep(0)  # a wait for something, as a unit of work waits for its database
        set_count(count + 1)
        handler_ended.append(counter.turns)

    return html.button({"id": "count", "onClick": quick if kind == "sync" else slow}, str(count))


class Page:
    """The client's side: a mirror of what the server sent, and the clicks it will send."""

    def __init__(self, clicks: int, send_waits: int = 0) -> None:
        self.mirror = LayoutMirror()
        self.shown: list[str] = []
        self.sent_at: list[int] = []
        self.clicked_at: list[int] = []  # the turn the server read each click in
        self.counter: TurnCounter | None = None
        self.counter_at_start = 0  # the turn the server began to serve the page in
        self._clicks = clicks
        # Turns the click's first answer waits in its send, as a socket's flow control makes it.
        self._send_waits = send_waits
        self._sends = 0
        self._rendered = asyncio.Event()
        self._answered = asyncio.Event()

    async def send(self, update: LayoutUpdateMessage) -> None:
        self._sends += 1
        for _ in range(self._send_waits if self._sends == 2 else 0):  # the first render's is 1
            await asyncio.sleep(0)
        assert self.counter is not None
        self.sent_at.append(self.counter.turns)
        self.mirror.apply(json.loads(json.dumps(update)))
        self.shown.append(self.mirror.find(id="count").text)
        self._rendered.set()
        if self.shown[-1] == str(self._clicks):
            self._answered.set()

    async def receive(self) -> LayoutEventMessage:
        await self._rendered.wait()
        if self._clicks and len(self.shown) == 1:
            target = self.mirror.find(id="count").target("onClick")
            self.shown.append("clicked")  # sent once; the answers follow
            assert self.counter is not None
            self.clicked_at.append(self.counter.turns)
            return {"type": "layout-event", "target": target, "data": [{}]}
        await self._answered.wait()
        raise PageClosed

    async def first_render(self) -> None:
        await asyncio.wait_for(self._rendered.wait(), 5)

    def serve(self, root: Callable[[], Any]) -> Awaitable[None]:
        self.counter = TurnCounter()
        return self._serve(root)

    async def _serve(self, root: Callable[[], Any]) -> None:
        assert self.counter is not None
        self.counter_at_start = self.counter.turns
        await serve_live_layout(LiveLayout(root()), self.send, self.receive)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_an_answer_goes_out_in_the_turn_its_handler_ends(kind: str) -> None:
    """Not one turn later, from the page's sending loop: a plain function's handler, called as
    its event is read, and an async one in its own task."""
    page = Page(clicks=1)
    handler_ended: list[int] = []
    await page.serve(lambda: Clicks(handler_ended, page.counter, kind))
    assert page.counter is not None
    page.counter.stop()
    assert page.shown == ["0", "clicked", "1"]
    assert page.sent_at[-1] == handler_ended[0]


async def test_a_new_page_goes_out_in_the_turn_it_is_served() -> None:
    """Its first render is not left to the sending loop's task's first step, a turn later
    (under load, the turn after every other page's ready work): a new visitor's page waited
    for it."""
    page = Page(clicks=0)
    served = asyncio.ensure_future(page.serve(lambda: Clicks([], page.counter, "sync")))
    await page.first_render()
    served.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await served
    assert page.counter is not None
    page.counter.stop()
    assert page.shown == ["0"]
    assert page.sent_at == [page.counter_at_start]


async def test_an_async_handler_begins_in_the_turn_its_event_is_read() -> None:
    """Not at the loop's next turn, as a task's first step would: under load that turn waits
    for every other page's ready work, and a handler that reads the database waits again for
    its answer (``heavy.live.eager_task``). It answers one turn after its one wait."""
    page = Page(clicks=1)
    handler_ended: list[int] = []
    handler_began: list[int] = []
    await page.serve(lambda: Clicks(handler_ended, page.counter, "async", handler_began))
    assert page.counter is not None
    page.counter.stop()
    assert page.shown == ["0", "clicked", "1"]
    assert handler_began == page.clicked_at
    assert page.sent_at[-1] == handler_ended[0] == page.clicked_at[0] + 1


@component
def Burst(clicks: int) -> Component:
    """One click sets the count, then again and again from callbacks of the loop's next turns,
    while its answer may still be on its way."""
    count, set_count = use_state(0)

    def many(_event: Any) -> None:
        set_count(1)
        for value in range(2, clicks + 1):
            asyncio.get_running_loop().call_soon(set_count, value)

    return html.button({"id": "count", "onClick": many}, str(count))


@pytest.mark.parametrize("send_waits", [0, 1, 3])
async def test_answers_keep_their_order_while_a_send_waits(send_waits: int) -> None:
    """Renders asked for while the click's answer is still being sent wait for it: the page
    sees its counts in order and ends on the last."""
    page = Page(clicks=5, send_waits=send_waits)
    await page.serve(lambda: Burst(5))
    assert page.counter is not None
    page.counter.stop()
    counts = [int(text) for text in page.shown if text != "clicked"]
    assert counts == sorted(counts)
    assert counts[0] == 0
    assert counts[-1] == 5


async def test_a_send_that_fails_after_an_async_handler_ends_the_page_with_its_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As a failed send of the sending loop does: logged, and the page's serving ends with it."""
    page = Page(clicks=1)
    first = page.send

    async def failing_send(update: LayoutUpdateMessage) -> None:
        if page.shown:
            raise RuntimeError("the socket broke")
        await first(update)

    page.send = failing_send  # type: ignore[method-assign]
    handler_ended: list[int] = []
    with caplog.at_level(logging.ERROR), pytest.raises(RuntimeError, match="the socket broke"):
        await asyncio.wait_for(page.serve(lambda: Clicks(handler_ended, page.counter, "async")), 5)
    assert page.counter is not None
    page.counter.stop()
    assert handler_ended, "the click's handler ran"
    assert "Failed to send an update" in caplog.text
