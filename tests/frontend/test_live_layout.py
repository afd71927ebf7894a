"""``LiveLayout`` renders what ReactPy's own ``Layout`` renders, click for click.

Each scenario runs with both layouts in this process, and the page as a browser would hold it
(a ``LayoutMirror`` fed the updates) is compared after every click, along with the handlers and
components the layout still has mounted. Then what the live layout does on its own: layouts
rendering at once, hot reload's re-render, its ids, effects and child checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from heavy import LayoutMirror, LiveLayout, heavy_event, heavy_use_state, provide_context
from heavy.live.hooks import EffectStop
from heavy.live.layout import FLAT_CHILDREN, children_info
from heavy.testing.page_driver import InProcessPage
from reactpy import component, create_context, html, use_context, use_effect, use_state  # noqa: TID251 - ReactPy's layouts compared
from reactpy.core._life_cycle_hook import current_hook
from reactpy.core.layout import Layout, _get_children_info
from reactpy.core.types import ComponentType

from heavy_stack.frontend.types import Component

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


@component
def CrowdedPage() -> Component:
    """More keyed children with state than an element keeps in its flat tuple (FLAT_CHILDREN)."""
    order, set_order = use_state(tuple("abcdefghijkl"))
    return html.div(
        html.button({"id": "reverse", "onClick": lambda _event: set_order(order[::-1])}, "reverse"),
        [html.div({"key": name, "id": f"box-{name}"}, Counter(name)) for name in order],
    )


@component
def LongPage() -> Component:
    """A component past index 255 among its siblings: its place is kept as a tuple, not bytes."""
    return html.div([html.span({"key": n}, str(n)) for n in range(300)], Counter("far"))


@component
def ThemedCounter() -> Component:
    """Reads a context and re-renders by itself."""
    count, set_count = use_state(0)
    return html.button(
        {"id": "themed-count", "onClick": lambda _event: set_count(count + 1)},
        f"{use_context(Theme)}:{count}",
    )


@component
def Level() -> Component:
    """Provides the context itself (no provider element) and re-renders by itself."""
    level, set_level = use_state(0)
    provide_context(Theme, f"level {level}")
    return html.div(
        html.button({"id": "deeper", "onClick": lambda _event: set_level(level + 1)}, "+"), ThemedCounter()
    )


@component
def LevelsPage() -> Component:
    return html.div(Theme(Level(), Themed("side"), value="outer"), Themed("outside"))


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


def _pending(layout: Layout) -> bool:
    if isinstance(layout, LiveLayout):
        return layout.render_pending
    return bool(layout._rendering_queue._pending)


def _mounted(layout: Layout) -> int:
    if isinstance(layout, LiveLayout):
        return len(layout.mounted_components())
    return len(layout._model_states_by_life_cycle_state_id)


async def _play(
    root: Callable[[], ComponentType], clicks: list[str], kind: type[Layout] = LiveLayout
) -> list[tuple[Any, Any, int]]:
    """After the first render and after each click: the page, and how many handlers and
    components the layout holds."""
    layout = kind(root())
    mirror = LayoutMirror()
    seen: list[tuple[Any, Any, int]] = []
    async with layout:

        async def settle() -> None:
            mirror.apply(dict(await layout.render()))
            while _pending(layout):  # renders the click scheduled
                mirror.apply(dict(await layout.render()))
            seen.append(
                (
                    _normalized(mirror),
                    len(layout._event_handlers),
                    _mounted(layout),
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


async def test_pages_render_and_update_as_with_reactpy_own_layout() -> None:
    theirs = await _play(Page, CLICKS, Layout)
    ours = await _play(Page, CLICKS)
    assert ours == theirs
    last_page = ours[-1][0]
    assert "light!" in str(last_page)  # the contexts reached their readers
    assert "dark" in str(last_page)


def _text(mirror_page: Any, element_id: str) -> str:
    mirror = LayoutMirror()
    mirror.root = mirror_page
    return mirror.find(id=element_id).text


async def test_contexts_reach_components_that_render_alone_as_with_reactpy_own_layout() -> None:
    clicks = ["themed-count", "deeper", "themed-count", "deeper", "deeper", "themed-count"]
    theirs = await _play(LevelsPage, clicks, Layout)
    ours = await _play(LevelsPage, clicks)
    assert ours == theirs
    page = ours[-1][0]
    assert [_text(page, id) for id in ("themed-count", "theme-side", "theme-outside")] == [
        "level 3:3",
        "outer",
        "plain",
    ]


async def test_a_component_in_a_moved_keyed_element_updates_in_its_new_place() -> None:
    steps = await _play(MovingPage, ["reverse", "count-a", "count-a", "count-b"])
    page = steps[-1][0]
    # ReactPy 1.1 kept the moved element's old path and sent count-a's update to box-b's place.
    assert _text(page, "box-a") == "a:2"
    assert _text(page, "box-b") == "b:1"
    assert [child["attributes"]["id"] for child in page["children"][0]["children"][1:]] == ["box-b", "box-a"]


async def test_components_among_many_keyed_siblings_keep_their_state_as_they_move() -> None:
    assert len("abcdefghijkl") > FLAT_CHILDREN  # their parent keeps their states in a dict
    steps = await _play(CrowdedPage, ["count-a", "reverse", "count-a", "count-l", "reverse", "count-b"])
    page = steps[-1][0]
    assert [_text(page, f"box-{name}") for name in "abl"] == ["a:2", "b:1", "l:1"]
    assert [child["attributes"]["id"] for child in page["children"][0]["children"][1:4]] == [
        "box-a",
        "box-b",
        "box-c",
    ]
    assert steps[-1][2] == 13  # the page and its 12 counters, nothing left of the moves


async def test_a_component_past_the_256th_child_updates_in_its_place() -> None:
    steps = await _play(LongPage, ["count-far", "count-far"])
    page = steps[-1][0]
    assert _text(page, "count-far") == "far:2"
    assert page["children"][0]["children"][300]["children"][0]["attributes"]["id"] == "count-far"


async def test_a_click_meant_for_another_page_or_a_garbled_target_changes_nothing() -> None:
    """Each page names its handlers apart (a reconnected page's late event finds none of the
    new page's); a target the layout cannot read is dropped like an unknown one."""
    first, second = LiveLayout(Counter("a")), LiveLayout(Counter("a"))
    async with first, second:
        mirrors = LayoutMirror(), LayoutMirror()
        for layout, mirror in zip((first, second), mirrors, strict=True):
            mirror.apply(dict(await layout.render()))
        target = mirrors[0].find(id="count-a").target("onClick")
        assert target != mirrors[1].find(id="count-a").target("onClick")
        for sent in (target, target[:-1] + "z", 42):
            assert second.accept({"type": "layout-event", "target": sent, "data": [{}]}) is None  # type: ignore[typeddict-item]
        await first.deliver({"type": "layout-event", "target": target, "data": [{}]})
        mirrors[0].apply(dict(await first.render()))
        assert mirrors[0].find(id="count-a").text == "a:1"
        assert not second.render_pending


@component
def FlaggedForm() -> Component:
    said, set_said = heavy_use_state("")
    submit = heavy_event(lambda: set_said("sent"), prevent_default=True)
    link = heavy_event(lambda: set_said("followed"), stop_propagation=True, prevent_default=True)
    return html._(
        html.form({"id": "form", "onSubmit": submit}),
        html.a({"id": "link", "onClick": link}),
        html.p({"id": "said"}, said),
    )


async def test_a_handler_that_prevents_the_default_says_so_and_runs() -> None:
    layout = LiveLayout(FlaggedForm())
    async with layout:
        mirror = LayoutMirror()
        mirror.apply(dict(await layout.render()))
        form, link = mirror.find(id="form").model, mirror.find(id="link").model
        assert form["eventHandlers"]["onSubmit"]["preventDefault"] is True
        assert form["eventHandlers"]["onSubmit"]["stopPropagation"] is False
        assert link["eventHandlers"]["onClick"]["stopPropagation"] is True
        for element, event, text in (("form", "onSubmit", "sent"), ("link", "onClick", "followed")):
            target = mirror.find(id=element).target(event)
            await layout.deliver({"type": "layout-event", "target": target, "data": [{}]})
            mirror.apply(dict(await layout.render()))
            assert mirror.find(id="said").text == text


async def test_a_closed_layout_unmounts_every_component_and_handler() -> None:
    layout = LiveLayout(Page())
    async with layout:
        await layout.render()
        assert layout._event_handlers
        assert layout in LiveLayout.live
    assert not hasattr(layout, "_root")
    assert layout not in LiveLayout.live


async def test_a_closed_layout_is_freed_as_it_closes_and_a_setter_kept_past_it_still_works() -> None:
    """Without the cycle collector: a use_state's setter refers to its state and hook, so a
    closed page waited for a collection (its pauses were the longest waits under load)."""
    kept_setters: list[Callable[[Any], None]] = []

    @component
    def Keeps() -> Component:
        value, set_value = use_state(0)
        kept_setters.append(set_value)  # as a unit of work finishing after the close holds it
        return Page() if value == 0 else html.p("changed")

    layout = LiveLayout(Keeps())
    gc.collect()
    gc.disable()
    try:
        async with layout:
            await layout.render()
            hooks = [weakref.ref(state) for state in layout.mounted_components()]
        assert len(hooks) > 3
        kept_setters[-1](1)  # the component is gone: nothing to render, nothing raised
        del layout, kept_setters[:]
        assert [hook for hook in hooks if hook() is not None] == []
    finally:
        gc.enable()


async def _until_stopped(stop: asyncio.Event) -> None:
    await stop.wait()


@component
def WithEffect() -> Component:
    # An effect of the hook's own API (not use_effect's) runs in a task that the unmount
    # awaits: a render yields there.
    current_hook().add_effect(_until_stopped)
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
    layout = LiveLayout(HiderInside())
    mirror = LayoutMirror()
    async with layout:
        mirror.apply(dict(await layout.render()))
        await layout.deliver(
            {"type": "layout-event", "target": mirror.find(id="hide").target("onClick"), "data": [{}]}
        )
        render = asyncio.create_task(layout.render())
        for _ in range(20):  # until the render waits for the effects of WithEffect's unmount
            await asyncio.sleep(0)
            if any(frame.f_code.co_name == "finish_effects" for frame in _frames(render)):
                break
        else:
            pytest.fail("the render never waited for an unmounted component's effects")
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


@component
def Ticker(name: str) -> Component:
    """Renders a child per tick, and a component with an effect (its unmount awaits)."""
    ticks, set_ticks = use_state(0)
    return html.div(
        html.button({"id": f"tick-{name}", "onClick": lambda _event: set_ticks(ticks + 1)}, "tick"),
        [Themed(f"{name}-{tick}", key=str(tick)) for tick in range(ticks + 3)],
        WithEffect(),
    )


async def test_layouts_rendering_at_once_keep_their_own_hooks() -> None:
    """ReactPy's hook stack is per thread; Sanic serves every page on one thread. Two pages
    rendering at once, their updates interleaved at every await, both render whole."""
    names = [f"page{number}" for number in range(8)]

    async def page(name: str) -> str:
        async with LiveLayout(Theme(Ticker(name), value=name)) as layout:
            mirror = LayoutMirror()
            mirror.apply(dict(await layout.render()))
            for _ in range(3):
                await layout.deliver(
                    {
                        "type": "layout-event",
                        "target": mirror.find(id=f"tick-{name}").target("onClick"),
                        "data": [{}],
                    }
                )
                mirror.apply(dict(await layout.render()))
            return str(mirror.root)

    pages = await asyncio.gather(*(page(name) for name in names))
    for name, shown in zip(names, pages, strict=True):
        assert f"theme-{name}-5" in shown
        assert "Hook stack" not in shown
        assert "error" not in shown
        assert shown.count(f"'{name}'") >= 6  # every Themed read its own page's context
        assert not any(other in shown for other in names if other != name)


def test_children_are_sorted_as_reactpy_sorts_them() -> None:
    children: list[Any] = [
        "text",
        Str("sub"),
        None,
        {"tagName": "p", "key": "k"},
        {"tagName": "p"},
        Themed("a"),
        Themed("b", key="keyed"),
        ComponentLike(),
        42,
    ]
    assert children_info(children) == list(_get_children_info(children))


class ComponentLike:
    """Not ReactPy's class, but shaped like a component: must still count as one."""

    key = "like"
    type = object

    def render(self) -> Any:
        return None


class Str(str):
    """A str subclass: ReactPy renders it as text."""


# What the effect of Effects did, in order: ("run", n) and ("clean", n).
effect_log: list[tuple[str, int]] = []


@component
def Effects() -> Component:
    count, set_count = use_state(0)
    pair = count // 2

    def effect() -> Callable[[], None]:
        effect_log.append(("run", pair))
        return lambda: effect_log.append(("clean", pair))

    use_effect(effect, [pair])  # runs on every other render
    return html.button({"id": "more", "onClick": lambda _event: set_count(count + 1)}, str(count))


async def test_an_effect_keeps_only_its_clean_up_and_each_clean_up_runs_once() -> None:
    effect_log.clear()
    layout = LiveLayout(Effects())
    async with layout:
        mirror = LayoutMirror()
        mirror.apply(dict(await layout.render()))
        assert effect_log == []  # an effect starts after its update went out, not in the render
        await asyncio.sleep(0)
        for _ in range(5):
            await layout.deliver(
                {"type": "layout-event", "target": mirror.find(id="more").target("onClick"), "data": [{}]}
            )
            mirror.apply(dict(await layout.render()))
            await asyncio.sleep(0)
        # Counts 0 to 5: the effect ran for pairs 0, 1 and 2, each after the last one's clean-up.
        assert effect_log == [("run", 0), ("clean", 0), ("run", 1), ("clean", 1), ("run", 2)]
        hook = layout.mounted_components()[0]
        assert hook._effect_tasks is not None
        assert len(hook._effect_tasks) == 1  # ReactPy's Ref of its clean-up: no task, future or stop
        assert not isinstance(hook._effect_tasks[0], asyncio.Task)
        assert hook._effect_stops is None
        assert not hasattr(hook, "_render_access")  # no render guard: renders are serial
    assert effect_log[5:] == [("clean", 2)]  # at unmount, the last clean-up, once


async def test_an_effect_of_a_component_gone_before_it_started_never_runs() -> None:
    effect_log.clear()
    async with LiveLayout(Effects()) as layout:
        await layout.render()
    await asyncio.sleep(0)
    assert effect_log == []


async def test_an_effect_stop_wakes_its_waiters_once_set_and_one_cancelled_leaves_the_others() -> None:
    stop = EffectStop()
    waiters = [asyncio.create_task(stop.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    waiters[0].cancel()
    await asyncio.sleep(0)
    assert waiters[0].cancelled()
    assert not any(waiter.done() for waiter in waiters[1:])
    stop.set()
    assert await asyncio.gather(*waiters[1:]) == [True, True]
    assert stop.is_set()
    assert await stop.wait()  # a wait after the stop returns at once


# What the component shows; the test changes it as an edited source file would.
label = "before"


@component
def Counted() -> Component:
    count, set_count = heavy_use_state(0)
    return html.div(
        html.button({"id": "add", "onClick": heavy_event(lambda: set_count(lambda c: c + 1))}, "+"),
        html.p({"id": "shown"}, f"{label}: {count}"),
    )


async def test_rerender_all_renders_open_layouts_again_and_keeps_their_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What hot reload does after a save."""
    async with InProcessPage.open(Counted(), router=False) as page:
        await page.click("add")
        await page.wait_for_text("shown", "before: 1")
        assert len(LiveLayout.live) == 1
        monkeypatch.setitem(globals(), "label", "after")
        assert LiveLayout.rerender_all() == 1
        await page.wait_for_text("shown", "after: 1")
        await page.click("add")  # the handlers still answer after the re-render
        await page.wait_for_text("shown", "after: 2")
    assert len(LiveLayout.live) == 0
    assert LiveLayout.rerender_all() == 0
