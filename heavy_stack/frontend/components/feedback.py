"""What the app tells the person besides a form's message line: dialogs, notices, badges and
progress bars (their classes are in the stylesheet; docs/theming.md lists them)."""

from __future__ import annotations

from enum import StrEnum

from heavy import DIALOG_CANCEL_ATTRIBUTE, MODAL_DIALOG_ATTRIBUTE, html

from heavy_stack.frontend.types import Component


class Tone(StrEnum):
    """The tone of a notice or a badge."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


def Dialog(title: str, *children: Component, id: str, actions: tuple[Component, ...]) -> Component:
    """A modal dialog, shown while it is rendered: heavy's page script opens it (focus inside,
    the page behind inert) and gives the focus back when the server removes it.

    ``actions`` are its buttons, the safe one first (it gets the focus); mark the one that
    closes it without acting with ``dialog_cancel()`` attributes, so Escape presses it.
    """
    return html.dialog(
        {"id": id, "className": "dialog", MODAL_DIALOG_ATTRIBUTE: "true", "aria-labelledby": f"{id}-title"},
        html.h2({"id": f"{id}-title", "className": "dialog-title"}, title),
        *children,
        html.div({"className": "dialog-actions"}, *actions),
    )


def dialog_cancel() -> dict[str, str]:
    """The attributes of a dialog's button that closes it without acting (Escape presses it)."""
    return {DIALOG_CANCEL_ATTRIBUTE: "true"}


def Notice(*children: Component, tone: Tone = Tone.INFO, id: str | None = None) -> Component:
    """A message across the page (errors are announced at once, the rest politely)."""
    role = "alert" if tone is Tone.ERROR else "status"
    attributes = {"className": f"notice notice-{tone}", "role": role} | ({"id": id} if id else {})
    return html.div(attributes, *children)


def Badge(text: str, *, tone: Tone = Tone.INFO, id: str | None = None) -> Component:
    """A short label beside something (online, 3 new, failed)."""
    kind = "danger" if tone is Tone.ERROR else tone
    return html.span({"className": f"badge badge-{kind}"} | ({"id": id} if id else {}), text)


def ProgressBar(label: str, value: float | None, *, id: str, maximum: float = 1.0) -> Component:
    """A labelled progress bar; ``value`` None: under way, amount unknown."""
    bar = {"id": id, "className": "progress", "max": maximum, "aria-label": label}
    return html.progress(bar if value is None else bar | {"value": value})
