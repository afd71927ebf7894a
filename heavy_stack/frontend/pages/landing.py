"""The landing page: one small example of each pattern the template teaches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reactpy import component, html, use_ref, use_state

from heavy_stack.backend.data.model_managers.user_manager import UserManager
from heavy_stack.backend.data.model_mungers.user_mungers import UserMunger
from heavy_stack.frontend.components import (
    Button,
    CenteredColumn,
    ExpandableSection,
    LineInput,
    NumberInput,
    PageTitle,
    Paragraph,
    Preformatted,
    RouterLink,
    Section,
)
from heavy_stack.frontend.heavy_context import HeavyContext
from heavy_stack.frontend.reactpy_util import heavy_event, heavy_use_effect
from heavy_stack.frontend.types import Component
from heavy_stack.shared_models.user import User

CLICK_FLOW = """\
browser click
  → websocket event → heavy_event handler (gets a HeavyContext, one DB transaction)
  → manager (business logic)  → repository (the only code that uses the session)
  → SQL model row  → munger  → shared model
  → component state  → ReactPy re-renders  → VDOM patch back over the websocket
"""


@component
def LandingPage() -> Component:
    return CenteredColumn(
        PageTitle("The Heavy Stack"),
        Paragraph("Python from top to bottom: Sanic, ReactPy, SQLModel and Brython."),
        CurrentUserSection(),
        ServerTimeSection(),
        EchoFormSection(),
        SquareSection(),
        ExpandableSection("How a click flows through the layers", Preformatted(CLICK_FLOW), id="click-flow"),
        ExpandableSection(
            "Where things live",
            Preformatted(
                "heavy_stack/backend/data/  sql_models, repositories, model_managers, model_mungers\n"
                "heavy_stack/shared_models/ the domain as pages see it\n"
                "heavy_stack/frontend/      pages and components\n"
                "brython/                   Python that runs in the browser"
            ),
            id="layout-help",
        ),
        Paragraph(RouterLink("Go to the other page →", "/other", id="to-other")),
    )


@component
def CurrentUserSection() -> Component:
    """Loads a user through manager → repository → munger inside ``heavy_use_effect``."""
    no_user: User | None = None
    user, set_user = use_state(no_user)

    async def load_user(context: HeavyContext) -> None:
        set_user(context.user or await UserManager(UserMunger()).get_or_create_demo_user())

    heavy_use_effect(load_user, [])
    text = (
        "Loading…"
        if user is None
        else f"{user.display_name} <{user.email}>, member since {user.member_since:%d %B %Y}"
    )
    return Section("Current user", Paragraph(text, id="current-user"))


@component
def ServerTimeSection() -> Component:
    now, set_now = use_state(_server_time)
    update = heavy_event(lambda _event: set_now(_server_time()))
    return Section(
        "Server time",
        Paragraph(now, id="server-time"),
        Button("Update time", update, id="update-time"),
        id="time",
    )


@component
def EchoFormSection() -> Component:
    # The draft lives in a ref, not state: a submit that arrives right after the last
    # keystroke, before the re-render, must still see the latest text.
    draft = use_ref("")
    submitted, set_submitted = use_state("")

    def remember(text: str) -> None:
        draft.current = text

    def submit(_event: dict[str, Any]) -> None:
        set_submitted(draft.current.strip())

    return Section(
        "A form",
        html.form(
            {"id": "echo-form", "onSubmit": heavy_event(submit, prevent_default=True)},
            LineInput("Say something", remember, id="echo-input", placeholder="Hello"),
            Button("Submit", id="echo-submit", type="submit"),
        ),
        Paragraph(f"You said: {submitted}" if submitted else "Nothing submitted yet.", id="echo-result"),
    )


@component
def SquareSection() -> Component:
    no_number: int | None = None
    number, set_number = use_state(no_number)
    result = "" if number is None else f"{number:,} squared is {number * number:,}."
    return Section(
        "A number",
        NumberInput("Pick a whole number", set_number, id="number-input"),
        Paragraph(result, id="number-result"),
    )


def _server_time() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3] + " UTC"
