"""This product's Locust replay: its Locust file and demo recording, and a page being replayed
(the Brython answers and account fields of the product's pages). The run itself and its
figures are ``heavy.testing.replay``'s."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from heavy.stream.layout_mirror import ElementNotFoundError, LayoutMirror
from heavy.stream.recording import MESSAGE_ROLES, RecordedEvent
from heavy.testing import replay
from reactpy_bridge import RESULT_BUTTON_ID

from heavy_stack.settings import PROJECT_ROOT
from heavy_stack_testing.brython import NAVIGATE_FUNCTION, brython_calls_in

LOAD_TESTING_DIR = PROJECT_ROOT / "tests" / "load_testing"
LOCUSTFILE = LOAD_TESTING_DIR / "data_recorder_locust.py"
# A visit to the landing page; tests/load_testing/record_demo.py makes it again.
DEMO_RECORDING = LOAD_TESTING_DIR / "data_recording_demo.json"

# ``run_replay(host, recording, users=...)`` with this product's Locust file, from its folder.
run_replay = partial(replay.run_replay, LOCUSTFILE, cwd=PROJECT_ROOT)


@dataclass(frozen=True)
class Account:
    """The account a virtual user types where the recording had an e-mail or password field."""

    email: str = ""
    password: str = ""


NO_ACCOUNT = Account()


def live_message(event: RecordedEvent, layout: LayoutMirror, account: Account = NO_ACCOUNT) -> dict[str, Any]:
    """``event`` addressed to the live page, a Brython answer to the live call, an account field
    holding ``account``'s e-mail or password.

    Call ids are random per connection (``<prefix>-<n>``): a recorded answer names the recorded
    connection's call, so it is sent for the live call with the same ``n``, once the page has
    made it (ElementNotFoundError until then, as a browser only answers a call it was given).
    """
    message = event.live_message(layout, event.data_for(account.email, account.password))
    if event.element_id != RESULT_BUTTON_ID or not message["data"]:
        return message
    answer = json.loads(message["data"][0]["target"]["value"])
    number = str(answer["id"]).rsplit("-", 1)[-1]
    live = [call["id"] for call in brython_calls_in(layout) if call["id"].rsplit("-", 1)[-1] == number]
    if not live:
        raise ElementNotFoundError(f"the page has made no Brython call {number} yet")
    answer["id"] = live[0]
    return {**message, "data": [{"target": {"value": json.dumps(answer)}}, *message["data"][1:]]}


class ReplayedPage:
    """A page being replayed, without I/O: the mirror of what the server sent, and each
    recorded event as the text to send to the live page. Replay drivers do the I/O.

    orjson, not ``json``: a load generator's own CPU per message is what caps the load it makes.
    """

    def __init__(self, account: Account = NO_ACCOUNT) -> None:
        self.layout = LayoutMirror()
        self.account = account
        self.received = 0  # messages from the server so far

    def receive(self, raw: str | bytes) -> None:
        """Take one message from the server."""
        message: dict[str, Any] = orjson.loads(raw)
        self.received += 1
        if message.get("type") == "layout-update":
            self.layout.apply(message)

    def message_for(self, event: RecordedEvent) -> bytes:
        """``event`` as UTF-8 JSON, to send as a text frame; ElementNotFoundError while the page
        lacks its element."""
        return orjson.dumps(live_message(event, self.layout, self.account))

    def unconfirmed(self, event: RecordedEvent) -> list[str]:
        """What the page does not show (yet) of what the server confirmed when recorded."""
        return event.unconfirmed(self.layout, self.account.email)

    def messages(self) -> list[str]:
        """The status and alert messages the page shows (what a person reads after acting)."""
        shown = (e for e in self.layout.elements() if e.attributes.get("role") in MESSAGE_ROLES)
        return [element.text for element in shown if element.text]

    def navigation_to(self, path: str) -> str | None:
        """The latest URL on ``path`` the page has asked the browser to go to (a hand-off link)."""
        urls = [
            str(call["kwargs"].get("url", ""))
            for call in brython_calls_in(self.layout)
            if call["name"] == NAVIGATE_FUNCTION
        ]
        return next((url for url in reversed(urls) if url.split("?", 1)[0] == path), None)
