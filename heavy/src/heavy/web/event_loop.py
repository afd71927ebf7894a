"""The event loop a server process runs: uvloop's, accepting several waiting connections a turn.

libuv (uvloop's core) takes one new connection from a listening socket per turn of the event
loop, since its 1.45 (libuv/libuv#3696: most programs never find a second one waiting). A busy
live server's turn is long: every message that came meanwhile is handled in it, tens of
milliseconds under load. New pages then arrive faster than one a turn, and wait in the kernel's
listen queue: at 500 replayed users on one worker (issue 26) a page waited about a second at p50
for its websocket to be accepted (`docs/load-testing.md`), a wait the server never logs and a
load test sees only if it times the connection.

``EagerAcceptLoop`` is uvloop's loop whose TCP servers take every connection waiting at each
turn (up to ``ACCEPTS_PER_TURN``), as asyncio's own loop does; everything else is uvloop's.
``HeavyApp`` (``create_app``'s app) runs it wherever Sanic would run uvloop
(``install_event_loop``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Iterable
from typing import Any, cast

import uvloop
from heavy.live.eager_task import start_eagerly
from sanic.config import Config

logger = logging.getLogger(__name__)

# Connections taken from one listening socket in one turn, at most, besides uvloop's one. A new
# page costs about 4 ms of CPU in its first turns (its handshake, its first render): 8 add at
# most about one busy turn's work for the open pages' messages to wait behind, and 9 a turn keep
# up with hundreds of new pages a second at the 30 to 60 turns a second of a saturated worker.
ACCEPTS_PER_TURN = 8
# After an error of the process (out of file descriptors or memory), uvloop's server alone
# accepts this long (libuv then closes the connections it cannot take, rather than keep them).
RETRY_AFTER_S = 1.0

ProtocolFactory = Callable[[], asyncio.BaseProtocol]


class EagerAcceptLoop(uvloop.Loop):
    """uvloop's event loop whose TCP servers accept up to ``ACCEPTS_PER_TURN`` + 1 waiting
    connections at each turn."""

    async def create_server(  # type: ignore[override]  # uvloop's own signature, passed on
        self, protocol_factory: ProtocolFactory, host: Any = None, port: Any = None, **options: Any
    ) -> asyncio.AbstractServer:
        server = await super().create_server(protocol_factory, host, port, **options)
        # uvloop's server has asyncio.Server's calls (its stub says only AbstractServer).
        return EagerAcceptServer(self, cast(asyncio.Server, server), protocol_factory, options)


class EagerAcceptPolicy(uvloop.EventLoopPolicy):  # type: ignore[misc]
    """The event loop policy whose loops are ``EagerAcceptLoop``."""

    def _loop_factory(self) -> EagerAcceptLoop:
        return EagerAcceptLoop()


def install_event_loop(config: Config) -> None:
    """Make ``EagerAcceptLoop`` the loop of this process where Sanic would run uvloop (its
    ``USE_UVLOOP`` unset or true). Called just before Sanic makes the loop."""
    if config.USE_UVLOOP is False:
        return
    if not isinstance(asyncio.get_event_loop_policy(), EagerAcceptPolicy):
        # Sanic keeps a policy that is uvloop's (this is one): its setup_loop sets none.
        asyncio.set_event_loop_policy(EagerAcceptPolicy())


class EagerAcceptServer(asyncio.AbstractServer):
    """uvloop's server, with a reader of its own on each listening socket that accepts the
    connections waiting there (up to ``ACCEPTS_PER_TURN`` a turn); uvloop's server still takes
    its one a turn.

    The reader watches a duplicate of the socket (one file in the kernel, one listen queue: each
    connection is accepted once, by one of them): the loop watches a file descriptor once."""

    def __init__(
        self,
        loop: EagerAcceptLoop,
        server: asyncio.Server,
        protocol_factory: ProtocolFactory,
        options: dict[str, Any],
    ) -> None:
        self._loop = loop
        self._server = server
        self._protocol_factory = protocol_factory
        self._ssl = {key: options[key] for key in ("ssl", "ssl_handshake_timeout") if options.get(key)}
        self._listeners: list[socket.socket] = []
        self._connecting: set[asyncio.Task[Any]] = set()  # the loop keeps tasks weakly
        if server.is_serving():
            self._listen()

    def _listen(self) -> None:
        if self._listeners:
            return
        for listening in _tcp_sockets(self._server.sockets):
            listener = socket.socket(fileno=os.dup(listening.fileno()))
            self._loop.add_reader(listener.fileno(), self._accept_waiting, listener)
            self._listeners.append(listener)

    def _accept_waiting(self, listener: socket.socket) -> None:
        for _ in range(ACCEPTS_PER_TURN):
            try:
                connection, _address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return  # none left: uvloop's server may have taken the last one
            except ConnectionAbortedError:
                continue  # the client gave up while it waited
            except OSError as error:  # out of file descriptors or memory: left to uvloop's server
                logger.warning("Could not accept a connection (%s): retrying in %s s", error, RETRY_AFTER_S)
                self._pause(listener)
                return
            connection.setblocking(False)
            start_eagerly(self._connect(connection), self._connecting.add).add_done_callback(
                self._connecting.discard
            )

    async def _connect(self, connection: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._protocol_factory, connection, **self._ssl)
        except (ConnectionError, TimeoutError) as error:  # closed before it was set up, or TLS failed
            logger.debug("A connection ended before it was served: %r", error)
            connection.close()
        except Exception:
            logger.exception("Could not serve an accepted connection")
            connection.close()

    def _pause(self, listener: socket.socket) -> None:
        # The socket stays readable while the error lasts: without a pause, a warning every turn.
        self._loop.remove_reader(listener.fileno())
        self._loop.call_later(RETRY_AFTER_S, self._resume, listener)

    def _resume(self, listener: socket.socket) -> None:
        if listener in self._listeners:  # not closed meanwhile
            self._loop.add_reader(listener.fileno(), self._accept_waiting, listener)

    def _stop_listening(self) -> None:
        for listener in self._listeners:
            self._loop.remove_reader(listener.fileno())
            listener.close()
        self._listeners.clear()

    def close(self) -> None:
        self._stop_listening()
        self._server.close()

    async def wait_closed(self) -> None:
        await self._server.wait_closed()

    def is_serving(self) -> bool:
        return self._server.is_serving()

    async def start_serving(self) -> None:
        await self._server.start_serving()
        self._listen()

    async def serve_forever(self) -> None:
        self._listen()
        await self._server.serve_forever()

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def sockets(self) -> tuple[Any, ...]:
        """The listening sockets (uvloop's)."""
        return tuple(self._server.sockets)


def _tcp_sockets(sockets: Iterable[Any]) -> list[Any]:
    return [listening for listening in sockets if listening.family in (socket.AF_INET, socket.AF_INET6)]
