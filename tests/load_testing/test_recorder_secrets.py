"""What the recorder writes: no secret in any shape, and what the server confirmed per event."""

from __future__ import annotations

import asyncio
import contextvars
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from heavy import LiveLayout, heavy_use_state, serve_live_layout
from heavy.stream.layout_mirror import LayoutMirror
from heavy.stream.recorder import REDACTED, StreamRecorder
from heavy.stream.recording import RecordedEvent, load_recording
from heavy.telemetry.figures import live_figures, stop_watching, watch
from reactpy import component, html, use_ref
from reactpy.types import ComponentType, VdomDict
from sanic.compat import Header
from sanic.request import Request

BINDING, SESSION = "binding-cookie-value-123", "session-cookie-value-456"
ZONE = "Europe/Paris"  # heavy's time-zone cookie: no secret, and pages show it
TICKET = "Zq9_ticket-value-789"


def handshake() -> Request:
    """A websocket handshake as a signed-in browser sends it (a real Sanic request)."""
    cookies = f"heavy_stack_browser={BINDING}; heavy_stack_session={SESSION}; time_zone={ZONE}"
    # No transport and no app: the recorder reads only the headers.
    return Request(b"/_reactpy/stream", Header({"cookie": cookies}), "1.1", "GET", None, None)  # type: ignore[arg-type]


def page(message: str, *, autocomplete: str) -> dict[str, Any]:
    """A sign-in form: e-mail and password fields, a message, and a script (a Brython call)."""
    return {
        "type": "layout-update",
        "path": "",
        "model": {
            "tagName": "form",
            "attributes": {"id": "sign-in-form"},
            "eventHandlers": {"onSubmit": {"target": "submit-1"}},
            "children": [
                {
                    "tagName": "input",
                    "attributes": {"id": "email", "type": "email", "autoComplete": "email"},
                    "eventHandlers": {"onChange": {"target": "email-1"}},
                },
                {
                    "tagName": "input",
                    "attributes": {"id": "password", "type": "password", "autoComplete": autocomplete},
                    "eventHandlers": {"onChange": {"target": "password-1"}},
                },
                {"tagName": "p", "attributes": {"id": "message", "role": "status"}, "children": [message]},
                {
                    "tagName": "script",
                    "children": [f"go('/account/sign-in/complete?ticket={TICKET}&next=%2F')"],
                },
            ],
        },
    }


def typed(target: str, value: str) -> dict[str, Any]:
    return {"type": "layout-event", "target": target, "data": [{"target": {"value": value}}]}


@pytest.mark.parametrize(
    ("password", "autocomplete", "fill"),
    [
        ("correct horse battery", "current-password", "current-password"),
        ('with "quotes" and \\ slashes', "new-password", "new-password"),
        ("wörd✓ 密码 long enough", "off", "password"),
    ],
)
def test_no_password_cookie_or_ticket_reaches_the_file_in_any_shape(
    tmp_path: Path, password: str, autocomplete: str, fill: str
) -> None:
    path = tmp_path / "recording.json"
    recorder = StreamRecorder(path, browser_of=lambda _request: BINDING)
    recorder.open()
    recorder.opened("c1", handshake())
    recorder.sent("c1", page("Sign in", autocomplete=autocomplete))
    recorder.received("c1", typed("email-1", "visitor@example.com"))
    for length in range(1, len(password) + 1):  # keystroke by keystroke
        recorder.received("c1", typed("password-1", password[:length]))
    recorder.received("c1", {"type": "layout-event", "target": "submit-1", "data": [{}]})
    # A page that shows the password or a cookie by mistake: the recorder still keeps them out.
    recorder.sent("c1", page(f"Welcome {password} ({SESSION}), {ZONE}", autocomplete=autocomplete))
    recorder.closed("c1")
    recorder.close()

    written = path.read_text(encoding="utf-8")
    for secret in (password, json.dumps(password)[1:-1], BINDING, SESSION, TICKET):
        assert secret not in written
    assert f"ticket={REDACTED}" in written
    assert ZONE in written
    [visit] = load_recording(path).visits.values()
    assert visit.id not in (BINDING, "c1")  # named by a hash of the browser's cookie
    events = {event.describe(): event for event in visit.events}
    assert events["onChange #password"].fill == fill
    assert events["onChange #password"].data_for("me@example.com", "mine") == [{"target": {"value": "mine"}}]
    assert events["onChange #email"].data_for("me@example.com", "mine")[0] == {
        "target": {"value": "me@example.com"}
    }


def live_page(text: str) -> LayoutMirror:
    layout = LayoutMirror()
    layout.apply(
        {
            "type": "layout-update",
            "path": "",
            "model": {"tagName": "p", "attributes": {"id": "who"}, "children": [text]},
        }
    )
    return layout


def rename_recorded(tmp_path: Path, before: str, after: str) -> RecordedEvent:
    """A recording where a click changed ``#who`` from ``before`` to ``after``."""
    path = tmp_path / "recording.json"
    recorder = StreamRecorder(path)
    recorder.open()
    recorder.sent("c1", {"type": "layout-update", "path": "", "model": _who(before)})
    recorder.received("c1", {"type": "layout-event", "target": "rename-1", "data": [{}]})
    recorder.sent("c1", {"type": "layout-update", "path": "", "model": _who(after)})
    recorder.close()
    [event] = next(iter(load_recording(path).visits.values())).events
    return event


