from __future__ import annotations

from reactpy import component

from heavy_stack.frontend.components import CenteredColumn, PageTitle, Paragraph, RouterLink
from heavy_stack.frontend.types import Component


@component
def OtherPage() -> Component:
    return CenteredColumn(
        PageTitle("The other page"),
        Paragraph("Routes are ReactPy components too: this one came over the same websocket."),
        Paragraph(RouterLink("← Back to the landing page", "/", id="to-landing")),
    )


@component
def NotFoundPage() -> Component:
    return CenteredColumn(
        PageTitle("Page not found"),
        Paragraph(RouterLink("Go to the landing page", "/", id="to-landing")),
    )
