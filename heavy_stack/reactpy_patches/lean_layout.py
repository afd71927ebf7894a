"""Keep only what ReactPy's layout needs between renders, per element of every open page.

ReactPy 1.1's ``Layout`` keeps a ``_ModelState`` for every element and component of a page for as
long as the page is open, and each one holds:

- the element's whole rendered model (``model``, in a ``Ref``): a dict with its tag, a copy of
  its attributes, its event handler descriptions and its children list, and the parent's model
  is copied again each time a child component re-renders itself. Those models are sent once, in
  the ``layout-update`` they were rendered for, and never read again: the next render of a
  component builds new ones from scratch. About a quarter of an idle connection's memory;
- its patch path as a string (``"/children/0/children/3/..."``, over 200 bytes deep in a page),
  though a path is only needed when a component's update is sent (and in one error message);
- an empty ``children_by_key`` and ``targets_by_event`` dict for every element that has no child
  elements or no handlers (most of them), and a ``_LifeCycleState`` tuple per component;
- per component, a closure (a function, its cells and a bound method) as the hook's render
  callback.

And ``serve_layout``'s sending loop (``reactpy.core.serve._single_outgoing_loop``) holds the last
update it sent, model and all, while it waits for the next render: for an idle page, a large
part of the page for as long as it stays open.

The replacements below render the same messages from lighter states: a model is built, returned
up the render and sent, and not kept; a path is worked out from the parent chain (index by
index) when an update is sent; the two dicts exist only when they hold something; a component
state keeps its id, hook and component in slots (``life_cycle_state`` still reads them); the
render callback is a two-slot object. Everything else (reconciling children by key, reusing
event targets, unmounting, the order of hook calls) is ReactPy's, step for step.

One difference, on purpose: ReactPy keeps a keyed element's old path string when the element
moves among its siblings, so a component inside it that later re-renders by itself sends its
update to the element's old place. A path worked out when it is needed is the current one.

Written for ReactPy's serial rendering (its default; ``REACTPY_ASYNC_RENDERING`` is experimental
and the app never turns it on): one render at a time per layout, so no render reads a model that
another one is building. ``install()`` leaves ReactPy alone when async rendering is on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any, cast
from weakref import ref as weakref

import reactpy.core.layout
import reactpy.core.serve
from reactpy.config import REACTPY_ASYNC_RENDERING, REACTPY_CHECK_VDOM_SPEC, REACTPY_DEBUG_MODE
from reactpy.core._life_cycle_hook import LifeCycleHook
from reactpy.core.layout import (
    _COMPONENT_TYPE,
    _DICT_TYPE,
    Layout,
    _LifeCycleState,
    _LifeCycleStateId,
)
from reactpy.core.serve import SendCoroutine
from reactpy.core.types import (
    ComponentType,
    EventHandlerDict,
    Key,
    LayoutEventMessage,
    LayoutType,
    LayoutUpdateMessage,
    VdomJson,
)
from reactpy.core.vdom import validate_vdom_json

logger = logging.getLogger("reactpy.core.layout")  # ReactPy's own logger: same log lines as before

Model = dict[str, Any]
ScheduleRender = Callable[[_LifeCycleStateId], None]

# The names install() swaps, and ReactPy's own objects behind them (for is_installed, tests).
_METHODS = (
    "_create_layout_update",
    "_render_component",
    "_render_model",
    "_render_model_attributes",
    "_render_model_children",
    "_render_model_children_without_old_state",
    "_unmount_model_states",
)
_originals: dict[str, Any] = {name: getattr(Layout, name) for name in _METHODS}
_original_new_root_model_state = reactpy.core.layout._new_root_model_state
_original_outgoing_loop = reactpy.core.serve._single_outgoing_loop


class ElementState:
    """What the layout keeps of one element between renders: where it is and what it holds."""

    __slots__ = ("__weakref__", "_parent_ref", "children_by_key", "index", "key", "targets_by_event")

    is_component_state = False

    def __init__(self, parent: ElementState | None, index: int, key: Any) -> None:
        self.index = index  # among its parent's children
        self.key = key  # unique among its siblings
        self.children_by_key: dict[Key, ElementState] | None = None  # None: no child states
        self.targets_by_event: dict[str, str] | None = None  # None: no handlers
        if parent is not None:  # the root has none: reading ``parent`` raises AttributeError
            self._parent_ref = weakref(parent)

    @property
    def parent(self) -> ElementState:
        """The parent's state (AttributeError for the root, as in ReactPy)."""
        parent = self._parent_ref()
        if parent is None:
            raise RuntimeError("detached model state")  # nocov
        return parent

    @property
    def patch_path(self) -> str:
        """The "/"-delimited path of this element in the page's model ("" for the root)."""
        indices: list[int] = []
        state = self
        while (parent_ref := getattr(state, "_parent_ref", None)) is not None:
            indices.append(state.index)
            state = parent_ref()
            if state is None:
                raise RuntimeError("detached model state")  # nocov
        return "".join(f"/children/{index}" for index in reversed(indices))

    def child_states(self) -> dict[Key, ElementState]:
        """The children's states by key, made on first use."""
        if self.children_by_key is None:
            self.children_by_key = {}
        return self.children_by_key


