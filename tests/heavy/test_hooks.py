"""The heavy hooks: a unit of work per async call, shown once committed, errors logged.

Handlers here really commit (the ``services`` fixture): what PostgreSQL does is what is tested.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from heavy import (
    FAILED,
    Click,
    HeavyContext,
    PendingUpdates,
    ProvidedServices,
    ServicesContext,
    callable_name,
    finish_abandoned_work,
    heavy_event,
    heavy_use_effect,
    heavy_use_state,
    is_async_callable,
)
from heavy.data.db_connection import Database, db_session
from heavy.data.held_connection import release_held_connection
from heavy.data.replicas import read_as, start_read_scope
from heavy.live.layout import LiveLayout
from heavy.live.serve import PageClosed, serve_live_layout
from heavy.stream.layout_mirror import LayoutMirror
from heavy.testing.page_driver import InProcessPage
from reactpy import component, html, use_ref
from reactpy.core.types import LayoutEventMessage, LayoutUpdateMessage
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.model_managers.user_manager import UserManager
from heavy_stack.backend.data.model_mungers.user_mungers import UserMunger
from heavy_stack.backend.services.container import AppServices
from heavy_stack.frontend.components.notice import NoticeProvider
from heavy_stack.frontend.types import Component
from heavy_stack.settings import PROJECT_ROOT

from tests.heavy.loop_turns import TurnCounter

Context = HeavyContext[AppServices]

seen: dict[str, Any] = {}


@component
def SignUpButtons(email: str) -> Component:
    """An async handler that writes, another that writes then fails, and a sync one."""
    status, set_status = heavy_use_state("idle")

    async def sign_up(context: Context) -> None:
        seen["session"] = context.db_session
        seen["current_session"] = db_session.get()
        await UserManager(UserMunger()).create(email, "Signed Up")
        context.on_commit(set_status, "signed up")

    async def sign_up_then_fail(context: Context) -> None:
        seen["session"] = context.db_session
        await UserManager(UserMunger()).create(email, "Half Done")
        context.on_commit(set_status, "half done")  # never shown: the transaction rolls back
        raise RuntimeError("payment provider is down")

    def count(event: Click) -> None:
        seen["sync_args"] = (event,)
        set_status("counted")

    return html.div(
        html.button({"id": "sign-up", "onClick": heavy_event(sign_up)}),
        html.button({"id": "sign-up-fail", "onClick": heavy_event(sign_up_then_fail)}),
        html.button({"id": "count", "onClick": heavy_event(count)}),
        html.p({"id": "status"}, status),
    )


@component
def LoadsOnMount(browser_binding: str | None = None) -> Component:
    name, set_name = heavy_use_state("")

    async def load(context: Context) -> None:
        seen["effect_session"] = context.db_session
        user = await UserManager(UserMunger()).get_or_create_demo_user(browser_binding)
        context.on_commit(set_name, user.display_name)

    heavy_use_effect(load, [])
    return html.p({"id": "loaded"}, name or "loading")


def served(component: Component, services: AppServices) -> Component:
    """``component`` under the services, as a root's ``provide_services(services)`` does."""
    return ServicesContext(component, value=ProvidedServices(services))


@pytest.fixture(autouse=True)
def _forget_what_was_seen() -> None:
    seen.clear()


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for work that finishes after the render the page saw (a commit, a log line)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - polling state owned by ReactPy and logging
            await asyncio.sleep(0.01)


def failures_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "payment provider is down" in str(r.exc_info)]


async def count_users(database: Database, email: str) -> int:
    async with database.transaction():
        return 0 if await UserManager(UserMunger()).get_by_email(email) is None else 1


async def test_async_handler_gets_a_live_session_and_its_work_is_committed(
    services: AppServices, database: Database
) -> None:
    email = "wrapper-commit@example.com"
    async with InProcessPage.open(served(SignUpButtons(email), services), router=False) as page:
        await page.click("sign-up")
        await page.wait_for_text("status", "signed up")
        await eventually(lambda: not seen["session"].in_transaction())

    assert seen["current_session"] is seen["session"]
    assert await count_users(database, email) == 1


async def test_session_is_closed_after_the_handler(services: AppServices, database: Database) -> None:
    async with InProcessPage.open(
        served(SignUpButtons("wrapper-closed@example.com"), services), router=False
    ) as page:
        await page.click("sign-up")
        await page.wait_for_text("status", "signed up")
        # The render can reach the page just before the handler's commit ends.
        await eventually(lambda: not seen["session"].in_transaction())

    session: AsyncSession = seen["session"]
    assert session.get_transaction() is None
    assert await connections_in_use(database) == 0


