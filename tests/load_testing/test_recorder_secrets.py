"""What the recorder writes: no secret in any shape, and what the server confirmed per event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from heavy.stream.layout_mirror import LayoutMirror
from heavy.stream.recorder import REDACTED, StreamRecorder
from heavy.stream.recording import RecordedEvent, load_recording
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
