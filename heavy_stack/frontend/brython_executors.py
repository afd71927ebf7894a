"""Run Brython functions in the user's browser from server-side components.

    executor = heavy_use_context(BrythonExecutorContext)
    executor.call(open_new_tab, url="/other")
    executor.call(get_timezone, result_callback=remember_timezone)

The page loads Brython with its first call (static/js/heavy_bridge.js); a component that will
call it soon (a form whose success navigates with Brython) calls ``use_brython_soon()``, and
the page loads it as soon as that component is live, off the first paint's path.

Each call becomes a small script element keyed by its call id, which the page runs once (it
remembers the ids it has run); the
browser's answer comes back as a click on a hidden button, i.e. a normal ReactPy event. What
the browser answers is untrusted: it is size-bounded and parsed defensively here, and the
callback must still validate the value it gets.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from heavy import (
    Change,
    Event,
    heavy_event,
    heavy_use_context,
    heavy_use_effect,
    heavy_use_state,
    html,
    provide_context,
)
from reactpy import component, create_context, use_ref
from reactpy.types import Context
from reactpy_bridge import CALLABLE_MARK, RESULT_BUTTON_ID

from heavy_stack.frontend.types import Component

logger = logging.getLogger(__name__)

# The functions the page's shim defines (see static/js/heavy_bridge.js).
CALL_PREFIX = "heavyBridge.call("
LOAD_SCRIPT = "heavyBridge.load()"
MAX_CALL_BYTES = 64 * 1024
MAX_RESULT_CHARS = 64 * 1024
# Script elements kept on the page; older ones have already run and can go.
KEPT_CALLS = 20

ResultCallback = Callable[[Any], None]


@dataclass(frozen=True)
class BrythonCall:
    """One call as the page receives it."""

    id: str
    module: str
    name: str
    kwargs_json: str
    wants_reply: bool

    def script(self) -> str:
        payload = {
            "id": self.id,
            "module": self.module,
            "name": self.name,
            "kwargs": self.kwargs_json,
            "reply": self.wants_reply,
        }
        return f"{CALL_PREFIX}{json.dumps(payload)})"


@dataclass(frozen=True)
class BrythonLoad:
    """Asks the page to load Brython now, ahead of the calls it is about to get."""

    id: str = "load"

    def script(self) -> str:
        return LOAD_SCRIPT


@dataclass
class BrythonExecutor:
    """Sends calls to the page and routes the answers to their callbacks."""

    _send: Callable[[BrythonCall | BrythonLoad], None]
    _callbacks: dict[str, ResultCallback] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    # Call ids are unique across connections: the page drops a call id it has run before
    # (ReactPy may run a script element twice), and a reconnected page keeps that memory.
    _prefix: str = field(default_factory=lambda: secrets.token_hex(4))
    _load_asked: bool = False

    def load_soon(self) -> None:
        """Have the page load Brython now (once), rather than with the first call."""
        if not self._load_asked:
            self._load_asked = True
            self._send(BrythonLoad())

    def call(
        self, function: Callable[..., Any], result_callback: ResultCallback | None = None, **kwargs: Any
    ) -> None:
        """Run ``function`` (marked ``@called_from_reactpy``) in the browser with ``kwargs``.

        ``result_callback`` gets the function's JSON-decoded return value. Raises TypeError for
        an unmarked function or arguments that are not JSON-serialisable.
        """
        if not getattr(function, CALLABLE_MARK, False):
            raise TypeError(
                f"{getattr(function, '__qualname__', function)!r} cannot run in the browser: "
                "define it in a brython/ module and mark it @called_from_reactpy"
            )
        try:
            kwargs_json = json.dumps(kwargs, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise TypeError(f"Arguments of {function.__name__} must be JSON-serialisable: {error}") from None
        if len(kwargs_json) > MAX_CALL_BYTES:
            raise ValueError(f"Arguments of {function.__name__} exceed {MAX_CALL_BYTES} bytes")
        call_id = f"{self._prefix}-{next(self._ids)}"
        if result_callback is not None:
            self._callbacks[call_id] = result_callback
        self._send(
            BrythonCall(
                call_id, function.__module__, function.__name__, kwargs_json, result_callback is not None
            )
        )

    def receive(self, answer: BrythonAnswer) -> None:
        """Hand the browser's answer to the call waiting for it.

        An answer for no waiting call is dropped quietly: a client can send any id, and only
        calls this executor made are answered (their ids are random).
        """
        callback = self._callbacks.pop(answer.call_id, None)
        if callback is None:
            logger.debug("Brython answer for no waiting call dropped")
        elif not answer.ok:
            logger.warning("Brython call %s failed in the browser", answer.call_id)
        else:
            callback(answer.value)


@dataclass(frozen=True, slots=True)
class BrythonAnswer(Event):
    """The browser's answer to a call, as the bridge button carries it in its value: JSON with
    the call's ``id``, ``ok`` and the ``value`` (anything else fits no handler: dropped)."""

    call_id: str
    ok: bool
    value: Any
    name: ClassVar[str] = "a Brython answer (JSON with id, ok and value)"

    @classmethod
    def parse(cls, data: Sequence[Any]) -> BrythonAnswer | None:
        change = Change.parse(data)
        if change is None or not change.value or len(change.value) > MAX_RESULT_CHARS:
            return None
        try:
            answer = json.loads(change.value)
        except ValueError:
            return None
        if not (
            isinstance(answer, dict)
            and isinstance(answer.get("id"), str)
            and isinstance(answer.get("ok"), bool)
        ):
            return None
        return cls(answer["id"], answer["ok"], answer.get("value"))


