"""Text blocks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reactpy import component, html

from heavy_stack.frontend.types import Component


@component
def Paragraph(*children: Component, id: str | None = None) -> Component:
    return html.p({"id": id} if id else {}, *children)


@component
def Preformatted(text: str) -> Component:
    return html.pre({"className": "preformatted"}, text)


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


@component
def FormMessage(feedback: Feedback, *, id: str) -> Component:
    """The line under a form, styled by kind: errors are announced at once (``role="alert"``),
    successes and notices politely (``role="status"``)."""
    role = "alert" if feedback.kind is FeedbackKind.ERROR else "status"
    class_name = f"form-message form-message-{feedback.kind}"
    return html.p({"id": id, "className": class_name, "role": role}, feedback.text)