def _who(text: str) -> dict[str, Any]:
    return {
        "tagName": "div",
        "children": [
            {"tagName": "button", "eventHandlers": {"onClick": {"target": "rename-1"}}},
            {"tagName": "p", "attributes": {"id": "who"}, "children": [text]},
        ],
    }


@pytest.mark.parametrize(
    ("live", "missing"),
    [
        ("New Name <loadtest-7@example.com>, member since 1 December 2026", []),
        ("Old Name <visitor@example.com>, member since 30 November 2026", ["#who shows"]),
    ],
)
def test_a_replay_checks_the_words_the_server_added_not_the_rest_of_the_line(
    tmp_path: Path, live: str, missing: list[str]
) -> None:
    event = rename_recorded(
        tmp_path,
        "Old Name <visitor@example.com>, member since 30 November 2026",
        "New Name <visitor@example.com>, member since 30 November 2026",
    )
    assert [expected.describe() for expected in event.expects] == ["#who “New”"]
    shown = event.unconfirmed(live_page(live), "loadtest-7@example.com")
    assert [line[: len("#who shows")] for line in shown] == missing
    assert not shown or "without “New”" in shown[0]


class SlowForm:
    """A form whose answer waits until the test lets it go (as a password check takes its
    time), a field that answers nothing, and a counter that changes by itself (as the online
    count does when others open pages)."""

    def __init__(self) -> None:
        self.answer = asyncio.Event()
        self.nudge: Callable[[int], None] = lambda _count: None

    def page(self) -> ComponentType:
        @component
        def Page() -> VdomDict:
            message, set_message = heavy_use_state("")
            count, self.nudge = heavy_use_state(0)
            typed = use_ref("")

            def change(event: dict[str, Any]) -> None:
                typed.current = event["target"]["value"]  # kept, not shown: no render

            async def submit(_event: dict[str, Any]) -> None:
                await self.answer.wait()
                set_message(f"Saved {typed.current}")

            return html.form(
                {"id": "form", "onSubmit": submit},
                html.input({"id": "name", "onChange": change}),
                html.p({"id": "message", "role": "status"}, message),
                html.span({"id": "count"}, f"{count} online"),
            )

        return Page()


async def record_a_slow_answer(path: Path, started: Callable[[], Any]) -> list[RecordedEvent]:
    """Type; the counter changes by itself; submit and type again before the answer comes
    (``started`` is called once the recorder is)."""
    form, mirror, connection = SlowForm(), LayoutMirror(), secrets.token_hex(4)
    to_page: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    to_server: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    recorder = StreamRecorder(path)
    recorder.open()
    started()

    async def send(message: Any) -> None:
        recorder.sent(connection, message)
        await to_page.put(json.loads(json.dumps(message)))

    async def receive() -> Any:
        message = await to_server.get()
        recorder.received(connection, message)  # where the guard shows it to its taps
        return message

    async def update() -> None:
        mirror.apply(await asyncio.wait_for(to_page.get(), 10))

    def event(target_id: str, name: str, value: str = "") -> dict[str, Any]:
        target = mirror.find(id=target_id).target(name)
        return {"type": "layout-event", "target": target, "data": [{"target": {"value": value}}]}

    recorder.opened(connection, handshake())
    layout = LiveLayout(form.page())
    # A context of its own, as each connection's task has: nothing the test ran before leaks in.
    server = asyncio.create_task(serve_live_layout(layout, send, receive), context=contextvars.Context())
    try:
        await update()
        await to_server.put(event("name", "onChange", "A"))
        form.nudge(2)  # nothing the page sent asked for this one
        await update()
        await to_server.put(event("form", "onSubmit"))
        await to_server.put(event("name", "onChange", "B"))  # before the answer
        await asyncio.sleep(0.05)  # both handled; the submit's waits
        form.answer.set()
        await update()
        assert mirror.find(id="message").text == "Saved B"
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
        recorder.close()
    [visit] = load_recording(path).visits.values()
    return list(visit.events)


@pytest.mark.parametrize("telemetry", ["none", "before", "during"])
async def test_an_event_is_answered_by_what_it_caused_not_by_what_came_after_it(
    tmp_path: Path, telemetry: str
) -> None:
    """An update nothing asked for, or a slow answer that comes after the page's next event,
    is not the answer of the last event sent: a replay would wait for an answer the server
    never sends to it (and fail by chance: 1 of 3 users in the signed-in visit's CI run). The
    dashboard's figures, opened before or during the recording, watch inside the recorder."""
    handled_before = handled()
    if telemetry == "before":
        watch()
    try:
        events = await record_a_slow_answer(
            tmp_path / "recording.json", watch if telemetry == "during" else lambda: None
        )
    finally:
        stop_watching()
    assert LiveLayout.observer is None
    assert [(e.describe(), e.answered) for e in events] == [
        ("onChange #name", False),
        ("onSubmit #form", True),
        ("onChange #name", False),
    ]
    assert [expected.describe() for expected in events[1].expects] == ["#message “Saved B”"]
    assert handled() - handled_before == (0 if telemetry == "none" else 3)


def handled() -> int:
    """The events the telemetry's figures counted in this process."""
    return sum(figures.events for figures in live_figures().handlers.values())