class ComponentState(ElementState):
    """An element that a component renders: also its life-cycle id, hook and current instance."""

    __slots__ = ("component", "hook", "id")

    is_component_state = True

    def __init__(
        self,
        parent: ElementState | None,
        index: int,
        key: Any,
        id: _LifeCycleStateId,
        hook: LifeCycleHook,
        component: ComponentType,
    ) -> None:
        super().__init__(parent, index, key)
        self.id = id
        self.hook = hook
        self.component = component

    @property
    def life_cycle_state(self) -> _LifeCycleState:
        """ReactPy's view of the same three things (read by hot reload's re-render)."""
        return _LifeCycleState(self.id, self.hook, self.component)


class RenderScheduler:
    """A component hook's render callback: asks its layout to render that component."""

    __slots__ = ("id", "schedule")

    def __init__(self, schedule: ScheduleRender, id: _LifeCycleStateId) -> None:
        self.schedule = schedule
        self.id = id

    def __call__(self) -> None:
        self.schedule(self.id)

    def __repr__(self) -> str:  # ReactPy logs the callback when scheduling fails
        return f"RenderScheduler({self.id!r})"


def _new_component_state(
    parent: ElementState | None, index: int, key: Any, component: ComponentType, schedule: ScheduleRender
) -> ComponentState:
    id_ = _LifeCycleStateId(reactpy.core.layout.uuid4().hex)  # type: ignore[attr-defined]
    return ComponentState(parent, index, key, id_, LifeCycleHook(RenderScheduler(schedule, id_)), component)


def new_root_model_state(component: ComponentType, schedule_render: ScheduleRender) -> ComponentState:
    """``reactpy.core.layout._new_root_model_state``: the root component's state."""
    return _new_component_state(None, -1, None, component, schedule_render)


def _parent_or_none(state: ElementState) -> ElementState | None:
    try:
        return state.parent
    except AttributeError:  # the root
        return None


def _next_component_state(
    old: ElementState, parent: ElementState, index: int, component: ComponentType, schedule: ScheduleRender
) -> ComponentState:
    # The hook (and so the component's state) carries over; an element turned component gets one.
    if isinstance(old, ComponentState):
        return ComponentState(parent, index, old.key, old.id, old.hook, component)
    return _new_component_state(parent, index, old.key, component, schedule)


async def _create_layout_update(self: Layout, old_state: ComponentState) -> LayoutUpdateMessage:
    """``Layout._create_layout_update``: render one component again and describe the change."""
    new_state = ComponentState(
        _parent_or_none(old_state),
        old_state.index,
        old_state.key,
        old_state.id,
        old_state.hook,
        old_state.component,
    )
    async with AsyncExitStack() as exit_stack:
        model = await _render_component(self, exit_stack, old_state, new_state, new_state.component)
    if REACTPY_CHECK_VDOM_SPEC.current:
        validate_vdom_json(model)
    return {"type": "layout-update", "path": new_state.patch_path, "model": cast(VdomJson, model)}


async def _render_component(
    self: Layout,
    exit_stack: AsyncExitStack,
    old_state: ElementState | None,
    new_state: ComponentState,
    component: ComponentType,
) -> Model:
    """``Layout._render_component``, returning the component's model instead of keeping it."""
    hook = new_state.hook
    self._model_states_by_life_cycle_state_id[new_state.id] = new_state  # type: ignore[assignment]
    await hook.affect_component_will_render(component)
    exit_stack.push_async_callback(hook.affect_layout_did_render)
    try:
        raw_model = component.render()
        # ReactPy wraps every component's output in a fragment: its own node in the tree.
        model = await _render_model(
            self, exit_stack, old_state, new_state, {"tagName": "", "children": [raw_model]}
        )
    except Exception as error:
        logger.exception(f"Failed to render {component}")
        model = {
            "tagName": "",
            "error": f"{type(error).__name__}: {error}" if REACTPY_DEBUG_MODE.current else "",
        }
    finally:
        await hook.affect_component_did_render()
    parent = _parent_or_none(new_state)
    if parent is not None:
        # ReactPy also splices the model into the parent's kept model here; the caller (a
        # parent's render) puts it in place instead, and nothing else would read it.
        parent.child_states()[new_state.key] = new_state
    return model


