"""The landing page: one small example of each pattern the template teaches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from heavy import (
    N_,
    current_language,
    heavy_event,
    heavy_use_context,
    heavy_use_effect,
    heavy_use_state,
    html,
    static_html,
)
from heavy import gettext as t
from reactpy import component, use_ref
from reactpy.utils import Ref

from heavy_stack.frontend.app_context import AppContext
from heavy_stack.frontend.brython_executors import BrythonExecutorContext
from heavy_stack.frontend.components import (
    Button,
    ButtonRow,
    CenteredColumn,
    ExpandableSection,
    Feedback,
    Form,
    FormMessage,
    LineInput,
    NumberInput,
    PageTitle,
    Paragraph,
    Preformatted,
    RouterLink,
    Section,
    keep_in,
)
from heavy_stack.frontend.timezone import format_in_zone, parse_timezone, use_timezone
from heavy_stack.frontend.types import Component
from heavy_stack.shared_models.user import User
from heavy_stack_brython.clipboard import copy_to_clipboard
from heavy_stack_brython.navigate import open_new_tab
from heavy_stack_brython.scrolling import scroll_to_element
from heavy_stack_brython.timezones import get_timezone

COPIED_TEXT = N_("Hello from The Heavy Stack!")

CLICK_FLOW = N_("""\
browser click
  → websocket event, checked against the type its handler declares (Click, Change...)
  → heavy_event handler (gets an AppContext, one DB transaction)
  → manager (business logic)  → repository (the only code that uses the session)
  → SQL model row  → munger  → shared model
  → context.on_commit(set_state, value): shown once the transaction has committed
  → ReactPy re-renders  → VDOM patch back over the websocket
