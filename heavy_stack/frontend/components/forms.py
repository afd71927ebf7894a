"""Forms: the one shape every page's form takes, and the message line under it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from heavy import heavy_event, html

from heavy_stack.frontend.types import Component

# A heavy handler (``heavy_event``): an async one gets the ``AppContext`` first; either may take
# the submitted form's data (``heavy.Submit``) or nothing.
SubmitHandler = Callable[..., Awaitable[None]] | Callable[..., None]


# A plain function, not a component: it keeps no state of its own (contexts only), so as a
# component it only cost every open page a layout level (docs/benchmarks.md, "Memory").
def Form(id: str, on_submit: SubmitHandler, *children: Component, reset_key: str | None = None) -> Component:
    """A form whose submit runs ``on_submit`` on the server instead of loading a page.

    ``on_submit`` is a heavy handler: an async one gets a ``AppContext`` and runs in one
    transaction. Keep the fields' values in refs (``keep_in``), so a submit that arrives right
    after the last keystroke still sees it. A new ``reset_key`` replaces the form's elements in
    the browser: a fresh, empty form (after a successful add, say).
    """
    attributes: dict[str, Any] = {"id": id, "onSubmit": heavy_event(on_submit, prevent_default=True)}
    if reset_key is not None:
        # A key on the element itself: the browser gets new inputs, not the old ones reused.
        attributes["key"] = f"{id}-{reset_key}"
    return html.form(attributes, *children)


class FeedbackKind(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    INFO = "info"


@dataclass(frozen=True)
class Feedback:
    """What a form tells the person after they act: a success, an error or a plain notice."""

    text: str = ""
    kind: FeedbackKind = FeedbackKind.INFO

    @classmethod
    def success(cls, text: str) -> Feedback:
        return cls(text, FeedbackKind.SUCCESS)

    @classmethod
    def error(cls, text: str) -> Feedback:
        return cls(text, FeedbackKind.ERROR)

    @classmethod
    def info(cls, text: str) -> Feedback:
        return cls(text, FeedbackKind.INFO)


def FormMessage(feedback: Feedback, *, id: str) -> Component:
    """The line under a form, styled by kind: errors are announced at once (``role="alert"``),
    successes and notices politely (``role="status"``)."""
    role = "alert" if feedback.kind is FeedbackKind.ERROR else "status"
    class_name = f"form-message form-message-{feedback.kind}"
    return html.p({"id": id, "className": class_name, "role": role}, feedback.text)
