"""Typed events: what each event type accepts from a client, and how handlers declare it."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import pytest
from heavy.events import (
    BadEvents,
    Change,
    Click,
    EventDeclarationError,
    KeyPress,
    Location,
    Submit,
    Takes,
    clean_text,
    takes_of,
)

# Shapes a buggy or hostile client sends instead of one DOM event object.
NOT_ONE_EVENT: list[list[Any]] = [[None], [1], ["text"], [[]], [{}, {}], [{}] * 1000]


@pytest.mark.parametrize("data", [[], [{}], [{"target": 5, "extra": [1, 2]}]])
def test_a_click_or_submit_takes_any_one_dom_event(data: list[Any]) -> None:
    assert Takes(Click).parse(data) == (Click(),)
    assert Takes(Submit).parse(data) == (Submit(),)
    assert Takes(None).parse(data) == ()


@pytest.mark.parametrize("data", NOT_ONE_EVENT)
def test_nothing_takes_what_is_not_one_dom_event(data: list[Any]) -> None:
    for event in (None, Click, Submit, Change, KeyPress, Location):
        assert Takes(event).parse(data) is None


@pytest.mark.parametrize(
    ("data", "value"),
    [
        ([{"target": {"value": "Groceries"}}], "Groceries"),
        ([{"target": {"value": ""}}], ""),
        ([{"target": {"value": "a\x00b\ud800c"}}], "abc"),
        ([{"target": {"value": "é" * 100_000}, "more": 1}], "é" * 100_000),
        ([{"target": {"value": 5}}], None),
        ([{"target": "x"}], None),
        ([{"target": {}}], None),
        ([{}], None),
    ],
)
def test_a_change_takes_a_string_value_cleaned_of_what_postgresql_refuses(
    data: list[Any], value: str | None
) -> None:
    parsed = Takes(Change).parse(data)
    assert (parsed[0].value if parsed else None) == value


def test_a_key_press_takes_a_key_name_and_the_inputs_value() -> None:
    assert Takes(KeyPress).parse([{"key": "Enter", "target": {"value": "x\x00"}}]) == (
        KeyPress("Enter", "x"),
    )
    assert Takes(KeyPress).parse([{"key": "Enter"}]) == (KeyPress("Enter", ""),)
    assert Takes(KeyPress).parse([{"key": 13}]) is None


@pytest.mark.parametrize(
    ("data", "location"),
    [
        ([{"pathname": "/notes", "search": "?q=1"}], Location("/notes", "?q=1")),
        (
            [{"pathname": "/\x00", "search": "", "target": 5}],
            Location("/", ""),
        ),  # extra keys are not passed on
        ([{"pathname": "/notes"}], None),
        ([{"pathname": "/notes", "search": 7}], None),
        ([{"target": 5}], None),
        ([], None),
    ],
)
def test_the_routers_location_is_a_pathname_and_a_search_string(
    data: list[Any], location: Location | None
) -> None:
    parsed = Takes(Location).parse(data)
    assert (parsed[0] if parsed else None) == location


def test_text_keeps_everything_but_nul_and_lone_surrogates() -> None:
    assert clean_text("plain") == "plain"
    assert clean_text("Zoë 🎉 \u2028 tab\t") == "Zoë 🎉 \u2028 tab\t"
    assert clean_text("\x00\udc80x\ud83d") == "x"


def on_click() -> None: ...
def on_change(event: Change) -> None: ...
async def on_submit(context: object, event: Submit) -> None: ...
def on_dict(event: dict[str, Any]) -> None: ...
def on_bare(event) -> None: ...  # type: ignore[no-untyped-def]
def on_two(first: Change, second: Change) -> None: ...


class ChangeHandler:
    def __call__(self, event: Change) -> None: ...

    def method(self, event: KeyPress) -> None: ...


def test_handlers_declare_what_they_take_by_their_event_parameters_annotation() -> None:
    assert takes_of(on_click) == Takes(None)
    assert takes_of(on_change) == Takes(Change)
    assert takes_of(on_submit, leading=1) == Takes(Submit)
    assert takes_of(ChangeHandler()) == Takes(Change)
    assert takes_of(ChangeHandler().method) == Takes(KeyPress)
    assert takes_of(partial(on_two, Change("bound"))) == Takes(Change)
    assert takes_of(lambda: None) == Takes(None)


@pytest.mark.parametrize("handler", [on_dict, on_bare, lambda event: None])
def test_an_event_parameter_without_an_event_type_is_refused_when_the_handler_is_made(handler: Any) -> None:
    with pytest.raises(EventDeclarationError, match=r"heavy\.Change"):
        takes_of(handler)


def test_a_handler_of_two_events_is_refused() -> None:
    with pytest.raises(TypeError, match="takes 2 arguments"):
        takes_of(on_two)


def test_bad_events_are_logged_a_few_a_minute_and_a_flood_closes_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    bad = BadEvents(warnings_per_minute=3, close_after=10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="heavy.events"):
        closes = [bad.report("add in NotesPage", "a click", [{"secret": "x"}] * 2) for _ in range(9)]
        assert closes == [False] * 9
        assert len(caplog.records) == 3
        assert "2 arguments" in caplog.records[0].getMessage()
        assert "secret" not in caplog.text  # what the client sent is described, never quoted
        now[0] = 61.0  # a new minute: the ones not logged are counted in one line
        assert bad.report("add in NotesPage", "a click", []) is False
        assert len(caplog.records) == 5
        assert "Dropped 6 more events" in caplog.records[3].getMessage()
        assert [bad.report("h", "a click", []) for _ in range(9)][-1] is True