async def _render_model(
    self: Layout,
    exit_stack: AsyncExitStack,
    old_state: ElementState | None,
    new_state: ElementState,
    raw_model: Any,
) -> Model:
    """``Layout._render_model``: one element's model, built and returned."""
    try:
        model: Model = {"tagName": raw_model["tagName"]}
    except Exception as e:  # nocov
        msg = f"Expected a VDOM element dict, not {raw_model}"
        raise ValueError(msg) from e
    if "key" in raw_model:
        new_state.key = model["key"] = raw_model["key"]
    if "importSource" in raw_model:
        model["importSource"] = raw_model["importSource"]
    _render_model_attributes(self, old_state, new_state, raw_model, model)
    await _render_model_children(self, exit_stack, old_state, new_state, raw_model.get("children", []), model)
    return model


def _render_model_attributes(
    self: Layout,
    old_state: ElementState | None,
    new_state: ElementState,
    raw_model: dict[str, Any],
    model: Model,
) -> None:
    """``Layout._render_model_attributes``: attributes and handlers; old targets are reused."""
    handlers_by_event: EventHandlerDict = raw_model.get("eventHandlers", {})
    if "attributes" in raw_model:
        model["attributes"] = raw_model["attributes"].copy()
    old_targets = old_state.targets_by_event if old_state is not None else None
    if old_targets:
        for old_event in set(old_targets).difference(handlers_by_event):
            del self._event_handlers[old_targets[old_event]]
    if not handlers_by_event:
        return
    model_handlers: Model = {}
    model["eventHandlers"] = model_handlers
    targets = new_state.targets_by_event = {}
    for event, handler in handlers_by_event.items():
        if old_targets and event in old_targets:
            target = old_targets[event]
        else:
            target = reactpy.core.layout.uuid4().hex if handler.target is None else handler.target  # type: ignore[attr-defined]
        targets[event] = target
        self._event_handlers[target] = handler
        model_handlers[event] = {
            "target": target,
            "preventDefault": handler.prevent_default,
            "stopPropagation": handler.stop_propagation,
        }


def _children_info(new_state: ElementState, raw_children: Any) -> Any:
    # Looked up at call time: fast_type_checks replaces it.
    children_info = reactpy.core.layout._get_children_info(raw_children)
    if len({key for _, _, key in children_info}) != len(children_info):
        counts = Counter(key for _, _, key in children_info)
        duplicate_keys = [key for key, count in counts.items() if count > 1]
        msg = f"Duplicate keys {duplicate_keys} at {new_state.patch_path or '/'!r}"
        raise ValueError(msg)
    return children_info


async def _render_model_children(
    self: Layout,
    exit_stack: AsyncExitStack,
    old_state: ElementState | None,
    new_state: ElementState,
    raw_children: Any,
    model: Model,
) -> None:
    """``Layout._render_model_children``: children matched to the old ones by key."""
    if not isinstance(raw_children, list | tuple):
        raw_children = [raw_children]
    if old_state is None:
        if raw_children:
            await _render_model_children_without_old_state(self, exit_stack, new_state, raw_children, model)
        return
    old_children = old_state.children_by_key or {}
    if not raw_children:
        await _unmount_model_states(self, list(old_children.values()))
        return
    children_info = _children_info(new_state, raw_children)
    gone = set(old_children).difference(key for _, _, key in children_info)
    if gone:
        await _unmount_model_states(self, [old_children[key] for key in gone])
    children: list[Any] = []
    model["children"] = children
    for index, (child, child_type, key) in enumerate(children_info):
        old_child = old_children.get(key)
        if child_type is _DICT_TYPE:
            if old_child is not None and old_child.is_component_state:
                await _unmount_model_states(self, [old_child])
                old_child = None
            new_child = ElementState(new_state, index, key)
            children.append(await _render_model(self, exit_stack, old_child, new_child, child))
            new_state.child_states()[key] = new_child
        elif child_type is _COMPONENT_TYPE:
            child = cast(ComponentType, child)
            if isinstance(old_child, ComponentState) and old_child.component.type != child.type:
                await _unmount_model_states(self, [old_child])
                old_child = None
            if old_child is None:
                new_component = _new_component_state(new_state, index, key, child, self._schedule_render_task)
            else:
                new_component = _next_component_state(
                    old_child, new_state, index, child, self._schedule_render_task
                )
            children.append(await _render_component(self, exit_stack, old_child, new_component, child))
        else:
            if old_child is not None:
                await _unmount_model_states(self, [old_child])
            children.append(child)


