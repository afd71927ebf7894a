"""Every change the app makes to ReactPy, in one list: read this before upgrading ReactPy.

ReactPy is used stock from PyPI; where it falls short, the app patches it at run time rather
than forking it. Each patch below names what it replaces, the ReactPy version it was written
for, and how to tell whether a new version still needs it. ``install()`` applies the runtime
patches (the app factory and the test drivers call it) and warns once when the installed
ReactPy is not the version they were written for. ``tests/frontend/test_reactpy_patches.py``
checks that every patched name still exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version

logger = logging.getLogger(__name__)

WRITTEN_FOR = "1.1.0"


@dataclass(frozen=True)
class Patch:
    """One change to ReactPy: where it lives, what it replaces, and why."""

    module: str  # ours, where the patch lives (a module, or a file for the browser's side)
    replaces: tuple[str, ...]  # the dotted names of what it swaps or wraps (empty: browser side)
    why: str
    still_needed_if: str  # what to try on a new ReactPy version
    runtime: bool = True  # False: installed only by a development tool


PATCHES: tuple[Patch, ...] = (
    Patch(
        module="heavy_stack.reactpy_patches.task_local_hooks",
        replaces=("reactpy.core._life_cycle_hook._HOOK_STATE",),
        why="ReactPy keeps the hook stack per thread; Sanic serves every websocket on one thread, "
        "so two layouts rendering at once break each other ('Hook stack is in an invalid state').",
        still_needed_if="tests/frontend/test_task_local_hooks.py fails with the patch switched off.",
    ),
    Patch(
        module="heavy_stack.reactpy_patches.fast_type_checks",
        replaces=(
            "reactpy.core.layout._get_children_info",
            "reactpy.core.vdom.separate_attributes_and_event_handlers",
        ),
        why="Every child and handler-like attribute of every render went through a typing "
        "Protocol isinstance check, which is slow on Python 3.11 (about a tenth of a click's "
        "server CPU); exact types are checked first, anything else as before.",
        still_needed_if="tests/frontend/test_fast_type_checks.py's comparison still passes with "
        "ReactPy's own functions and a profile of `make bench` shows _ProtocolMeta.__instancecheck__.",
    ),
    Patch(
        module="heavy_stack.reactpy_patches.cheap_ids",
        replaces=("reactpy.core.layout.uuid4",),
        why="Every event handler and mounted component got a uuid4 id (an os.urandom call each), "
        "about 5 % of the server's CPU in the demo replay; a per-process prefix and a counter are "
        "as unique where it matters (within one process's layouts).",
        still_needed_if="reactpy.core.layout still calls uuid4() for handler targets and state ids.",
    ),
    Patch(
        module="heavy_stack.reactpy_patches.light_hooks",
        replaces=(
            "reactpy.core._life_cycle_hook.LifeCycleHook.affect_layout_did_render",
            "reactpy.core._life_cycle_hook.Semaphore",
        ),
        why="Each component's hook kept a new asyncio.Event after every render, effects or not, "
        "until unmount: memory per connection grew with every click. An event only for renders "
        "that start effects does the same. Each hook's render guard (an anyio Semaphore) made a "
        "waiter deque up front, about a tenth of an idle connection; RenderAccess acquires and "
        "releases the same way and makes the deque only when a render waits.",
        still_needed_if="reactpy.core._life_cycle_hook still creates an Event in "
        "affect_layout_did_render when _effect_funcs is empty, or still gives every hook an "
        "anyio Semaphore.",
    ),
    Patch(
        module="heavy_stack.reactpy_patches.lean_layout",
        replaces=(
            "reactpy.core.layout.Layout._create_layout_update",
            "reactpy.core.layout.Layout._render_component",
            "reactpy.core.layout.Layout._render_model",
            "reactpy.core.layout.Layout._render_model_attributes",
            "reactpy.core.layout.Layout._render_model_children",
            "reactpy.core.layout.Layout._render_model_children_without_old_state",
            "reactpy.core.layout.Layout._unmount_model_states",
            "reactpy.core.layout._new_root_model_state",
            "reactpy.core.serve._single_outgoing_loop",
        ),
        why="The layout kept every element's rendered model (sent once, never read again), its "
        "patch path string, two dicts even when empty and a closure per component, for as long "
        "as the page is open: over a third of an idle connection. Lean states keep the keys, "
        "indices, handler targets and hooks; models are built, sent and dropped; paths are "
        "worked out from the parent chain when an update is sent; the sending loop no longer holds "
        "the last update while it waits.",
        still_needed_if="reactpy.core.layout._ModelState still has model and patch_path slots.",
    ),
    Patch(
        module="heavy_stack.reactpy_patches.shared_contexts",
        replaces=(
            "reactpy.core._life_cycle_hook.LifeCycleHook.set_current",
            "reactpy.core._life_cycle_hook.LifeCycleHook.set_context_provider",
        ),
        why="Every component's hook copied the dict of all context providers above it on every "
        "render and kept it while mounted (about 280 bytes per component use with the app root's "
        "six contexts); a hook that provides nothing now refers to its parent's dict.",
        still_needed_if="LifeCycleHook.set_current still calls _context_providers.update(...).",
    ),
    Patch(
        module="heavy_stack.reactpy_patches.event_tasks",
        replaces=("reactpy.core.serve._single_incoming_loop",),
        why="Every incoming event's handler was started with anyio's TaskGroup.start_soon, whose "
        "task wrapper and naming were about a tenth of a click's server CPU; a plain asyncio task "
        "does the same, cancelled with the connection.",
        still_needed_if="a py-spy profile of `make bench` shows anyio's TaskGroup.start_soon under "
        "_single_incoming_loop.",
    ),
    Patch(
        module="heavy.stream.guard",
        replaces=("reactpy.backend.sanic.serve_layout",),
        why="Checks every incoming frame (a malformed one closes only its own connection, with a "
        "close code) and shows every message to the stream taps (the stream recorder).",
        still_needed_if="always: the app's own checks and recording live here.",
    ),
    Patch(
        module="heavy.stream.guard",
        replaces=("sanic.server.websockets.impl.WebsocketImplProtocol.process_events",),
        why="Sanic decodes text frames in a task of its own; invalid UTF-8 raised there and hung "
        "the connection. The wrapper closes it with 1007 instead.",
        still_needed_if="tests/server/test_malformed_frames.py hangs on invalid UTF-8 without it.",
    ),
    Patch(
        module="heavy.web.logs",
        replaces=("sanic.server.protocols.websocket_protocol.WebSocketProtocol.connection_lost",),
        why="Sanic logs a websocket's close (and its access line) from the transport's callback, "
        "outside the connection's tasks: the wrapper runs it in the connection's log scope, so "
        "those lines carry its connection_id.",
        still_needed_if="tests/server/test_logging.py finds the CLOSE access line without the id.",
    ),
    Patch(
        module="heavy_stack_dev.live_layouts",
        replaces=("reactpy.core.layout.Layout.__aenter__", "reactpy.core.layout.Layout.__aexit__"),
        why="ReactPy keeps no registry of live layouts; hot reload needs one to re-render open pages.",
        still_needed_if="ReactPy gains a registry of live layouts.",
        runtime=False,
    ),
)


def install() -> None:
    """Apply the runtime patches (idempotent); warn if ReactPy is not the version they fit."""
    # Imported here: each module patches on install(), never on import.
    from heavy.stream import guard

    from heavy_stack.reactpy_patches import (
        cheap_ids,
        event_tasks,
        fast_type_checks,
        lean_layout,
        light_hooks,
        shared_contexts,
        task_local_hooks,
    )

    _warn_on_another_version()
    task_local_hooks.install()
    fast_type_checks.install()
    cheap_ids.install()
    light_hooks.install()
    lean_layout.install()
    shared_contexts.install()
    event_tasks.install()
    guard.install()


@cache  # once per process
def _warn_on_another_version() -> None:
    installed = version("reactpy")
    if installed != WRITTEN_FOR:
        logger.warning(
            "ReactPy %s is installed; the patches in heavy_stack/reactpy_patches were written for %s. "
            "Check each one (see PATCHES) before relying on this version.",
            installed,
            WRITTEN_FOR,
        )
