"""The page's notice banner: what the heavy hooks tell the user when a write fails."""

from __future__ import annotations

from typing import cast

from heavy import NoticeContext, ShowNotice, heavy_event, heavy_use_state, html, provide_context
from heavy import gettext as t
from reactpy import component, use_ref

from heavy_stack.frontend.types import Component


@component
def NoticeProvider(*children: Component) -> Component:
    """Gives ``children`` a ``NoticeContext`` and shows its notice above them."""
    return html._(use_notice_banner(), *children)


def use_notice_banner() -> Component:
    """The notice banner, whose ``NoticeContext`` everything the calling component renders gets.

    The app root calls this rather than nesting a provider; render the banner once. A notice
    re-renders the banner only, not the caller (for the app root: the whole page; the busy
    notice of back pressure comes and goes when the server is busiest).
    """
    made = use_ref(cast(_Notice | None, None))
    if made.current is None:
        made.current = _Notice()
    notice = made.current
    provide_context(NoticeContext, notice.show)
    return NoticeBanner(notice)


class _Notice:
    """The page's notice, and how to show a new one: the setter of the banner's state once it
    has rendered."""

    __slots__ = ("shown", "text")

    def __init__(self) -> None:
        self.text: str | None = None
        self.shown: ShowNotice | None = None

    def show(self, text: str | None) -> None:
        self.text = text
        if self.shown is not None:
            self.shown(text)


@component
def NoticeBanner(notice: _Notice) -> Component:
    # The state only makes a new notice re-render this component; what it shows is notice.text.
    _shown, notice.shown = heavy_use_state(notice.text)
    text = notice.text
    # Always in the page, so assistive technology announces the text when it appears.
    attributes = {"id": "app-notice", "role": "alert", "className": "notice notice-error" if text else ""}
    if not text:
        return html.div(attributes)

    def dismiss() -> None:
        notice.show(None)

    return html.div(
        attributes,
        html.span({"id": "app-notice-text"}, text),
        html.button(
            {
                "id": "app-notice-dismiss",
                "className": "button button-secondary",
                "type": "button",
                "onClick": heavy_event(dismiss),
            },
            t("Dismiss"),
        ),
    )
