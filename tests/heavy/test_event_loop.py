"""The server's event loop takes every waiting connection at each turn, not one (libuv's way).

A busy server's turn is long: connections that wait for one turn each wait seconds
(docs/load-testing.md). Turns are counted, not timed: a busy turn is as long as the machine
makes it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import resource
import socket
import sys
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any, cast

import pytest
import uvloop
from heavy.web.app import HeavyApp
from heavy.web.event_loop import ACCEPTS_PER_TURN, RETRY_AFTER_S, EagerAcceptLoop, EagerAcceptPolicy

from tests.heavy.loop_turns import TurnCounter

WAITING = 40  # connections in the listen queue before the loop looks


class Echo(asyncio.Protocol):
    """Answers each message with the same bytes; notes the turn it was accepted in."""

    def __init__(self, accepted: list[int], turns: TurnCounter) -> None:
        self.accepted, self.turns = accepted, turns

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass of it
        self.accepted.append(self.turns.turns)

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


def run_on(loop_factory: Callable[[], asyncio.AbstractEventLoop], main: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(main)


async def turns_to_accept_waiting_connections() -> list[int]:
    """The turn each of ``WAITING`` connections, made before the loop turns, was accepted in;
    each then echoes a message."""
    loop = asyncio.get_running_loop()
    accepted: list[int] = []
    turns = TurnCounter()
    server = await loop.create_server(lambda: Echo(accepted, turns), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    # Made in the kernel (the listen queue) while the loop is held here, as under a busy turn.
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(WAITING)]
    started = turns.turns
    for _ in range(10 * WAITING):
        if len(accepted) == WAITING:
            break
        await asyncio.sleep(0)
    turns.stop()
    for number, client in enumerate(clients):
        message = f"page {number}".encode()
        client.setblocking(False)
        async with asyncio.timeout(10):
            await loop.sock_sendall(client, message)
            assert await loop.sock_recv(client, 64) == message
        client.close()
    server.close()
    await server.wait_closed()
    return [turn - started for turn in accepted]


def test_a_busy_loop_accepts_the_waiting_connections_in_a_few_turns_not_one_a_turn() -> None:
    accepted_in = run_on(EagerAcceptLoop, turns_to_accept_waiting_connections())
    assert len(accepted_in) == WAITING
    # uvloop's one and ACCEPTS_PER_TURN more each turn (plus the turn that starts each).
    assert max(accepted_in) <= math.ceil(WAITING / (ACCEPTS_PER_TURN + 1)) + 1


def test_uvloop_alone_takes_one_connection_a_turn() -> None:
    """Why EagerAcceptLoop exists: if this fails, libuv accepts in a loop again."""
    accepted_in = run_on(uvloop.Loop, turns_to_accept_waiting_connections())
    assert len(accepted_in) == WAITING
    assert max(accepted_in) >= WAITING - 1


def test_a_closed_server_leaves_its_port_free() -> None:
    """The loop's reader listens on a duplicate of the socket: closing the server closes both."""

    async def close_and_rebind() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
        again = await loop.create_server(asyncio.Protocol, "127.0.0.1", port)
        again.close()
        await again.wait_closed()

    run_on(EagerAcceptLoop, close_and_rebind())


@pytest.mark.parametrize(("use_uvloop", "eager"), [(True, True), (False, False)])
def test_the_app_serves_on_the_eager_loop_where_sanic_would_use_uvloop(use_uvloop: bool, eager: bool) -> None:
    app = HeavyApp(f"loop_{use_uvloop}")
    app.config.USE_UVLOOP = use_uvloop
    before = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(None)
    try:
        app.setup_loop()  # what Sanic calls in a serving process before it makes the loop
        assert isinstance(asyncio.get_event_loop_policy(), EagerAcceptPolicy) is eager
    finally:
        asyncio.set_event_loop_policy(before)


# Run in a process of its own: the test's process has no descriptor left for a socket.
ARRIVALS = """
import socket, sys, time
time.sleep(0.1)
for _ in range(20):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
    except OSError:
        pass
    time.sleep(0.03)
"""


def test_out_of_file_descriptors_warns_once_then_accepts_again(caplog: pytest.LogCaptureFixture) -> None:
    """While the process cannot accept (no file descriptor left) and connections keep coming,
    the loop's reader pauses with one warning instead of warning at every turn; then it takes
    connections again."""

    async def exhaust_then_recover() -> int:
        loop = asyncio.get_running_loop()
        made: list[int] = []
        turns = TurnCounter()
        server = await loop.create_server(lambda: Echo(made, turns), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        arrivals = await asyncio.create_subprocess_exec(sys.executable, "-c", ARRIVALS, str(port))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (max(int(fd) for fd in os.listdir("/proc/self/fd")) + 1, hard)
        )
        fillers = []
        try:
            with suppress(OSError):  # every free descriptor below the limit, taken
                while True:
                    fillers.append(os.open(os.devnull, os.O_RDONLY))
            for _ in range(40):  # while the connections come, within the reader's pause
                await asyncio.sleep(RETRY_AFTER_S / 50)
        finally:
            for fd in fillers:
                os.close(fd)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        async with asyncio.timeout(10):
            await arrivals.wait()
        await asyncio.sleep(RETRY_AFTER_S)  # the reader listens again
        before = len(made)
        late = socket.create_connection(("127.0.0.1", port))
        for _ in range(100):
            if len(made) > before:
                break
            await asyncio.sleep(0)
        turns.stop()
        late.close()
        server.close()
        await server.wait_closed()
        return len(made) - before

    with caplog.at_level(logging.WARNING, logger="heavy.web.event_loop"):
        accepted_after = run_on(EagerAcceptLoop, exhaust_then_recover())
    warnings = [record.getMessage() for record in caplog.records if "Could not accept" in record.getMessage()]
    assert len(warnings) == 1, warnings
    assert "Too many open files" in warnings[0]
    assert accepted_after == 1
