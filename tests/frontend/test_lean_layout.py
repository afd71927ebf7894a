"""The lean layout and shared context providers render what ReactPy renders, click for click.

Each scenario runs twice in this process, with ReactPy's own layout code and with the patches,
and the page as a browser would hold it (a ``LayoutMirror`` fed the updates) is compared after
every click, along with the handlers and components the layout still has mounted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from heavy.stream.layout_mirror import LayoutMirror
from reactpy import component, create_context, html, use_context, use_effect, use_state  # noqa: TID251 - ReactPy's layouts compared
from reactpy.core.layout import Layout
from reactpy.core.types import ComponentType

from heavy_stack.frontend.types import Component
from heavy_stack.reactpy_patches import install, lean_layout, shared_contexts

Theme = create_context("plain")


@component
def Counter(name: str) -> Component:
    """Re-renders by itself: its update is sent with its own path."""
    count, set_count = use_state(0)
    return html.button(
        {"id": f"count-{name}", "onClick": lambda _event: set_count(count + 1)}, f"{name}:{count}"
    )


@component
def Themed(name: str) -> Component:
    return html.span({"id": f"theme-{name}"}, use_context(Theme))


@component
def Nested() -> Component:
    """A provider below another: its children see its value, its siblings the outer one."""
    return html.div(Theme(Themed("inner"), value="dark"), Themed("beside"))


@component
def Page() -> Component:
    order, set_order = use_state(("a", "b", "c"))
    shown, set_shown = use_state(True)
    as_component, set_as_component = use_state(False)
    theme, set_theme = use_state("light")
    hover, set_hover = use_state(0)
    rows = [html.li({"key": name, "id": f"row-{name}"}, f"row {name}") for name in order]
    handlers: dict[str, Any] = {"onMouseOver": lambda _event: set_hover(hover + 1)} if shown else {}
    return Theme(
        html.div(
            html.button({"id": "reverse", "onClick": lambda _event: set_order(order[::-1])}, "reverse"),
            html.button({"id": "toggle", "onClick": lambda _event: set_shown(not shown)}, "toggle"),
            html.button(
                {"id": "switch", "onClick": lambda _event: set_as_component(not as_component)}, "switch"
            ),
            html.button({"id": "retheme", "onClick": lambda _event: set_theme(theme + "!")}, "retheme"),
            html.ul(rows),
            Counter("top") if shown else "no counter",
            html.p({"id": "hover", **handlers}, f"hovered {hover}"),
            Counter("switched") if as_component else html.span({"id": "switched"}, "an element"),
            Nested(),
            html.div({"key": "last"}, Themed("outer"), None, 42),
        ),
        value=theme,
    )


@component
def MovingPage() -> Component:
    order, set_order = use_state(("a", "b"))
    return html.div(
        html.button({"id": "reverse", "onClick": lambda _event: set_order(order[::-1])}, "reverse"),
        [html.div({"key": name, "id": f"box-{name}"}, Counter(name)) for name in order],
    )


CLICKS = [
    "count-top",
    "reverse",
    "toggle",
    "count-top",  # gone after the toggle: ignored by both
    "toggle",
    "count-top",
    "switch",
    "count-switched",
    "switch",
    "retheme",
    "hover",
    "reverse",
    "toggle",
]


@pytest.fixture
def reactpy_own_layout() -> Iterator[None]:
    """ReactPy's layout code and context copies for the test's duration; the patches after."""
    lean_layout.uninstall()
    set_current, set_context_provider = shared_contexts.originals()
    patched = shared_contexts.set_current, shared_contexts.set_context_provider
    from reactpy.core._life_cycle_hook import LifeCycleHook

    LifeCycleHook.set_current = set_current  # type: ignore[method-assign]
    LifeCycleHook.set_context_provider = set_context_provider  # type: ignore[method-assign]
    try:
        yield
    finally:
        LifeCycleHook.set_current, LifeCycleHook.set_context_provider = patched  # type: ignore[method-assign]
        install()


def _normalized(mirror: LayoutMirror) -> Any:
    """The mirrored page with handler targets (random per layout) numbered in page order."""
    names: dict[str, str] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "target" in node and isinstance(node["target"], str):
                node = {**node, "target": names.setdefault(node["target"], f"t{len(names)}")}
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(mirror.root)


async def _play(root: Callable[[], ComponentType], clicks: list[str]) -> list[tuple[Any, Any, int]]:
    """After the first render and after each click: the page, and how many handlers and
    components the layout holds."""
    layout = Layout(root())
    mirror = LayoutMirror()
    seen: list[tuple[Any, Any, int]] = []
    async with layout:

        async def settle() -> None:
            mirror.apply(dict(await layout.render()))
            while layout._rendering_queue._pending:  # renders the click scheduled
                mirror.apply(dict(await layout.render()))
            seen.append(
                (
                    _normalized(mirror),
                    len(layout._event_handlers),
                    len(layout._model_states_by_life_cycle_state_id),
                )
            )

        await settle()
        for element_id in clicks:
            found = [element for element in mirror.elements() if element.attributes.get("id") == element_id]
            if not found:
                seen.append(("no such element", element_id, 0))
                continue
            event = "onMouseOver" if element_id == "hover" else "onClick"
            if event not in found[0].model.get("eventHandlers", {}):
                seen.append(("no handler", element_id, 0))
                continue
            await layout.deliver({"type": "layout-event", "target": found[0].target(event), "data": [{}]})
            await settle()
    return seen


async def test_pages_render_and_update_as_with_reactpy_own_layout(reactpy_own_layout: None) -> None:
    theirs = await _play(Page, CLICKS)
    install()
    assert lean_layout.is_installed()
    assert shared_contexts.is_installed()
    ours = await _play(Page, CLICKS)
    assert ours == theirs
    last_page = ours[-1][0]
    assert "light!" in str(last_page)  # the contexts reached their readers
    assert "dark" in str(last_page)


def _text(mirror_page: Any, element_id: str) -> str:
    mirror = LayoutMirror()
    mirror.root = mirror_page
    return mirror.find(id=element_id).text


async def test_a_component_in_a_moved_keyed_element_updates_in_its_new_place() -> None:
    install()
    steps = await _play(MovingPage, ["reverse", "count-a", "count-a", "count-b"])
    page = steps[-1][0]
    # ReactPy 1.1 kept the moved element's old path and sent count-a's update to box-b's place.
    assert _text(page, "box-a") == "a:2"
    assert _text(page, "box-b") == "b:1"
    assert [child["attributes"]["id"] for child in page["children"][0]["children"][1:]] == ["box-b", "box-a"]


async def test_a_closed_layout_unmounts_every_component_and_handler() -> None:
    install()
    layout = Layout(Page())
    async with layout:
        await layout.render()
        assert layout._event_handlers
    assert not hasattr(layout, "_model_states_by_life_cycle_state_id")


@component
def WithEffect() -> Component:
    use_effect(lambda: None, [])  # its unmount waits for the effect's task: a render yields there
    return html.p({"id": "with-effect", "onClick": lambda _event: None}, "with an effect")


@component
def Hider() -> Component:
    shown, set_shown = use_state(True)
    return html.div(
        html.button({"id": "hide", "onClick": lambda _event: set_shown(False)}, "hide"),
        WithEffect() if shown else html.p("gone"),
    )


@component
def HiderInside() -> Component:
    return html.main(Hider())  # the layout's root stays; only Hider renders again


async def test_a_page_closed_while_a_render_unmounts_a_component_closes_cleanly() -> None:
    """A closed tab cancels the render in flight; the layout then unmounts what it still holds,
    which may include what that render had unmounted already (each once, no KeyError)."""
    install()
    layout = Layout(HiderInside())
    mirror = LayoutMirror()
    async with layout:
        mirror.apply(dict(await layout.render()))
        await layout.deliver(
            {"type": "layout-event", "target": mirror.find(id="hide").target("onClick"), "data": [{}]}
        )
        render = asyncio.create_task(layout.render())
        for _ in range(20):  # until the render waits on WithEffect's unmount
            await asyncio.sleep(0)
            if any(frame.f_code.co_name == "_unmount_model_states" for frame in _frames(render)):
                break
        else:
            pytest.fail("the render never waited in an unmount")
        render.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await render
    assert not hasattr(layout, "_event_handlers")  # closed


def _frames(task: asyncio.Task[Any]) -> list[Any]:
    """The frames of a suspended task, outermost first (``Task.get_stack`` gives only one)."""
    frames = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return frames
