"""Every part of ReactPy's inside that ``heavy.live`` overrides, replaces or relies on.

ReactPy is used stock: nothing is assigned onto its modules or classes. ``LiveLayout`` and
``LiveHook`` subclass ReactPy's ``Layout`` and ``LifeCycleHook`` and set their private slots;
the framework's stream route and serve loop take the place of ReactPy's. Each entry names a
ReactPy function, method or class (``module:qualified.name``), how the framework uses it, and a
hash of its source as written for ReactPy ``WRITTEN_FOR``:

- ``overridden``: a method the subclass defines again (it calls no ReactPy code for it);
- ``replaced``: ReactPy code the framework's classes never run, doing the same job their way
  (a fix ReactPy makes there must be carried over by hand);
- ``relied-on``: ReactPy code the framework calls or inherits, or whose private names it uses.

``changed()`` lists the entries whose installed source differs: a test fails on any, so that
upgrading ReactPy means reading each one (``tests/server/test_no_monkeypatching.py``).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from typing import Any, Literal

WRITTEN_FOR = "1.1.0"

Use = Literal["overridden", "replaced", "relied-on"]

INTERNALS: tuple[tuple[str, Use, str], ...] = (
    ("reactpy.core.layout:Layout.__init__", "relied-on", "6cd69ca7d48da27d"),
    ("reactpy.core.layout:Layout.deliver", "overridden", "0b9fb52f57713e6d"),
    # heavy.events finds a handler function inside the wrapper this makes (its one closure cell).
    ("reactpy.core.events:to_event_handler_function", "relied-on", "eecaba4124a3d968"),
    ("reactpy.core.layout:Layout.__aenter__", "overridden", "4fe8e2d39d2c021b"),
    ("reactpy.core.layout:Layout.__aexit__", "overridden", "37f47c36a00c7202"),
    ("reactpy.core.layout:Layout.render", "overridden", "2780e6137f58cb65"),
    ("reactpy.core.layout:Layout._serial_render", "replaced", "9b7b6c3d40e75a91"),
    ("reactpy.core.layout:Layout._schedule_render_task", "replaced", "9318a7707bf02771"),
    ("reactpy.core.layout:Layout._create_layout_update", "replaced", "7f9db75ca0f6556b"),
    ("reactpy.core.layout:Layout._render_component", "replaced", "2d86f98a638bf757"),
    ("reactpy.core.layout:Layout._render_model", "replaced", "cd038f00311409be"),
    ("reactpy.core.layout:Layout._render_model_attributes", "replaced", "9690f59b1f8e27c3"),
    (
        "reactpy.core.layout:Layout._render_model_event_handlers_without_old_state",
        "replaced",
        "a2d40b6506ad356b",
    ),
    ("reactpy.core.layout:Layout._render_model_children", "replaced", "ec2abb47c2ec3c98"),
    ("reactpy.core.layout:Layout._render_model_children_without_old_state", "replaced", "e455dcaa8d6a6ffb"),
    ("reactpy.core.layout:Layout._unmount_model_states", "replaced", "acd33e7154bbf4d7"),
    ("reactpy.core.layout:_get_children_info", "replaced", "9e88f3523ec4dc32"),
    ("reactpy.core.layout:_ModelState", "replaced", "c300f89f819beae8"),
    ("reactpy.core.layout:_ThreadSafeQueue", "replaced", "afffeee44b8fc592"),
    ("reactpy.core._life_cycle_hook:LifeCycleHook.__init__", "overridden", "39768b6d93afeb72"),
    (
        "reactpy.core._life_cycle_hook:LifeCycleHook.affect_component_will_render",
        "overridden",
        "55f07aaaa9cfaf24",
    ),
    (
        "reactpy.core._life_cycle_hook:LifeCycleHook.affect_component_did_render",
        "overridden",
        "bf381446fd69e256",
    ),
    (
        "reactpy.core._life_cycle_hook:LifeCycleHook.affect_layout_did_render",
        "overridden",
        "d42c9021b202ad01",
    ),
    ("reactpy.core._life_cycle_hook:LifeCycleHook.add_effect", "overridden", "3ddc2f36944ccd51"),
    (
        "reactpy.core._life_cycle_hook:LifeCycleHook.affect_component_will_unmount",
        "overridden",
        "079da0c91cdd00cf",
    ),
    ("reactpy.core._life_cycle_hook:LifeCycleHook.set_current", "overridden", "385d01b16bfd056d"),
    ("reactpy.core._life_cycle_hook:LifeCycleHook.set_context_provider", "overridden", "907c3962b84868b6"),
    ("reactpy.core._life_cycle_hook:LifeCycleHook.unset_current", "relied-on", "d9b8112d47b0a827"),
    ("reactpy.core._life_cycle_hook:LifeCycleHook.get_context_provider", "overridden", "e9a5499a91dbb5cb"),
    ("reactpy.core._life_cycle_hook:current_hook", "relied-on", "b42312ca78ece3e5"),
    ("reactpy.core._thread_local:ThreadLocal", "relied-on", "faadbdcb7a6ae4a5"),
    ("reactpy.core.hooks:_ContextProvider", "relied-on", "9811391008da61a2"),
    # LiveHook.forget drops an unmounted state's reference to its setter (a cycle otherwise).
    ("reactpy.core.hooks:_CurrentState", "relied-on", "89dbba1cd8ef5172"),
    # heavy_use_state: its own setter (heavy.hooks.StateSetter), ReactPy's equality and hook state.
    ("reactpy.core.hooks:use_state", "replaced", "8efe7212f0e66e7f"),
    # LiveHook runs use_effect's effect itself: its code is recognised, its clean-up Ref and
    # function read from its closure cells (heavy.live.hooks.reactpy_effect_parts).
    ("reactpy.core.hooks:use_effect", "relied-on", "9feb11e0397961fd"),
    ("reactpy.core.hooks:strictly_equal", "relied-on", "9b06b71e5826a687"),
    ("reactpy.core._life_cycle_hook:LifeCycleHook.use_state", "relied-on", "6f11cfa1c16a6fd2"),
    ("reactpy.core._life_cycle_hook:LifeCycleHook.schedule_render", "relied-on", "6e1924068323f3b6"),
    ("reactpy.core.serve:serve_layout", "replaced", "666a2ab1debcf829"),
    ("reactpy.core.serve:_single_outgoing_loop", "replaced", "27cbd22152733c02"),
    ("reactpy.core.serve:_single_incoming_loop", "replaced", "319b768444631e88"),
    ("reactpy.backend.sanic:_setup_common_routes", "replaced", "c2d9f0bc0d68b99d"),
    ("reactpy.backend.sanic:_setup_single_view_dispatcher_route", "replaced", "ec9dd740f0b8dc61"),
    ("reactpy.backend.sanic:_SanicCarrier", "relied-on", "eb777e787af9e811"),
    # heavy.live.html: the element constructors, leaner (ReactPy's are called for odd arguments).
    ("reactpy.core.vdom:vdom", "replaced", "7968fb243166f061"),
    ("reactpy.core.vdom:make_vdom_constructor", "replaced", "42e4414419abb642"),
    ("reactpy.core.vdom:custom_vdom_constructor", "replaced", "69ab5a25519a48eb"),
    ("reactpy.core.vdom:separate_attributes_and_children", "replaced", "69d49614b83471f2"),
    ("reactpy.core.vdom:separate_attributes_and_event_handlers", "replaced", "34b851778c7e16f1"),
    ("reactpy.core.vdom:_is_attributes", "replaced", "eaec015406aec8dd"),
    ("reactpy.core.vdom:_is_single_child", "relied-on", "5631cb14cc2cb6ff"),
    # heavy.live.layout.AttributeHandler: an EventHandler whose wrapper is made when read.
    ("reactpy.core.events:EventHandler.__init__", "replaced", "1f53777ba5605185"),
    ("reactpy.html:_fragment", "replaced", "bf9fa43c3edd736c"),
    ("reactpy.backend.sanic:use_connection", "relied-on", "cc506f697fa450bf"),
)


def source_hash(name: str) -> str | None:
    """The hash of the installed source of ``module:qualified.name`` (None: it is gone)."""
    module_name, _, qualified = name.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in qualified.split("."):
        space = vars(found)
        if part not in space:
            return None
        found = space[part]
    return hashlib.sha256(inspect.getsource(found).encode()).hexdigest()[:16]


def changed() -> list[str]:
    """The entries whose installed source is not the one they were written against."""
    return [f"{name} ({use})" for name, use, sha in INTERNALS if source_hash(name) != sha]
