"""The two baselines the stack is compared with, as Sanic apps (run by ``bench.serve``)."""

from __future__ import annotations

from typing import Any

from reactpy import component, html, use_state  # noqa: TID251 - stock ReactPy is the baseline
from reactpy.backend.sanic import configure
from sanic import Request, Sanic, Websocket
from sanic.response import HTTPResponse, json

from heavy_stack.frontend.types import Component

ECHO_PATH = "/echo"


async def healthz(_request: Request) -> HTTPResponse:
    return json({"app": "up"})


async def echo(_request: Request, socket: Websocket) -> None:
    async for message in socket:
        await socket.send(message)


def echo_app() -> Sanic[Any, Any]:
    """The floor: a websocket that sends every message straight back."""
    app: Sanic[Any, Any] = Sanic("bench_echo")
    app.add_route(healthz, "/healthz")
    app.add_websocket_route(echo, ECHO_PATH)
    return app


@component
def Counter() -> Component:
    """Stock ReactPy: state and a plain handler, no wrappers, no database."""
    count, set_count = use_state(0)
    return html.div(
        html.button({"id": "increment", "onClick": lambda _event: set_count(count + 1)}, "+1"),
        html.p({"id": "count"}, str(count)),
    )


def counter_app() -> Sanic[Any, Any]:
    """Stock ReactPy on Sanic serving ``Counter``."""
    app: Sanic[Any, Any] = Sanic("bench_counter")
    app.add_route(healthz, "/healthz")
    configure(app, Counter)
    return app


APPS = {"echo": echo_app, "counter": counter_app}
