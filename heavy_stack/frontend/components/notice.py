"""The page's notice banner: what the heavy hooks tell the user when a write fails."""

from __future__ import annotations

from heavy import NoticeContext, ShowNotice, heavy_event, heavy_use_state, provide_context
from heavy import gettext as t
from reactpy import component, html

from heavy_stack.frontend.types import Component


@component
def NoticeProvider(*children: Component) -> Component:
    """Gives ``children`` a ``NoticeContext`` and shows its notice above them."""
    return html._(use_notice_banner(), *children)


def use_notice_banner() -> Component:
    """The notice banner, whose ``NoticeContext`` everything the calling component renders gets.

    The app root calls this rather than nesting a provider; render the banner once.
    """
    no_notice: str | None = None
    notice, show = heavy_use_state(no_notice)
    provide_context(NoticeContext, show)
    return NoticeBanner(notice, show)


@component
def NoticeBanner(notice: str | None, show: ShowNotice) -> Component:
    # Always in the page, so assistive technology announces the text when it appears.
    attributes = {"id": "app-notice", "role": "alert", "className": "notice notice-error" if notice else ""}
    if not notice:
        return html.div(attributes)

    def dismiss() -> None:
        show(None)

    return html.div(
        attributes,
        html.span({"id": "app-notice-text"}, notice),
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