BrythonExecutorContext: Context[BrythonExecutor | None] = create_context(None)


@component
def BrythonExecutorProvider(*children: Component) -> Component:
    """Provides ``BrythonExecutorContext`` to ``children`` and renders the calls and the answer button."""
    _executor, bridge = use_brython_bridge()
    return html._(*children, bridge)


class _PageCalls:
    """The calls the page holds (the last ``KEPT_CALLS``), and how to show a new one: the setter
    of the bridge component's state once it has rendered."""

    __slots__ = ("calls", "show")

    def __init__(self) -> None:
        self.calls: tuple[BrythonCall | BrythonLoad, ...] = ()
        self.show: Callable[[tuple[BrythonCall | BrythonLoad, ...]], None] | None = None

    def add(self, call: BrythonCall | BrythonLoad) -> None:
        self.calls = (*self.calls[-(KEPT_CALLS - 1) :], call)
        if self.show is not None:
            self.show(self.calls)


def use_brython_bridge() -> tuple[BrythonExecutor, Component]:
    """This connection's executor, and the component that carries its calls and answers.

    The executor is provided as ``BrythonExecutorContext`` to everything the calling component
    renders (the app root calls this, rather than nesting a provider); render the element once.
    A call re-renders that small component only, not the caller (for the app root: the whole
    page, once per visit at least, since the landing page asks for the time zone).
    """
    made = use_ref(cast(tuple[BrythonExecutor, _PageCalls] | None, None))
    if made.current is None:
        calls = _PageCalls()
        made.current = (BrythonExecutor(calls.add), calls)
    executor, calls = made.current
    provide_context(BrythonExecutorContext, executor)
    return executor, BrythonBridge(executor, calls)


@component
def BrythonBridge(executor: BrythonExecutor, calls: _PageCalls) -> Component:
    """The hidden element that carries the page's Brython calls and brings back the answers."""
    # The state only makes a new call re-render this component; what it shows is calls.calls.
    _shown, calls.show = heavy_use_state(calls.calls)

    def on_answer(answer: BrythonAnswer) -> None:
        executor.receive(answer)

    return html.div(
        {"id": "heavy-bridge", "hidden": True},
        html.button({"id": RESULT_BUTTON_ID, "type": "button", "onClick": heavy_event(on_answer)}),
        *(html.script({"key": call.id}, call.script()) for call in calls.calls),
    )


def use_brython_soon() -> None:
    """Have the page load Brython once the calling component is live: for a component whose
    next step is a Brython call the visitor should not wait for (not in a first paint)."""
    executor = heavy_use_context(BrythonExecutorContext)

    def load() -> None:
        if executor is not None:
            executor.load_soon()

    heavy_use_effect(load, [])