async def _render_model_children_without_old_state(
    self: Layout,
    exit_stack: AsyncExitStack,
    new_state: ElementState,
    raw_children: list[Any],
    model: Model,
) -> None:
    """``Layout._render_model_children_without_old_state``: a new element's children."""
    children_info = _children_info(new_state, raw_children)
    children: list[Any] = []
    model["children"] = children
    for index, (child, child_type, key) in enumerate(children_info):
        if child_type is _DICT_TYPE:
            child_state = ElementState(new_state, index, key)
            children.append(await _render_model(self, exit_stack, None, child_state, child))
            new_state.child_states()[key] = child_state
        elif child_type is _COMPONENT_TYPE:
            component_state = _new_component_state(new_state, index, key, child, self._schedule_render_task)
            children.append(await _render_component(self, exit_stack, None, component_state, child))
        else:
            children.append(child)


async def _unmount_model_states(self: Layout, old_states: list[ElementState]) -> None:
    """``Layout._unmount_model_states``: drop handlers, then unmount components, parents first.

    Each component once: a render cut off (the page closed) while it waited on an unmount leaves
    that part in its parent's old children, which the closing layout unmounts again.
    """
    to_unmount = old_states[::-1]  # in the order they rendered
    while to_unmount:
        state = to_unmount.pop()
        if isinstance(state, ComponentState):
            if self._model_states_by_life_cycle_state_id.pop(state.id, None) is None:
                continue  # unmounted already, with everything below it
            _drop_handlers(self, state)
            await state.hook.affect_component_will_unmount()
        else:
            _drop_handlers(self, state)
        if state.children_by_key:
            to_unmount.extend(state.children_by_key.values())


def _drop_handlers(self: Layout, state: ElementState) -> None:
    if state.targets_by_event:
        for target in state.targets_by_event.values():
            self._event_handlers.pop(target, None)


async def single_outgoing_loop(
    layout: LayoutType[LayoutUpdateMessage, LayoutEventMessage], send: SendCoroutine
) -> None:
    """``reactpy.core.serve._single_outgoing_loop``, holding no update while it waits."""
    while True:
        # No local name for the update: it is freed once sent, not when the next one comes.
        try:
            await send(await layout.render())
        except Exception:
            if not REACTPY_DEBUG_MODE.current:
                logger.error(
                    "Failed to send update. More info may be available if you enabling debug mode "
                    "by setting `reactpy.config.REACTPY_DEBUG_MODE.current = True`."
                )
            raise


_REPLACEMENTS: dict[str, Any] = {
    "_create_layout_update": _create_layout_update,
    "_render_component": _render_component,
    "_render_model": _render_model,
    "_render_model_attributes": _render_model_attributes,
    "_render_model_children": _render_model_children,
    "_render_model_children_without_old_state": _render_model_children_without_old_state,
    "_unmount_model_states": _unmount_model_states,
}


def install() -> None:
    """Make ReactPy's layouts keep lean states (idempotent; layouts opened from now on)."""
    if REACTPY_ASYNC_RENDERING.current:
        logger.warning(
            "lean_layout is written for serial rendering: REACTPY_ASYNC_RENDERING is on, not installed"
        )
        return
    for name, replacement in _REPLACEMENTS.items():
        setattr(Layout, name, replacement)
    reactpy.core.layout._new_root_model_state = new_root_model_state  # type: ignore[assignment]
    reactpy.core.serve._single_outgoing_loop = single_outgoing_loop


def uninstall() -> None:
    """Put ReactPy's own layout code back (for tests that compare; open layouts must be closed)."""
    for name, original in _originals.items():
        setattr(Layout, name, original)
    reactpy.core.layout._new_root_model_state = _original_new_root_model_state
    reactpy.core.serve._single_outgoing_loop = _original_outgoing_loop


def is_installed() -> bool:
    """Tell whether ``install()`` is in effect."""
    root_state_maker: object = reactpy.core.layout._new_root_model_state
    return (
        root_state_maker is new_root_model_state
        and reactpy.core.serve._single_outgoing_loop is single_outgoing_loop
        and all(getattr(Layout, name) is replacement for name, replacement in _REPLACEMENTS.items())
    )
