"""Tell children and event handlers apart without ``typing`` Protocol checks where it is cheap.

ReactPy 1.1 sorts every child of every element it renders with
``isinstance(child, ComponentType)``, and every handler-like attribute with
``isinstance(value, EventHandlerType)``. Both are ``runtime_checkable`` Protocols, and on
Python 3.11 such a check walks the Protocol's members on each call: about a tenth of the
server's CPU on a click that re-renders a section (see "Where the time goes" in
docs/benchmarks.md). Most children are strings, which fail the check the slow way.

The replacements below give the same answers: plain strings, dicts and ReactPy's own
``Component``, context provider and ``EventHandler`` classes are recognised by their exact type first, and any
other object still goes through the Protocol check, so a project's own component-like classes
work as before. ``install()`` swaps the two module-level functions in place (idempotent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import reactpy.core.layout
import reactpy.core.vdom
from reactpy.core.component import Component
from reactpy.core.events import EventHandler, to_event_handler_function
from reactpy.core.hooks import _ContextProvider
from reactpy.core.types import ComponentType, EventHandlerDict, EventHandlerType, VdomChild

_original_children_info = reactpy.core.layout._get_children_info
_original_separate = reactpy.core.vdom.separate_attributes_and_event_handlers
_DICT_TYPE = reactpy.core.layout._DICT_TYPE
_COMPONENT_TYPE = reactpy.core.layout._COMPONENT_TYPE
_STRING_TYPE = reactpy.core.layout._STRING_TYPE


def children_info(children: list[VdomChild]) -> Sequence[tuple[Any, Any, Any]]:
    """``reactpy.core.layout._get_children_info``, with exact-type checks before the Protocol."""
    infos: list[tuple[Any, Any, Any]] = []
    for index, child in enumerate(children):
        if child is None:
            continue
        kind = type(child)
        if kind is str:
            child_type, key = _STRING_TYPE, None
        elif kind is dict or isinstance(child, dict):
            child_type, key = _DICT_TYPE, child.get("key")  # type: ignore[union-attr]
        elif kind is Component or kind is _ContextProvider or isinstance(child, ComponentType):
            child_type, key = _COMPONENT_TYPE, child.key  # type: ignore[union-attr]
        else:
            child, child_type, key = f"{child}", _STRING_TYPE, None
        infos.append((child, child_type, index if key is None else key))
    return infos


def separate_attributes_and_event_handlers(
    attributes: Mapping[str, Any],
) -> tuple[dict[str, Any], EventHandlerDict]:
    """``reactpy.core.vdom.separate_attributes_and_event_handlers``, exact types first."""
    separated: dict[str, Any] = {}
    handlers: dict[str, EventHandlerType] = {}
    for name, value in attributes.items():
        kind = type(value)
        if kind is str or kind is int or kind is bool or kind is dict or value is None:
            separated[name] = value  # the common attribute values, never handlers
        elif callable(value):
            handlers[name] = EventHandler(to_event_handler_function(value))
        elif kind is EventHandler or (hasattr(value, "function") and isinstance(value, EventHandlerType)):
            handlers[name] = value
        else:
            separated[name] = value
    return separated, handlers


def install() -> None:
    """Put the faster checks in place of ReactPy's (idempotent)."""
    reactpy.core.layout._get_children_info = children_info
    reactpy.core.vdom.separate_attributes_and_event_handlers = separate_attributes_and_event_handlers


def is_installed() -> bool:
    """Tell whether ``install()`` has run in this process."""
    return reactpy.core.layout._get_children_info is children_info


def originals() -> tuple[Any, Any]:
    """ReactPy's own two functions, for tests that compare answers."""
    return _original_children_info, _original_separate