""")


# A plain function, not a component: it keeps no state of its own (contexts only), so as a
# component it only cost every open page a layout level (docs/benchmarks.md, "Memory").
def LandingPage() -> Component:
    return CenteredColumn(
        PageTitle(t("The Heavy Stack")),
        Introduction(),
        BrowserSection(),
        CurrentUserSection(),
        ServerTimeSection(),
        EchoFormSection(),
        SquareSection(),
        ExpandableSection(
            t("How a click flows through the layers"), Preformatted(t(CLICK_FLOW)), id="click-flow"
        ),
        ExpandableSection(
            t("Where things live"),
            Preformatted(
                t(
                    "heavy_stack/backend/data/      sql_models, repositories, model_managers, model_mungers\n"
                    "heavy_stack/backend/services/  what the app does (accounts, note search)\n"
                    "heavy_stack/backend/web/       HTTP routes and middleware\n"
                    "heavy_stack/shared_models/     the domain as pages see it\n"
                    "heavy_stack/frontend/          pages and components\n"
                    "brython/                       Python that runs in the browser\n"
                    "docs/architecture.md           the rest, and the layer rules make lint checks"
                )
            ),
            id="layout-help",
        ),
        LinkToOther(),
    )


# The page's texts are the same for every visitor of a language: made once (heavy.static_html).
@static_html
def Introduction() -> Component:
    return Paragraph(t("Python from top to bottom: Sanic, ReactPy, SQLModel and Brython."))


@static_html
def LinkToOther() -> Component:
    return Paragraph(RouterLink(t("Go to the other page →"), "/other", id="to-other"))


@component
def CurrentUserSection() -> Component:
    """Reads and writes a user through manager → repository → munger, in the heavy wrappers."""
    no_user: User | None = None
    user, set_user = heavy_use_state(no_user)
    read_at, set_read_at = heavy_use_state(_now)
    new_name = use_ref("")
    error, set_error = heavy_use_state("")

    def show(found: User | None) -> None:
        set_user(found)
        set_read_at(_now())

    # The first visit makes this browser's demo user: a write, so shown once committed.
    async def load_user(context: AppContext) -> None:
        context.on_commit(show, await _visitors_user(context))

    async def rename(context: AppContext) -> None:
        renamed = user or await _visitors_user(context)
        try:
            context.on_commit(show, await context.managers.users.rename(renamed.id, new_name.current))
            context.on_commit(set_error, "")
        except ValueError as problem:  # the manager's message is meant for the user
            context.on_commit(set_error, str(problem))

    heavy_use_effect(load_user, [])
    text = (
        t("Loading…")
        if user is None
        else t("{name} <{email}>, member since {date}").format(
            name=user.display_name,
            email=user.email,
            date=current_language().format_date(user.member_since, use_timezone(), "long"),
        )
    )
    return Section(
        t("Current user"),
        Paragraph(text, id="current-user"),
        ReadAgain(user, read_at, show),
        Form(
            "rename-form",
            rename,
            LineInput(t("New display name"), keep_in(new_name), id="rename-input"),
            ButtonRow(Button(t("Rename"), id="rename-submit", type="submit")),
        ),
        FormMessage(Feedback.error(error), id="rename-error"),
    )


@component
def ReadAgain(user: User | None, read_at: datetime, show: Callable[[User | None], None]) -> Component:
    """When the user was read, and a button to read it again.

    State lives in the smallest component that needs it: a read that finds the row as shown
    re-renders only the line with its time (``ReadAtLine``, whose setter it is handed through
    a ref: the button, its handler and its row are not rendered and sent again); one that finds
    it changed (renamed in another tab) shows it through the section.
    """
    set_read_again_at: Ref[StateSetter | None] = use_ref(None)  # the line's, once it has rendered

    # A click that comes before the first load has ended (a fast hand, a slow database) acts on
    # the visitor's user all the same, instead of doing nothing: that may write (the demo user is
    # made on a first visit). Once the user is known it only reads, on a read replica if there
    # is one (and sees this visitor's own rename: read-your-writes, docs/database-tier.md).
    async def read_again(context: AppContext) -> None:
        found = await context.managers.users.get(user.id) if user else await _visitors_user(context)
        if found == user and set_read_again_at.current is not None:
            context.on_commit(set_read_again_at.current, _now())
        else:
            context.on_commit(show, found)

    return html._(
        ReadAtLine(read_at, set_read_again_at),
        ButtonRow(
            Button(t("Read again"), heavy_event(read_again, reads_only=user is not None), id="read-user")
        ),
    )


@component
def ReadAtLine(read_at: datetime, setter: Ref[StateSetter | None]) -> Component:
    """The time the user was last read: ``read_at`` (the section's) or a later "Read again"."""
    no_time: datetime | None = None
    read_again_at, set_read_again_at = heavy_use_state(no_time)
    setter.current = set_read_again_at
    latest = read_at if read_again_at is None else max(read_at, read_again_at)
    return Paragraph(
        t("Read from the database at {time}").format(time=format_in_zone(latest, use_timezone())),
        id="user-read-at",
    )


StateSetter = Callable[[datetime], None]


async def _visitors_user(context: AppContext) -> User:
    # The signed-in user, or this browser's demo user (made on its first visit).
    demo_users = context.managers.users
    return context.user or await demo_users.get_or_create_demo_user(context.visitor.browser_binding)


@component
def ServerTimeSection() -> Component:
    now, set_now = heavy_use_state(_now)
    update = heavy_event(lambda: set_now(_now()))
    return Section(
        t("Server time, in your time zone"),
        Paragraph(format_in_zone(now, use_timezone()), id="server-time"),
        ButtonRow(Button(t("Update time"), update, id="update-time")),
        id="time",
    )


@component
def BrowserSection() -> Component:
    """Brython examples: the server asks the browser to act, and hears back.

    Brython loads with the first call (static/js/heavy_bridge.js), so this page shows without
    it; the time zone comes from heavy's cookie, and Brython's own answer on request.
    """
    executor = heavy_use_context(BrythonExecutorContext)
    zone = use_timezone()
    copy_result, set_copy_result = heavy_use_state("")
    brython_zone, set_brython_zone = heavy_use_state("")

    def scroll_to_time() -> None:
        if executor is not None:
            executor.call(scroll_to_element, element_id="time")

    def open_other_tab() -> None:
        if executor is not None:
            executor.call(open_new_tab, url="/other")

    def copy_text() -> None:
        if executor is not None:
            executor.call(
                copy_to_clipboard,
                result_callback=lambda copied: set_copy_result(
                    t("Copied.") if copied is True else t("The browser refused to copy.")
                ),
                text=t(COPIED_TEXT),
            )

    def show_brython_zone(answer: object) -> None:
        told = parse_timezone(answer)
        set_brython_zone(t("Brython says: {zone}").format(zone=told.key if told else "?"))

    def ask_brython_for_the_zone() -> None:
        if executor is not None:
            executor.call(get_timezone, result_callback=show_brython_zone)

    return Section(
        t("Your browser (Brython)"),
        Paragraph(
            t("Time zone: "),
            html.strong({"id": "browser-timezone"}, zone.key if zone else t("asking your browser…")),
        ),
        ButtonRow(
            Button(t("Scroll to the time"), heavy_event(scroll_to_time), id="scroll-to-time"),
            Button(t("Open the other page in a new tab"), heavy_event(open_other_tab), id="open-other-tab"),
            Button(t("Copy a greeting"), heavy_event(copy_text), id="copy-text"),
            Button(
                t("Ask Brython for the time zone"), heavy_event(ask_brython_for_the_zone), id="ask-timezone"
            ),
        ),
        Paragraph(copy_result, id="copy-result"),
        Paragraph(brython_zone, id="brython-timezone"),
        id="browser",
    )


@component
def EchoFormSection() -> Component:
    # The draft lives in a ref, not state: a submit that arrives right after the last
    # keystroke, before the re-render, must still see the latest text.
    draft = use_ref("")
    submitted, set_submitted = heavy_use_state("")

    def submit() -> None:
        set_submitted(draft.current.strip())

    return Section(
        t("A form"),
        Form(
            "echo-form",
            submit,
            LineInput(t("Say something"), keep_in(draft), id="echo-input", placeholder=t("Hello")),
            ButtonRow(Button(t("Submit"), id="echo-submit", type="submit")),
        ),
        Paragraph(
            t("You said: {text}").format(text=submitted) if submitted else t("Nothing submitted yet."),
            id="echo-result",
        ),
    )


@component
def SquareSection() -> Component:
    no_number: int | None = None
    number, set_number = heavy_use_state(no_number)
    language = current_language()
    result = (
        ""
        if number is None
        else t("{number} squared is {square}.").format(
            number=language.format_number(number), square=language.format_number(number * number)
        )
    )
    return Section(
        t("A number"),
        NumberInput(t("Pick a whole number"), set_number, id="number-input"),
        Paragraph(result, id="number-result"),
    )


def _now() -> datetime:
    return datetime.now(UTC)
