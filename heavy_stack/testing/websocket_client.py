"""A ReactPy client over a real websocket: what a browser does, without the browser."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from heavy_stack.testing.layout_mirror import Element, LayoutMirror

STREAM_PATH = "/_reactpy/stream"
HISTORY_EVENT = "onHistoryChangeCallback"
DEFAULT_TIMEOUT = 10.0


class LayoutClient:
    """One websocket session: a mirrored layout plus ways to fire events and await renders."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.layout = LayoutMirror()
        self.messages_received = 0

    @classmethod
    @asynccontextmanager
    async def open(
        cls, base_url: str, path: str = "/", *, origin: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> AsyncIterator[LayoutClient]:
        """Connect to ``base_url`` (``http://host:port``) and navigate to ``path``.

        Like the browser, it answers the router's first render with the page's location, then
        waits until the page itself has rendered.
        """
        url = base_url.replace("http", "ws", 1) + STREAM_PATH
        headers = {"Origin": origin or base_url}
        async with websockets.connect(url, additional_headers=headers, open_timeout=timeout) as connection:
            client = cls(connection)
            await client.wait_until(lambda: client.layout.has_handler(HISTORY_EVENT), timeout)
            history = client.layout.find_handler(HISTORY_EVENT)
            await client.send_event(history.target(HISTORY_EVENT), {"pathname": path, "search": ""})
            await client.wait_until(lambda: client._page_rendered(), timeout)
            yield client

    async def receive(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """Wait for the next message and apply it to the layout."""
        raw = await asyncio.wait_for(self.connection.recv(), timeout)
        message: dict[str, Any] = json.loads(raw)
        self.messages_received += 1
        if message.get("type") == "layout-update":
            self.layout.apply(message)
        return message

    async def wait_until(self, condition: Callable[[], bool], timeout: float = DEFAULT_TIMEOUT) -> None:
        """Receive updates until ``condition()`` holds."""
        async with asyncio.timeout(timeout):
            while not condition():
                await self.receive(timeout)

    async def send_event(self, target: str, *data: Any) -> None:
        await self.connection.send(json.dumps({"type": "layout-event", "target": target, "data": list(data)}))

    async def fire(self, element: Element, event: str, *data: Any) -> None:
        await self.send_event(element.target(event), *data)

    async def click(self, id: str) -> None:  # noqa: A002
        await self.fire(self.layout.find(id=id), "onClick", {})

    async def type(self, id: str, text: str) -> None:  # noqa: A002
        """Set an input's value as the browser reports it: an ``onChange`` with ``target.value``."""
        await self.fire(self.layout.find(id=id), "onChange", {"target": {"value": text}})

    async def submit(self, id: str) -> None:  # noqa: A002
        await self.fire(self.layout.find(id=id), "onSubmit", {})

    async def follow_link(self, id: str) -> None:  # noqa: A002
        """Follow a router link: reactpy-router's ``Link`` element beside the ``<a>`` handles it.

        They share a generated ``link-<hex>`` class, which is how the browser pairs them too.
        """
        anchor = self.layout.find(id=id)
        marker = _link_marker(anchor.attributes.get("className", ""))
        for element in self.layout.elements():
            if marker and marker == _link_marker(element.attributes.get("linkClass", "")):
                location = {"pathname": anchor.attributes["href"], "search": ""}
                await self.fire(element, "onClickCallback", location)
                return
        raise LookupError(f"#{id} is not a router link")

    async def wait_for_text(self, id: str, text: str, timeout: float = DEFAULT_TIMEOUT) -> None:  # noqa: A002
        """Receive updates until the element ``id`` contains ``text``."""
        await self.wait_until(lambda: any(text in e.text for e in self.layout.find_all(id=id)), timeout)

    def text(self, id: str) -> str:  # noqa: A002
        return self.layout.find(id=id).text

    def _page_rendered(self) -> bool:
        # The router renders History first and the page beside it after the location arrives.
        return sum(1 for element in self.layout.elements() if element.attributes.get("id")) > 0


def _link_marker(class_name: str) -> str | None:
    return next((c for c in class_name.split() if c.startswith("link-")), None)
