"""Static HTML made once per language: ``static_html`` and the ``StaticHtml`` it returns.

Most of a page is the same for every visitor who speaks its language: a title, an
introduction, a section's heading, a block of help text. ReactPy's constructors make each of
those elements again on every render of the component around it (attributes separated from
children and handlers, a new dict per node), and ``LiveLayout`` walks each one to see that it
is plain HTML. A function decorated with ``static_html`` builds its element once per language
and arguments; every later call, on any page, returns that same element, already known to be
plain HTML, which the layout sends as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any, ParamSpec

from heavy.i18n import Language, current_language

P = ParamSpec("P")

# What a static element may hold: what its model holds the same (no handlers, no import source).
_STATIC_FIELDS = frozenset(("tagName", "attributes", "children", "key"))

# Entries one decorated function keeps before it starts again (its arguments should be few:
# a heading's text, not a user's name).
MAX_ENTRIES = 256


class StaticHtml(dict[str, Any]):
    """An element ``static_html`` made: plain HTML all the way down, shared by every page that
    shows it, so never to be changed. orjson and ReactPy read it as the dict it is."""

    __slots__ = ()


def is_static(element: dict[str, Any]) -> bool:
    """Whether ``element`` is its own model: plain HTML all the way down (each child a string
    or a static element without a key), with nothing the layout would change or keep.

    Most of a page is such HTML: sending the element as it came (ReactPy's constructors made it
    a new dict this render) saves building a copy, node by node, that would be the same, and
    the states it would make and drop. Anything else (a handler, a component, a key below,
    ``None`` or a number among the children, an empty children list) takes the full render.
    """
    if type(element) is StaticHtml:
        return True
    if not _STATIC_FIELDS.issuperset(element):
        return False
    children = element.get("children")
    if children is None:
        return True
    if type(children) is not list or not children:
        return False
    for child in children:
        kind = type(child)
        if kind is str or kind is StaticHtml:
            continue
        if kind is not dict or "key" in child or not is_static(child):
            return False
    return True


def static_html(build: Callable[P, dict[str, Any]]) -> Callable[P, dict[str, Any]]:
    """Decorator: ``build``'s element is made once per language and arguments (hashable), then
    the same ``StaticHtml`` is returned to every render of every page in that language.

    For HTML that depends on nothing but the language and the arguments: texts, headings,
    help. ``build`` must make plain HTML (no handler, no component, no key); anything else is
    a ``TypeError`` at its first call, in words.
    """
    made: dict[tuple[Language, Hashable], StaticHtml] = {}

    @wraps(build)
    def cached(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        key = (current_language(), (args, tuple(kwargs.items())) if kwargs else args)
        found = made.get(key)
        if found is None:
            found = _made_static(build(*args, **kwargs), build)
            if len(made) >= MAX_ENTRIES:
                made.clear()
            made[key] = found
        return found

    return cached


def _made_static(element: dict[str, Any], build: Callable[..., Any]) -> StaticHtml:
    if not isinstance(element, dict) or "key" in element or not is_static(element):
        msg = (
            f"{build.__qualname__} is declared static_html but made something other than plain HTML"
            " (a handler, a component or a key inside): take those out of it, or drop static_html"
        )
        raise TypeError(msg)
    return StaticHtml(element)
