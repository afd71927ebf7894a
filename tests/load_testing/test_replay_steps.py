"""The steps a replay reports for a visit, and the load its users ask for with its pauses.

Each connection opens on its page (``open <path>``, its first update); the router's report of
that location is not a step of its own, whether a recording made it answered (before the router
rendered the page at once) or not; each other answered event is a step; a visit that keeps
cookies loads each page over HTTP first and follows its hand-offs.
"""

from __future__ import annotations

from typing import Any

import pytest
from heavy.stream.recording import HandOff, RecordedConnection, RecordedEvent, RecordedVisit
from heavy.testing.replay import asked_rate, confirmation_steps, replay_steps
from heavy.web.router import HISTORY_EVENT


def event(
    name: str, think_time: float, *, answered: bool, data: Any = None, id: str | None = None
) -> RecordedEvent:
    return RecordedEvent(
        data=[data if data is not None else {}],
        event=name,
        path="",
        element_id=id,
        near_id=None,
        tag="button",
        think_time=think_time,
        answered=answered,
    )


def report(pathname: str, *, answered: bool, think_time: float = 0.05) -> RecordedEvent:
    """The router's report of the location, a page's first event."""
    return event(HISTORY_EVENT, think_time, answered=answered, data={"pathname": pathname, "search": ""})


def landing_visit(*, report_answered: bool) -> RecordedVisit:
    events = (
        report("/", answered=report_answered),
        event("onChange", 0.4, answered=False, id="echo-input"),
        event("onSubmit", 0.3, answered=True, id="echo-form"),
        event("onClick", 1.25, answered=True, id="read-user"),
    )
    return RecordedVisit("v", (RecordedConnection("c", events),))


@pytest.mark.parametrize("report_answered", [True, False], ids=["older-recording", "recording-now"])
def test_a_page_opens_once_and_each_answered_event_after_is_a_step(report_answered: bool) -> None:
    visit = landing_visit(report_answered=report_answered)
    assert [name for name, _ in replay_steps(visit)] == [
        "open /",
        "onSubmit #echo-form",
        "onClick #read-user",
    ]
    # 3 steps in 2 s of pauses.
    for users in (1, 7, 500):
        assert asked_rate(visit, users) == pytest.approx(users * 3 / 2.0)


def test_a_visit_over_two_pages_loads_each_and_follows_its_hand_off() -> None:
    sign_in = RecordedConnection(
        "a",
        (report("/sign-in", answered=False), event("onSubmit", 2.0, answered=True, id="sign-in-form")),
        HandOff("/sign-in/complete", 303, "/"),
    )
    landing = RecordedConnection(
        "b", (report("/", answered=False), event("onClick", 1.95, answered=True, id="read-user"))
    )
    visit = RecordedVisit("v", (sign_in, landing))
    assert [name for name, _ in replay_steps(visit)] == [
        "page /sign-in",
        "open /sign-in",
        "onSubmit #sign-in-form",
        "hand-off /sign-in/complete",
        "page /",
        "open /",
        "onClick #read-user",
    ]
    assert asked_rate(visit, 10) == pytest.approx(10 * 7 / 4.05)  # 0.05 + 2.0 + 0.05 + 1.95 s


def test_steps_done_twice_are_one_line_of_the_confirmations() -> None:
    events = (
        report("/", answered=False),
        event("onClick", 0.5, answered=True, id="read-user"),
        event("onClick", 0.5, answered=True, id="read-user"),
    )
    visit = RecordedVisit("v", (RecordedConnection("c", events),))
    assert len(replay_steps(visit)) == 3
    assert [name for name, _ in confirmation_steps(visit)] == ["open /", "onClick #read-user"]


def test_a_visit_without_pauses_asks_without_bound() -> None:
    events = (
        report("/", answered=False, think_time=0.0),
        event("onClick", 0.0, answered=True, id="read-user"),
    )
    visit = RecordedVisit("v", (RecordedConnection("c", events),))
    assert asked_rate(visit, 5) == float("inf")
