"""``heavy.html``: every constructor of ``reactpy.html``, making the very VDOM dict ReactPy's
makes for the same arguments (or failing, or warning, as it does)."""

from __future__ import annotations

import functools
import re
import warnings
from collections import OrderedDict, UserDict
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import pytest
from heavy import StaticHtml, element_handler, html
from heavy.live.layout import LiveLayout, WholeData, callee
from reactpy import component, use_state  # noqa: TID251 - ReactPy's constructors compared
from reactpy import html as reactpy_html
from reactpy.config import REACTPY_CHECK_JSON_ATTRS, REACTPY_DEBUG_MODE
from reactpy.core.events import EventHandler
from reactpy.core.layout import Layout
from reactpy.core.types import ComponentType

from heavy_stack.frontend.types import Component

from tests.frontend.test_live_layout import _play as play

Arguments = Callable[[], tuple[Any, ...]]


def on_click(_event: Any) -> None: ...


async def on_submit(_event: Any) -> None: ...


async def on_data(data: Sequence[Any]) -> None: ...  # an EventHandler's own function


class Kind(StrEnum):
    NOTE = "note"


class Countdown:
    """An iterable of its own (no ``__len__``): flattened like a generator."""

    def __iter__(self) -> Iterator[str]:
        return iter(("3", "2", "1"))


class CallableThing:
    def __call__(self, _event: Any) -> None: ...


@component
def Card(title: str) -> Any:
    return reactpy_html.div(title)


# Shared by every call, so that both sides get the very same objects (compared by identity).
CARD = Card("a card")
KEYED_CARD = Card("a keyed card", key="card")
HANDLER = EventHandler(on_data, prevent_default=True, target="fixed-target")
FLAGGED = element_handler(on_submit, prevent_default=True)
STATIC = StaticHtml({"tagName": "em", "children": ["static"]})
PARTIAL = functools.partial(on_click)
THING = CallableThing()
LAMBDA = lambda _event: None  # noqa: E731 - a lambda as such


def argument_sets() -> dict[str, Arguments]:
    """Each set made anew per call: ReactPy takes ``key`` out of the attributes it is given, and
    a generator is used up."""
    return {
        "nothing": lambda: (),
        "a string": lambda: ("hello",),
        "an empty string": lambda: ("",),
        "a long string": lambda: ("x" * 20_000,),
        "strings": lambda: ("a", "b", "c"),
        "a str enum": lambda: (Kind.NOTE, Kind.NOTE),
        "empty attributes": lambda: ({},),
        "attributes": lambda: ({"id": "x", "className": "y", "tabIndex": 0, "hidden": False}, "text"),
        "attributes only": lambda: ({"id": "x"},),
        "odd values": lambda: ({"style": {"color": "red"}, "value": None, "data": [1, 2], "n": 1.5},),
        "a string key": lambda: ({"key": "k", "id": "x"}, "text"),
        "an int key": lambda: ({"id": "x", "key": 7},),
        "a None key": lambda: ({"key": None},),
        "a key alone": lambda: ({"key": "only"}, "child"),
        "a callable key": lambda: ({"key": on_click},),
        "sync handler": lambda: ({"onClick": on_click, "id": "b"}, "go"),
        "async handler": lambda: ({"onSubmit": on_submit}, "go"),
        "a lambda handler": lambda: ({"onClick": LAMBDA},),
        "callable object": lambda: ({"onClick": THING, "onChange": PARTIAL},),
        "EventHandler": lambda: ({"onClick": HANDLER, "key": "h"},),
        "FlaggedHandler": lambda: ({"id": "f", "onSubmit": FLAGGED}, "x"),
        "handlers and attributes mixed": lambda: (
            {"a": "1", "onClick": on_click, "b": 2, "onKeyDown": HANDLER, "c": "3", "onSubmit": FLAGGED},
        ),
        "an element first": lambda: ({"tagName": "span", "children": ["s"]}, "after"),
        "an element and attributes": lambda: ({"id": "x"}, {"tagName": "span"}),
        "a component": lambda: (CARD,),
        "components with attributes": lambda: ({"id": "c"}, CARD, KEYED_CARD),
        "static html": lambda: (STATIC, {"id": "s"}),
        "a list": lambda: ([reactpy_html.li({"key": "1"}, "1"), reactpy_html.li({"key": "2"}, "2")],),
        "a tuple": lambda: ({"id": "t"}, ("a", CARD, STATIC)),
        "nested lists": lambda: ([["a", "b"], ("c",)], "d"),
        "an empty list": lambda: ({"id": "e"}, []),
        "empty things": lambda: ([], (), "", iter(())),
        "a generator": lambda: ((f"item {n}" for n in range(3)),),
        "a generator of elements": lambda: ({"id": "g"}, (reactpy_html.b(str(n)) for n in range(2))),
        "a range": lambda: (range(3),),
        "an iterable of its own": lambda: (Countdown(), "after"),
        "bytes": lambda: (b"ab",),
        "None and numbers": lambda: (None, 0, 1.5, True),
        "a set of one": lambda: ({"only"},),
        "a mapping proxy child": lambda: ("x", MappingProxyType({"tagName": "i"})),
        "a mapping proxy as attributes": lambda: (MappingProxyType({"id": "x"}), "y"),
        "a UserDict as attributes": lambda: (UserDict({"id": "u", "key": "k", "onClick": on_click}), "y"),
        "an OrderedDict as attributes": lambda: (OrderedDict(id="o", key="k"), "y"),
        "a dict subclass child": lambda: ("x", OrderedDict(tagName="i")),
        "a key keyword": lambda: ("x",),  # with key=..., below
        "another keyword": lambda: ("x",),  # with other=..., below
    }


