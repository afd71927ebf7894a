"""Drive a ReactPy page as a browser would: over a real websocket, or in this process.

Both kinds of session keep a ``LayoutMirror`` of the page and offer the same verbs (click,
type, submit, follow a link, wait for text), so a test reads the same whichever it uses::

    async with WebSocketPage.open(base_url) as page:          # a real server
    async with InProcessPage.open(Root(services)) as page:     # no server, same dispatch loop
        await page.type("echo-input", "hi")
        await page.submit("echo-form")
        await page.wait_for_text("echo-result", "hi")
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Any

import websockets
from heavy import LiveLayout, serve_live_layout
from heavy.live.addresses import location_of, stream_path
from heavy.stream.layout_mirror import Element, LayoutMirror
from heavy.web.router import HISTORY_EVENT
from reactpy.backend.types import Connection
from reactpy.core.hooks import ConnectionContext
from reactpy.types import ComponentType
from websockets.asyncio.client import ClientConnection

NAVIGATE_EVENT = "onNavigateCallback"
DEFAULT_TIMEOUT = 10.0


class PageDriver(ABC):
    """A page being driven: the mirrored layout plus events to fire and renders to await."""

    def __init__(self) -> None:
        self.layout = LayoutMirror()
        self.messages_received = 0

    @abstractmethod
    async def _receive_raw(self) -> dict[str, Any]: ...

    @abstractmethod
    async def _send_raw(self, message: dict[str, Any]) -> None: ...

    async def receive(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """Wait for the next message from the server and apply it to the layout."""
        message = await asyncio.wait_for(self._receive_raw(), timeout)
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
        await self._send_raw({"type": "layout-event", "target": target, "data": list(data)})

    async def fire(self, element: Element, event: str, *data: Any) -> None:
        await self.send_event(element.target(event), *data)

    async def click(self, id: str) -> None:
        await self.fire(self.layout.find(id=id), "onClick", {})

    async def type(self, id: str, text: str) -> None:
        """Set an input's value as the browser reports it: ``onChange`` with ``target.value``."""
        await self.fire(self.layout.find(id=id), "onChange", {"target": {"value": text}})

    async def submit(self, id: str) -> None:
        await self.fire(self.layout.find(id=id), "onSubmit", {})

    async def navigate(self, pathname: str, search: str = "") -> None:
        """Tell the router the browser's location, as the page's History element does."""
        history = self.layout.find_handler(HISTORY_EVENT)
        await self.fire(history, HISTORY_EVENT, {"pathname": pathname, "search": search})

    async def follow_redirect(self) -> str:
        """Do what the browser does for reactpy-router's ``navigate(to)``: go there and tell the router.

        Returns the ``to`` it followed.
        """
        element = self.layout.find_handler(NAVIGATE_EVENT)
        to = str(element.attributes["to"])
        location = location_of(to)
        await self.fire(element, NAVIGATE_EVENT, {"pathname": location.pathname, "search": location.search})
        return to

    async def follow_link(self, id: str) -> None:
        """Follow a router link as the page script does: go to its ``href`` and tell the router."""
        anchor = self.layout.find(id=id)
        if "data-router-link" not in anchor.attributes:
            raise LookupError(f"#{id} is not a router link")
        location = location_of(str(anchor.attributes["href"]))
        await self.navigate(location.pathname, location.search)

    async def wait_for_text(self, id: str, text: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Receive updates until the element ``id`` contains ``text``."""
        await self.wait_until(lambda: any(text in e.text for e in self.layout.find_all(id=id)), timeout)

    async def wait_for_element(self, id: str, timeout: float = DEFAULT_TIMEOUT) -> Element:
        await self.wait_until(lambda: self.layout.has(id=id), timeout)
        return self.layout.find(id=id)

    def text(self, id: str) -> str:
        return self.layout.find(id=id).text

    async def _start_at(self, path: str, timeout: float) -> None:
        # The router's History reports the location once mounted, as the page script does:
        # heavy's router has rendered that route in its first update already, reactpy-router's
        # renders it then.
        await self.wait_until(lambda: self.layout.has_handler(HISTORY_EVENT), timeout)
        location = location_of(path)
        await self.navigate(location.pathname, location.search)
        await self.wait_until(self._route_rendered, timeout)

    def _route_rendered(self) -> bool:
        # The router renders History beside the page once it has a location.
        history_path = self.layout.find_handler(HISTORY_EVENT).path
        parent_path = history_path.rsplit("/children/", 1)[0]
        parent = next(e for e in self.layout.elements() if e.path == parent_path)
        return len(parent.model.get("children", [])) > 1


class WebSocketPage(PageDriver):
    """A session with a running server over a real websocket."""

    def __init__(self, connection: ClientConnection) -> None:
        super().__init__()
        self.connection = connection

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        base_url: str,
        path: str = "/",
        *,
        origin: str | None = None,
        router: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[WebSocketPage]:
        """Connect to ``base_url`` (``http://host:port``) and wait until ``path`` has rendered.

        ``router=False`` is for an app without reactpy-router: wait for its first render only.
        ``headers`` go with the handshake, e.g. ``{"Cookie": ...}`` as a browser sends them.
        """
        url = base_url.replace("http", "ws", 1) + stream_path(path)
        headers = {"Origin": origin or base_url, **(headers or {})}
        async with websockets.connect(url, additional_headers=headers, open_timeout=timeout) as connection:
            session = cls(connection)
            if router:
                await session._start_at(path, timeout)
            else:
                await session.receive(timeout)
            yield session

    async def _receive_raw(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await self.connection.recv())
        return message

    async def _send_raw(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))


class InProcessPage(PageDriver):
    """A session with a component served in this process by the framework's dispatch loop.

    No server and no socket: messages pass through queues, so a test can use fixtures (such
    as the database) directly. Messages still round-trip through JSON, as on the wire.
    """

    def __init__(self) -> None:
        super().__init__()
        self._to_client: asyncio.Queue[str] = asyncio.Queue()
        self._to_server: asyncio.Queue[str] = asyncio.Queue()

    @classmethod
    @asynccontextmanager
    async def open(
        cls, root: ComponentType, path: str = "/", *, router: bool = True, timeout: float = DEFAULT_TIMEOUT
    ) -> AsyncIterator[InProcessPage]:
        """Serve ``root`` and wait until ``path`` has rendered.

        ``router=False`` is for a bare component: wait for its first render, no navigation.
        """
        session = cls()
        connection = Connection(scope={}, location=location_of(path), carrier=None)
        layout = LiveLayout(ConnectionContext(root, value=connection))
        server = asyncio.create_task(serve_live_layout(layout, session._server_send, session._server_recv))
        try:
            if router:
                await session._start_at(path, timeout)
            else:
                await session.receive(timeout)
            yield session
        finally:
            server.cancel()
            with suppress(asyncio.CancelledError):
                await server

    async def _server_send(self, message: Any) -> None:
        await self._to_client.put(json.dumps(message))

    async def _server_recv(self) -> Any:
        return json.loads(await self._to_server.get())

    async def _receive_raw(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await self._to_client.get())
        return message

    async def _send_raw(self, message: dict[str, Any]) -> None:
        await self._to_server.put(json.dumps(message))
