"""The page of any address no route matches."""

from __future__ import annotations

from heavy import gettext as t
from reactpy import component

from heavy_stack.frontend.components import CenteredColumn, PageTitle, Paragraph, RouterLink
from heavy_stack.frontend.types import Component


@component
def NotFoundPage() -> Component:
    return CenteredColumn(
        PageTitle(t("Page not found")),
        Paragraph(RouterLink(t("Go to the landing page"), "/", id="to-landing")),
    )