KEYWORDS: dict[str, dict[str, Any]] = {"a key keyword": {"key": "kw"}, "another keyword": {"other": 1}}


def comparable(value: Any) -> Any:
    """``value`` with each model's items in order and each event handler as what it calls."""
    if type(value) is dict or isinstance(value, StaticHtml):
        return [type(value), [(key, comparable(item)) for key, item in value.items()]]
    if type(value) is list:
        return [comparable(item) for item in value]
    if isinstance(value, EventHandler):
        # ReactPy wraps a function anew each time: what the wrapper calls is what counts
        # (heavy's AttributeHandler makes ReactPy's wrapper when its function is read).
        called = callee(value.function)
        function = ("whole data", called.function) if type(called) is WholeData else ("its items", called)
        return ("handler", function, value.prevent_default, value.stop_propagation, value.target)
    return value


def outcome(constructor: Callable[..., Any], arguments: tuple[Any, ...], keywords: dict[str, Any]) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = comparable(constructor(*arguments, **keywords))
        except Exception as error:  # the same error, in the same words
            result = (type(error), str(error))
    said = [(w.category, re.sub(r"0x[0-9a-f]+", "0x…", str(w.message)), w.filename) for w in caught]
    return result, said


def differences(name: str) -> list[str]:
    found = []
    for label, arguments in argument_sets().items():
        keywords = KEYWORDS.get(label, {})
        expected = outcome(getattr(reactpy_html, name), arguments(), keywords)
        if outcome(getattr(html, name), arguments(), keywords) != expected:
            found.append(f"html.{name} with {label}")
    return found


def test_every_constructor_of_reactpy_html_is_there() -> None:
    assert set(reactpy_html.__all__) <= set(vars(html))
    assert html.__all__ == reactpy_html.__all__


@pytest.mark.parametrize("name", reactpy_html.__all__)
def test_each_constructor_makes_what_reactpys_makes(name: str) -> None:
    assert differences(name) == []


@pytest.fixture
def debug_mode() -> Iterator[None]:
    REACTPY_DEBUG_MODE.current = True
    try:
        yield
    finally:
        REACTPY_DEBUG_MODE.current = False


@pytest.mark.usefixtures("debug_mode")
@pytest.mark.parametrize("name", ["div", "ul", "_", "img"])
def test_in_debug_mode_the_same_checks_and_key_warnings(name: str) -> None:
    assert differences(name) == []
    unkeyed = [reactpy_html.li("no key")]
    with pytest.warns(UserWarning, match="Key not specified"):
        html.ul(unkeyed)
    with pytest.raises(TypeError, match="not JSON serializable"):
        html.div({"value": object()})


def test_the_json_check_alone_is_honoured() -> None:
    REACTPY_CHECK_JSON_ATTRS.current = True
    try:
        with pytest.raises(TypeError, match="not JSON serializable"):
            html.div({"value": object()})
    finally:
        REACTPY_CHECK_JSON_ATTRS.current = False
    assert html.div({"value": 1}) == {"tagName": "div", "attributes": {"value": 1}}


def ClickedPage(constructors: Any) -> Callable[[], ComponentType]:
    """A page of buttons with sync and async handlers, made with ``constructors``."""

    @component
    def Clicked() -> Component:
        count, set_count = use_state(0)

        async def add_ten(event: Any) -> None:
            set_count(count + 10 + len(event))

        return constructors.div(
            # An event's data as its handler gets it: one item, an empty dict (len 0), not the list.
            constructors.button(
                {"id": "one", "onClick": lambda event: set_count(count + 1 + len(event))}, "+1"
            ),
            constructors.button({"id": "ten", "onClick": add_ten, "key": "ten"}, "+10"),
            constructors.button({"id": "kept", "onClick": HANDLER}, "an EventHandler of its own"),
            [constructors.p({"id": f"count-{n}", "key": f"count-{n}"}, str(count)) for n in range(2)],
        )

    return Clicked


@pytest.mark.parametrize("layout", [Layout, LiveLayout])
async def test_a_layout_renders_and_runs_the_handlers_as_with_reactpys_constructors(
    layout: type[Layout],
) -> None:
    """ReactPy's own ``Layout`` reads the handlers' ``function`` (ReactPy's wrapper, made when
    read); heavy's takes the function itself: both show and do the same, click for click."""
    clicks = ["one", "ten", "one", "ten"]
    theirs = await play(ClickedPage(reactpy_html), clicks, layout)
    ours = await play(ClickedPage(html), clicks, layout)
    assert ours == theirs
    assert "22" in str(ours[-1][0])


def test_the_callers_attributes_are_left_as_they_were() -> None:
    """The one difference: ReactPy's constructors take ``key`` out of the dict they are given."""
    attributes = {"key": "k", "id": "x"}
    assert html.p(attributes) == {"tagName": "p", "attributes": {"id": "x"}, "key": "k"}
    assert attributes == {"key": "k", "id": "x"}
