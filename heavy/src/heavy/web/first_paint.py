"""The first paint: a page's HTML in the HTTP response, before any websocket.

The page's route is rendered once on the server, as the visitor of the request (anonymous, or
signed in by the session cookie), through the same root, router and components as the live
layout; the VDOM is turned into HTML and sent inside ``#heavy-first-paint``, next to ReactPy's
empty ``#app``. So content shows before the websocket connects, and a browser without
JavaScript can read the page. Once the live layout has rendered the route into ``#app``, the
page script (heavy's client, ``heavy/client/src/page/first_paint.js``) removes the first
paint in the same task, before the browser paints again, and carries over what was typed, the focus and clicks made meanwhile.

The render is database-free: no effect runs in it (``heavy.hooks.rendering_first_paint``), so data
that pages load in effects shows its loading state, and nothing is written for a page load.
Script elements, hidden elements and JavaScript modules (reactpy-router's ``History``) are
left out: they are the live layout's business (the page's policy forbids inline scripts
anyway, and the hidden ones, such as Brython's answer button, must not share their ids).
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from typing import Any

from heavy.hooks import rendering_first_paint
from heavy.live.layout import LiveLayout
from heavy.stream.layout_mirror import LayoutMirror
from heavy.web.router import HISTORY_EVENT
from reactpy.backend.types import Connection, Location
from reactpy.core.hooks import ConnectionContext
from reactpy.core.types import ComponentType, LayoutEventMessage

FIRST_PAINT_ID = "heavy-first-paint"
# A page renders in a few milliseconds; this only bounds a component that never settles.
RENDER_TIMEOUT_S = 5.0
# Elements with no end tag in HTML.
VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
# Never in a first paint: scripts run in the live layout only (and inline code is refused by
# the page's content security policy).
LEFT_OUT = frozenset({"script"})
# ReactPy attribute names whose HTML name is not just the lower-cased one.
ATTRIBUTE_NAMES = {
    "className": "class",
    "htmlFor": "for",
    "httpEquiv": "http-equiv",
    "acceptCharset": "accept-charset",
}
_SNAKE = re.compile(r"_([a-z])")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


async def render_first_paint(root: ComponentType, location: Location, carrier: Any = None) -> str:
    """The HTML of ``root`` rendered at ``location``, as the live layout would show it first.

    ``carrier`` becomes the connection's carrier (the live one holds the request and the
    websocket); components that need a websocket must not be in the first paint.
    """
    connection = Connection(scope={}, location=location, carrier=carrier)
    mirror = LayoutMirror()
    with rendering_first_paint():
        async with LiveLayout(ConnectionContext(root, value=connection)) as layout:
            mirror.apply(dict(await _render(layout)))
            # heavy's router has rendered the route already (heavy.web.router); reactpy-router's
            # own renders it once its History tells it the location, as the browser does.
            target = _history_target(mirror.root)
            if target is not None:
                data = [{"pathname": location.pathname, "search": location.search}]
                await layout.deliver(LayoutEventMessage(type="layout-event", target=target, data=data))
                if layout.render_pending:
                    mirror.apply(dict(await _render(layout)))
    return vdom_to_html(mirror.root)


async def _render(layout: LiveLayout) -> Any:
    # In this task: wait_for would run the render in a task of its own, a loop turn later.
    async with asyncio.timeout(RENDER_TIMEOUT_S):
        return await layout.render()


def _history_target(model: Any) -> str | None:
    if not isinstance(model, dict):
        return None
    handler = model.get("eventHandlers", {}).get(HISTORY_EVENT)
    if handler is not None:
        return str(handler["target"])
    for child in model.get("children", []):
        found = _history_target(child)
        if found is not None:
            return found
    return None


def vdom_to_html(model: Any) -> str:
    """HTML for a ReactPy model, as the browser's DOM would hold it after ReactPy's client rendered it.

    ReactPy's own ``reactpy.utils.vdom_to_html`` writes XML (``<textarea/>``, which HTML
    parsers read as an open tag swallowing the rest of the page) and ``True`` for boolean
    attributes, so the first paint has its own. Text and attribute values are escaped.
    """
    return "".join(_html_parts(model))


def _html_parts(model: Any) -> Iterator[str]:
    if isinstance(model, str):
        yield html.escape(model, quote=False)
        return
    if not isinstance(model, dict) or model.get("error") is not None or "importSource" in model:
        return  # an error placeholder or a JavaScript module: the live layout renders those
    tag = str(model.get("tagName", ""))
    attributes: dict[str, Any] = dict(model.get("attributes", {}))
    if tag in LEFT_OUT or attributes.get("hidden") is True:
        return  # hidden ones too: nothing to see, and their ids belong to the live page alone
    children: list[Any] = list(model.get("children", []))
    if not tag:  # a fragment
        for child in children:
            yield from _html_parts(child)
        return
    if tag == "textarea" and "value" in attributes:
        children = [str(attributes.pop("value") or "")]
    if tag == "select":
        children = _with_selected(children, attributes.pop("value", None))
    yield f"<{tag}{''.join(_attribute(name, value) for name, value in attributes.items())}>"
    if tag in VOID_ELEMENTS:
        return
    for child in children:
        yield from _html_parts(child)
    yield f"</{tag}>"


def _with_selected(children: list[Any], value: Any) -> list[Any]:
    if value is None:
        return children
    marked = []
    for child in children:
        if isinstance(child, dict) and child.get("tagName") == "option":
            attributes = dict(child.get("attributes", {}))
            if str(attributes.get("value")) == str(value):
                attributes["selected"] = True
            child = {**child, "attributes": attributes}
        marked.append(child)
    return marked


def _attribute(name: str, value: Any) -> str:
    """One attribute as ReactPy's client (through preact) sets it on the element."""
    if callable(value):
        return ""
    if name.startswith(("data_", "aria_")):
        name = name.replace("_", "-")
    else:
        name = _SNAKE.sub(lambda match: match.group(1).upper(), name)  # snake_case -> camelCase
    if name.startswith(("data", "aria")) and "-" not in name:
        name = _CAMEL.sub("-", name)
    name = ATTRIBUTE_NAMES.get(name, name).lower()
    if name == "style" and isinstance(value, dict):
        value = ";".join(
            f"{_CAMEL.sub('-', key).lower().replace('_', '-')}:{item}" for key, item in value.items()
        )
    dashed = name.startswith(("data-", "aria-"))
    if value is None or (value is False and not dashed):
        return ""
    if value is True and not dashed:
        return f" {name}"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f' {name}="{html.escape(str(value), quote=True)}"'
