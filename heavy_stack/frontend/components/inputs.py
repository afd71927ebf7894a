"""Buttons and inputs. Handlers are wrapped with ``heavy_event`` by the caller or here."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from heavy import (
    Change,
    Handler,
    current_language,
    debounced,
    heavy_event,
    heavy_use_state,
    html,
    static_html,
)
from heavy import gettext as t
from reactpy import component
from reactpy.utils import Ref

from heavy_stack.frontend.types import Component

MAX_LINE_LENGTH = 500


class ButtonKind(StrEnum):
    """What a button does, which decides how it looks (``.button-<kind>`` in the stylesheet)."""

    PRIMARY = "primary"  # the page's or the form's main action (Save, Add note, Sign in)
    SECONDARY = "secondary"  # every other action (Cancel, Read again)
    DESTRUCTIVE = "destructive"  # deletes or ends something: red, never the colour of Save


def Button(
    label: str,
    on_click: Handler | None = None,
    *,
    id: str | None = None,
    type: str = "button",
    kind: ButtonKind | None = None,
    attributes: dict[str, Any] | None = None,
) -> Component:
    """A button; a ``type="submit"`` one usually has no ``on_click``: its form's onSubmit acts.

    ``kind`` says what it does (by default a submit is primary, any other button secondary);
    ``attributes`` adds HTML attributes (``aria-*``, ``data-*``).
    """
    if kind is None:
        kind = ButtonKind.PRIMARY if type == "submit" else ButtonKind.SECONDARY
    if on_click is None and attributes is None:  # a form's submit: the same on every render
        return _plain_button(label, id, type, kind)
    own: dict[str, Any] = {"className": f"button button-{kind}", "type": type}
    if on_click is not None:
        own["onClick"] = on_click
    return html.button(own | ({"id": id} if id else {}) | (attributes or {}), label)


@static_html
def _plain_button(label: str, id: str | None, type: str, kind: ButtonKind) -> Component:
    return Button(label, id=id, type=type, kind=kind, attributes={})


def ButtonRow(*buttons: Component, end: tuple[Component, ...] = ()) -> Component:
    """Buttons side by side, wrapping on a narrow screen; ``end`` ones sit at the right end
    (a destructive action, away from Save)."""
    pushed = [html.span({"className": "button-row-end"}), *end] if end else []
    return html.div({"className": "button-row"}, *buttons, *pushed)


# A plain function, not a component: it keeps no state of its own (contexts only), so as a
# component it only cost every open page a layout level (docs/benchmarks.md, "Memory").
def LineInput(
    label: str,
    on_change: Callable[[str], None],
    *,
    id: str,
    placeholder: str = "",
    type: str = "text",
    autocomplete: str = "off",
    initial: str = "",
    each_keystroke: bool = False,
) -> Component:
    """A one-line input that reports its text, whole: the handler that uses the text refuses
    one that is too long with a message (cutting it silently would store what nobody typed).

    The text is sent when the person pauses in typing, or before whatever they do next (heavy's
    ``debounced``): what a form's ``keep_in`` needs, at one event per pause instead of one per
    keystroke. ``each_keystroke`` sends every change at once: for a field whose server side must
    know of an edit as it is made (the note editor keeps unsaved edits when someone else saves
    the note). A field the page answers as it is typed in does too (``NumberInput``).

    ``type`` is the HTML input type (``email``, ``password``...); ``autocomplete`` tells the
    browser and password managers what the field holds (``email``, ``current-password``...).
    ``initial`` is the text the field starts with (the browser keeps what is typed after it).
    """

    def changed(event: Change) -> None:
        on_change(event.value)

    return _labelled(
        label,
        id,
        html.input(
            {
                "id": id,
                "type": type,
                "placeholder": placeholder,
                "autoComplete": autocomplete,
                "maxLength": MAX_LINE_LENGTH,
                "onChange": heavy_event(changed),
            }
            | ({"value": initial} if initial else {})
            | ({} if each_keystroke else debounced())
        ),
    )


# A plain function, not a component: it keeps no state of its own (contexts only), so as a
# component it only cost every open page a layout level (docs/benchmarks.md, "Memory").
def TextArea(
    label: str,
    on_change: Callable[[str], None],
    *,
    id: str,
    max_length: int,
    initial: str = "",
    rows: int = 8,
    each_keystroke: bool = False,
) -> Component:
    """A multi-line text input that reports its text, whole, as ``LineInput`` does: when the
    person pauses or acts, or at ``each_keystroke`` (``max_length`` is a hint to the browser;
    the handler refuses a longer text with a message)."""

    def changed(event: Change) -> None:
        on_change(event.value)

    return _labelled(
        label,
        id,
        html.textarea(
            {
                "id": id,
                "rows": rows,
                "maxLength": max_length,
                "value": initial,
                "onChange": heavy_event(changed),
            }
            | ({} if each_keystroke else debounced())
        ),
    )


@component
def NumberInput(
    label: str,
    on_change: Callable[[int | None], None],
    *,
    id: str,
    minimum: int = -1_000_000,
    maximum: int = 1_000_000,
) -> Component:
    """A whole-number input: ``on_change`` gets the number, or None while the text is not one.

    Bad text is shown as an error under the field; it never reaches ``on_change`` as a number.
    """
    error, set_error = heavy_use_state("")

    def changed(event: Change) -> None:
        number, message = parse_whole_number(event.value, minimum, maximum)
        set_error(message)
        on_change(number)

    return _labelled(
        label,
        id,
        html.input(
            {
                "id": id,
                "type": "number",
                "min": minimum,
                "max": maximum,
                "step": 1,
                "onChange": heavy_event(changed),
            }
        ),
        html.span({"id": f"{id}-error", "className": "field-error", "role": "alert"}, error),
    )


def parse_whole_number(text: str, minimum: int, maximum: int) -> tuple[int | None, str]:
    """The number in ``text`` and an empty message, or None and what is wrong with it."""
    text = text.strip()
    if not text:
        return None, ""
    try:
        number = int(text)
    except ValueError:
        return None, t("“{text}” is not a whole number.").format(text=text[:20])
    if not minimum <= number <= maximum:
        language = current_language()
        return None, t("Enter a number from {minimum} to {maximum}.").format(
            minimum=language.format_number(minimum), maximum=language.format_number(maximum)
        )
    return number, ""


def keep_in(ref: Ref[str]) -> Callable[[str], None]:
    """An ``on_change`` that keeps the latest text in ``ref``.

    Forms read their inputs from refs, not state: a submit that arrives right after the last
    keystroke, before the re-render, must still see it.
    """

    def remember(text: str) -> None:
        ref.current = text

    return remember


def _labelled(label: str, id: str, *controls: Component) -> Component:
    """A form control (and what follows it, e.g. an error) under its visible label."""
    return html.label(
        {"className": "field", "htmlFor": id}, html.span({"className": "field-label"}, label), *controls
    )