async def test_a_failing_handler_is_logged_and_leaves_no_partial_write(
    services: AppServices, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    email = "wrapper-rollback@example.com"
    with caplog.at_level(logging.ERROR):
        async with InProcessPage.open(served(SignUpButtons(email), services), router=False) as page:
            await page.click("sign-up-fail")
            await eventually(lambda: bool(failures_logged(caplog)))
            await page.click("count")  # the page still answers after the failure
            await page.wait_for_text("status", "counted")

    assert await count_users(database, email) == 0
    assert not seen["session"].in_transaction()
    errors = failures_logged(caplog)
    assert len(errors) == 1
    assert errors[0].getMessage() == (
        "Error in SignUpButtons.<locals>.sign_up_then_fail of component SignUpButtons"
    )


async def test_state_set_by_a_failing_handler_is_dropped_and_the_notice_says_so(
    services: AppServices, database: Database
) -> None:
    email = "wrapper-honest@example.com"
    page_with_notices = served(NoticeProvider(SignUpButtons(email)), services)
    async with InProcessPage.open(page_with_notices, router=False) as page:
        await page.click("sign-up-fail")
        await page.wait_for_text("app-notice", FAILED)
        assert page.text("status") == "idle"
        assert page.layout.find(id="app-notice").attributes["role"] == "alert"

        await page.click("sign-up")  # a later success shows, and clears the notice
        await page.wait_for_text("status", "signed up")
        assert page.text("app-notice") == ""
    assert await count_users(database, email) == 1


async def test_sync_handler_gets_its_typed_event_and_no_context(services: AppServices) -> None:
    async with InProcessPage.open(served(SignUpButtons("x@example.com"), services), router=False) as page:
        await page.click("count")
        await page.wait_for_text("status", "counted")

    assert seen["sync_args"] == (Click(),)


@pytest.mark.parametrize("visit", ["first", "later"])
async def test_async_effect_loads_through_the_manager_and_closes_its_session(
    services: AppServices, database: Database, visit: str
) -> None:
    # A first visit makes the browser's demo user; a later one finds it with one read by a unique
    # column, past the session (which nothing uses, then: it must not begin anything).
    binding = f"binding-{uuid.uuid4()}"
    if visit == "later":
        async with database.transaction():
            await UserManager(UserMunger()).get_or_create_demo_user(binding)
    async with InProcessPage.open(served(LoadsOnMount(binding), services), router=False) as page:
        await page.wait_for_text("loaded", "Demo User")
        await eventually(lambda: not seen["effect_session"].in_transaction())

    assert await connections_in_use(database) == 0


def test_raw_reactpy_hooks_are_a_lint_error_naming_the_heavy_version(tmp_path: Path) -> None:
    module = tmp_path / "page.py"
    module.write_text(
        "from reactpy import event, use_effect\nimport reactpy\nreactpy.use_effect(lambda: None)\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--config",
            str(PROJECT_ROOT / "pyproject.toml"),
            "--select",
            "TID251",
            str(module),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.count("TID251") == 3
    assert "heavy_use_effect" in result.stdout
    assert "heavy_event" in result.stdout


class AsyncCallable:
    async def __call__(self, context: Context) -> None:
        seen.setdefault("sessions", []).append(context.db_session)


class Handlers:
    async def method(self, context: Context) -> None:
        seen.setdefault("sessions", []).append(context.db_session)

    def sync_method(self) -> None:
        seen.setdefault("sync", []).append("method")


async def async_with_label(label: str, context: Context) -> None:
    seen.setdefault("sessions", []).append(context.db_session)
    seen.setdefault("labels", []).append(label)


def sync_with_label(label: str) -> None:
    seen.setdefault("sync", []).append(label)


ASYNC_KINDS = {
    "function": async_with_label,
    "bound method": Handlers().method,
    "callable object": AsyncCallable(),
    "partial": functools.partial(async_with_label, "partial"),
    "partial of a partial": functools.partial(functools.partial(async_with_label), "twice"),
    "partial of a callable object": functools.partial(AsyncCallable()),
}
SYNC_KINDS = {
    "function": sync_with_label,
    "bound method": Handlers().sync_method,
    "partial": functools.partial(sync_with_label, "partial"),
    "lambda": lambda _event: None,
    "class": Handlers,
    "builtin": print,
}


@pytest.mark.parametrize("handler", ASYNC_KINDS.values(), ids=ASYNC_KINDS.keys())
def test_every_kind_of_async_callable_is_async(handler: Callable[..., Any]) -> None:
    assert is_async_callable(handler)


@pytest.mark.parametrize("handler", SYNC_KINDS.values(), ids=SYNC_KINDS.keys())
def test_sync_callables_are_not(handler: Callable[..., Any]) -> None:
    assert not is_async_callable(handler)


def test_a_partial_is_named_after_its_function() -> None:
    assert callable_name(functools.partial(async_with_label, "x")) == "async_with_label"
    assert callable_name(AsyncCallable()) == "AsyncCallable"


@component
def HandlersOfEveryKind() -> Component:
    kinds: list[Callable[..., Awaitable[None]]] = [
        Handlers().method,
        AsyncCallable(),
        functools.partial(async_with_label, "partial"),
        functools.partial(AsyncCallable()),
    ]
    return html.div(
        *(
            html.button({"id": f"kind-{index}", "onClick": heavy_event(kind)})
            for index, kind in enumerate(kinds)
        )
    )


async def test_async_handlers_of_every_kind_get_a_context_with_a_session(services: AppServices) -> None:
    async with InProcessPage.open(served(HandlersOfEveryKind(), services), router=False) as page:
        for index in range(4):
            await page.click(f"kind-{index}")
        await eventually(lambda: len(seen.get("sessions", [])) == 4)
    assert all(isinstance(session, AsyncSession) for session in seen["sessions"])
    assert seen["labels"] == ["partial"]


@component
def EffectsOfEveryKind() -> Component:
    kinds: list[Callable[..., Awaitable[None]]] = [
        EffectHandlers().method,
        AsyncEffect(),
        functools.partial(effect_with_label, "partial"),
        functools.partial(AsyncEffect()),
    ]
    for kind in kinds:
        heavy_use_effect(kind, [])
    return html.p("effects")


class AsyncEffect:
    async def __call__(self, context: Context) -> None:
        seen.setdefault("effect_sessions", []).append(context.db_session)


class EffectHandlers:
    async def method(self, context: Context) -> None:
        seen.setdefault("effect_sessions", []).append(context.db_session)


async def effect_with_label(label: str, context: Context) -> None:
    seen.setdefault("effect_sessions", []).append(context.db_session)
    seen.setdefault("effect_labels", []).append(label)


async def test_async_effects_of_every_kind_get_a_context_with_a_session(services: AppServices) -> None:
    async with InProcessPage.open(served(EffectsOfEveryKind(), services), router=False):
        await eventually(lambda: len(seen.get("effect_sessions", [])) == 4)
    assert all(isinstance(session, AsyncSession) for session in seen["effect_sessions"])
    assert seen["effect_labels"] == ["partial"]


# What the page shows: a setter applies at once; context.on_commit waits for the commit.


@component
def SavesWithProgress(email: str, go_on: asyncio.Event) -> Component:
    status, set_status = heavy_use_state("idle")
    draft = use_ref("a draft")

    async def save(context: Context) -> None:
        set_status("saving…")  # at once: it says nothing about the write
        await go_on.wait()
        await UserManager(UserMunger()).create(email, "Saved")
        context.on_commit(set_status, "saved")
        context.on_commit(clear_draft)  # no arguments: called as it is

    def clear_draft() -> None:
        draft.current = ""

    return html.div(
        html.button({"id": "save", "onClick": heavy_event(save)}),
        html.p({"id": "status"}, status),
        html.p({"id": "draft"}, draft.current),
    )


async def test_a_setter_applies_at_once_and_on_commit_after_the_commit(
    services: AppServices, database: Database
) -> None:
    email = "wrapper-progress@example.com"
    go_on = asyncio.Event()
    async with InProcessPage.open(served(SavesWithProgress(email, go_on), services), router=False) as page:
        await page.click("save")
        await page.wait_for_text("status", "saving…")  # shown while the unit is still open
        assert await count_users(database, email) == 0
        go_on.set()
        await page.wait_for_text("status", "saved")
        assert page.text("draft") == ""  # the ref changed with the commit, before the render
    assert await count_users(database, email) == 1


def test_on_commit_changes_wait_for_apply_and_are_dropped_on_rollback() -> None:
    made: list[str] = []
    committed, rolled_back = PendingUpdates(), PendingUpdates()
    for pending in (committed, rolled_back):
        context = HeavyContext(object(), object(), pending=pending)  # type: ignore[arg-type,type-var]
        context.on_commit(made.append, "first")
        context.on_commit(lambda: made.append("second"))
    assert made == []
    rolled_back.discard()
    committed.apply()
    assert made == ["first", "second"]


# reads_only: a read-only unit of work, checked on what PostgreSQL does.


@component
def ReadsOnly(email: str) -> Component:
    status, set_status = heavy_use_state("idle")

    async def read_mode(context: Context) -> None:
        mode = await context.db_session.scalar(text("SHOW transaction_read_only"))
        seen.setdefault("modes", []).append((context.read_only, mode))
        set_status(f"read-only: {mode}")  # a read-only unit writes nothing: shown at once

    async def writes_anyway(context: Context) -> None:
        await UserManager(UserMunger()).create(email, "Not Allowed")
        context.on_commit(set_status, "written")

    return html.div(
        html.button({"id": "read", "onClick": heavy_event(read_mode, reads_only=True)}),
        html.button({"id": "read-and-write", "onClick": heavy_event(read_mode)}),
        html.button({"id": "write", "onClick": heavy_event(writes_anyway, reads_only=True)}),
        html.p({"id": "status"}, status),
    )


async def test_a_reads_only_handler_runs_in_a_read_only_unit(services: AppServices) -> None:
    async with InProcessPage.open(served(ReadsOnly("x@example.com"), services), router=False) as page:
        await page.click("read")
        await page.wait_for_text("status", "read-only: on")
        await page.click("read-and-write")
        await page.wait_for_text("status", "read-only: off")
    assert seen["modes"] == [(True, "on"), (False, "off")]


async def test_a_write_in_a_reads_only_handler_is_refused_and_said_clearly(
    services: AppServices, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    email = "wrapper-read-only@example.com"
    page_with_notices = served(NoticeProvider(ReadsOnly(email)), services)
    with caplog.at_level(logging.ERROR):
        async with InProcessPage.open(page_with_notices, router=False) as page:
            await page.click("write")
            await page.wait_for_text("app-notice", FAILED)
            assert page.text("status") == "idle"
    assert await count_users(database, email) == 0
    [logged] = [r for r in caplog.records if "reads_only" in r.getMessage()]
    assert logged.getMessage().startswith(
        "ReadsOnly.<locals>.writes_anyway in ReadsOnly is reads_only but tried to write; nothing was stored."
    )
    assert "read-only transaction" in logged.getMessage()
    assert logged.exc_info is None  # a mistake in the page, said in one line


@component
def LoadsReadOnly() -> Component:
    mode, set_mode = heavy_use_state("loading")

    async def load(context: Context) -> None:
        set_mode(str(await context.db_session.scalar(text("SHOW transaction_read_only"))))

    heavy_use_effect(load, [], reads_only=True)
    return html.p({"id": "mode"}, mode)


async def test_a_reads_only_effect_runs_in_a_read_only_unit(services: AppServices) -> None:
    async with InProcessPage.open(served(LoadsReadOnly(), services), router=False) as page:
        await page.wait_for_text("mode", "on")


# The product's own context: a subclass, made for each unit, whose begin runs first.


class LabelledContext(HeavyContext[AppServices]):
    __slots__ = ("label",)

    def __init__(self, services: AppServices, db_session: AsyncSession, *, label: str, **unit: Any) -> None:
        super().__init__(services, db_session, **unit)
        self.label = label

    async def begin(self) -> None:
        seen.setdefault("begun", []).append((self.label, db_session.get() is self.db_session))


@component
def UsesTheProductContext() -> Component:
    async def handler(context: LabelledContext) -> None:
        seen.setdefault("handled", []).append((type(context).__name__, context.label))

    return html.button({"id": "go", "onClick": heavy_event(handler)})


async def test_handlers_get_the_context_the_root_provides_and_its_begin_runs_first(
    services: AppServices,
) -> None:
    provided = ProvidedServices(services, functools.partial(LabelledContext, label="this connection"))
    async with InProcessPage.open(
        ServicesContext(UsesTheProductContext(), value=provided), router=False
    ) as page:
        await page.click("go")
        await eventually(lambda: "handled" in seen)
    assert seen["begun"] == [("this connection", True)]
    assert seen["handled"] == [("LabelledContext", "this connection")]


async def click_then_close(root: Component, *button_ids: str) -> None:
    """Serve ``root`` as a page that clicks ``button_ids`` once it is rendered and closes at once:
    the server reads the clicks and the close without a wait between."""
    mirror = LayoutMirror()
    rendered = asyncio.Event()
    incoming: list[LayoutEventMessage | None] = []

    async def send(update: LayoutUpdateMessage) -> None:
        mirror.apply(json.loads(json.dumps(update)))
        rendered.set()

    async def receive() -> LayoutEventMessage:
        if not incoming:
            await rendered.wait()
            clicks = [mirror.find(id=button_id).target("onClick") for button_id in button_ids]
            events: list[LayoutEventMessage] = [
                {"type": "layout-event", "target": click, "data": [{}]} for click in clicks
            ]
            incoming.extend([*events, None])
        message = incoming.pop(0)
        if message is None:
            raise PageClosed
        return message

    await serve_live_layout(LiveLayout(root), send, receive)


async def test_a_click_read_with_the_close_of_its_page_is_stored(
    services: AppServices, database: Database
) -> None:
    """The page sent a click and closed at once: the click's unit runs to its end all the same."""
    email = "read-with-the-close@example.com"
    await click_then_close(served(SignUpButtons(email), services), "sign-up")
    await finish_abandoned_work(within=5)
    assert await count_users(database, email) == 1


@component
def LoadsWhenShown(counter: TurnCounter, began: list[int]) -> Component:
    name, set_name = heavy_use_state("")

    async def load(context: Context) -> None:
        began.append(counter.turns)
        context.on_commit(set_name, "loaded")

    heavy_use_effect(load, [])
    return html.p({"id": "loaded"}, name or "loading")


async def test_an_effects_unit_begins_in_the_turn_after_the_page_is_sent(services: AppServices) -> None:
    """Effects start once the page's update has gone out (the next turn); the effect's task and
    its unit of work then start eagerly (``heavy.live.eager_task``), not each a turn later: under
    load each turn waits for every other page's ready work, and "Loading…" shows that long."""
    counter = TurnCounter()
    began: list[int] = []
    sent: list[int] = []
    shown = LayoutMirror()
    loaded = asyncio.Event()

    async def send(update: LayoutUpdateMessage) -> None:
        sent.append(counter.turns)
        shown.apply(json.loads(json.dumps(update)))
        if shown.find(id="loaded").text == "loaded":
            loaded.set()

    async def receive() -> LayoutEventMessage:
        await asyncio.wait_for(loaded.wait(), 5)
        raise PageClosed

    await serve_live_layout(LiveLayout(served(LoadsWhenShown(counter, began), services)), send, receive)
    counter.stop()
    assert began == [sent[0] + 1]


@component
def AsyncThenSync(began: list[str]) -> Component:
    async def slow(_event: Any) -> None:
        began.append("async")
        await asyncio.sleep(0)

    def quick(_event: Any) -> None:
        began.append("sync")

    return html._(
        html.button({"id": "slow", "onClick": slow}), html.button({"id": "quick", "onClick": quick})
    )


@pytest.mark.parametrize("clicks", [("slow", "quick"), ("quick", "slow"), ("quick", "slow", "quick")])
async def test_handlers_begin_in_the_order_their_events_came(clicks: tuple[str, ...]) -> None:
    """A plain function's handler runs as its event is read, without a task of its own, but not
    before the task of an async handler whose event came first has begun."""
    began: list[str] = []
    await click_then_close(AsyncThenSync(began), *clicks)
    assert began == ["async" if click == "slow" else "sync" for click in clicks]


@component
def SlowSave(saved: asyncio.Event, go_on: asyncio.Event) -> Component:
    async def save(context: Context) -> None:
        await go_on.wait()
        saved.set()

    return html.button({"id": "save", "onClick": heavy_event(save)})


@component
def ReadsOnOpen(saved: asyncio.Event) -> Component:
    seen_save, set_seen_save = heavy_use_state("not read")

    async def read(context: Context) -> None:
        context.on_commit(set_seen_save, "after the save" if saved.is_set() else "before the save")

    heavy_use_effect(read, [])
    return html.p({"id": "read"}, seen_save)


async def test_the_visitors_next_page_reads_after_a_save_its_closed_page_left_running(
    services: AppServices,
) -> None:
    """A save sent just before the tab closed still runs when the same visitor's next page (a
    reload) reads: the read waits for it, so the page shows the save."""
    start_read_scope()
    read_as("a browser's binding")
    saved, go_on = asyncio.Event(), asyncio.Event()
    await click_then_close(served(SlowSave(saved, go_on), services), "save")
    async with InProcessPage.open(served(ReadsOnOpen(saved), services), router=False) as page:
        go_on.set()
        await page.wait_until(lambda: page.text("read") != "not read")
        assert page.text("read") == "after the save"


async def connections_in_use(database: Database) -> int:
    """Connections still checked out of ``database``'s pool once the one kept between reads by
    key is given back: a unit that did not close its session would leave one more."""
    await release_held_connection(database.engine)
    return database.engine.pool.checkedout()  # type: ignore[attr-defined,no-any-return]
