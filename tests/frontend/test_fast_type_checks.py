"""The faster child and handler checks give ReactPy's own answers, and pages render with them."""

from __future__ import annotations

import asyncio
from typing import Any

from reactpy import component, html
from reactpy.core.events import EventHandler, to_event_handler_function

from heavy_stack.frontend.types import Component
from heavy_stack.reactpy_patches import fast_type_checks


@component
def Leaf(text: str) -> Component:
    return html.span(text)


class ComponentLike:
    """Not ReactPy's class, but shaped like a component: must still count as one."""

    key = "like"
    type = object

    def render(self) -> Any:
        return None


class Str(str):
    """A str subclass: ReactPy renders it as text."""


def test_children_are_sorted_as_reactpy_sorts_them() -> None:
    children: list[Any] = [
        "text",
        Str("sub"),
        None,
        {"tagName": "p", "key": "k"},
        {"tagName": "p"},
        Leaf("a"),
        Leaf("b", key="keyed"),
        ComponentLike(),
        42,
    ]
    original, _separate = fast_type_checks.originals()
    assert list(fast_type_checks.children_info(children)) == list(original(children))


def test_attributes_and_handlers_are_separated_as_reactpy_separates_them() -> None:
    handler = EventHandler(to_event_handler_function(lambda _data: None))
    attributes = {
        "id": "x",
        "tabIndex": 1,
        "disabled": True,
        "style": {"color": "red"},
        "value": None,
        "onClick": lambda _event: None,
        "onChange": handler,
        "data": [1, 2],
    }
    _children, original = fast_type_checks.originals()
    ours_attributes, ours_handlers = fast_type_checks.separate_attributes_and_event_handlers(attributes)
    their_attributes, their_handlers = original(attributes)
    assert ours_attributes == their_attributes
    assert set(ours_handlers) == set(their_handlers) == {"onClick", "onChange"}
    assert ours_handlers["onChange"] is handler


def test_the_app_installs_it() -> None:
    from heavy_stack.reactpy_patches import install

    install()
    assert fast_type_checks.is_installed()


def test_hooks_keep_one_stop_event_per_render_that_started_effects() -> None:
    from reactpy.core._life_cycle_hook import LifeCycleHook

    from heavy_stack.reactpy_patches import install, light_hooks

    install()
    assert light_hooks.is_installed()
    hook = LifeCycleHook(lambda: None)

    async def renders() -> None:
        await hook.affect_layout_did_render()  # no effect: nothing kept
        ran: list[bool] = []

        async def effect(stop: asyncio.Event) -> None:
            ran.append(True)
            await stop.wait()

        hook.add_effect(effect)
        await hook.affect_layout_did_render()
        await asyncio.sleep(0)
        await hook.affect_component_will_unmount()  # sets the stop event, waits for the effect
        assert ran == [True]

    asyncio.run(renders())
    assert hook._effect_stops == []


def test_handler_and_state_ids_are_unique_and_stable_per_connection() -> None:
    from heavy_stack.reactpy_patches import cheap_ids, install

    install()
    assert cheap_ids.is_installed()
    made = {cheap_ids.process_unique_id().hex for _ in range(10_000)}
    assert len(made) == 10_000
    assert all(isinstance(made_id, str) and made_id for made_id in made)


def test_hooks_render_guard_lets_one_render_in_at_a_time() -> None:
    from reactpy.core._life_cycle_hook import LifeCycleHook

    from heavy_stack.reactpy_patches import install, light_hooks

    install()
    hook = LifeCycleHook(lambda: None)
    guard: object = hook._render_access
    assert isinstance(guard, light_hooks.RenderAccess)

    async def renders() -> list[str]:
        order: list[str] = []

        async def render(name: str) -> None:
            await guard.acquire()
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")
            guard.release()

        await guard.acquire()
        cancelled = asyncio.create_task(guard.acquire())  # waits, then is cancelled
        await asyncio.sleep(0)
        cancelled.cancel()
        second = asyncio.create_task(render("second"))
        await asyncio.sleep(0)
        guard.release()
        await asyncio.gather(render("first"), second, return_exceptions=False)
        assert cancelled.cancelled()
        return order

    assert asyncio.run(renders()) == ["second in", "second out", "first in", "first out"]
