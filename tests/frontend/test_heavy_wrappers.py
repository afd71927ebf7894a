"""heavy_event and heavy_use_effect: a session per async call, one transaction, errors logged."""

from __future__ import annotations

import asyncio
import functools
import logging
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from heavy import callable_name, is_async_callable
from heavy.data.db_connection import Database, db_session
from reactpy import component, html
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.model_managers.user_manager import UserManager
from heavy_stack.backend.data.model_mungers.user_mungers import UserMunger
from heavy_stack.backend.services.container import AppServices
from heavy_stack.frontend.components.notice import NoticeProvider
from heavy_stack.frontend.contexts import AppServicesContext
from heavy_stack.frontend.heavy_context import HeavyContext
from heavy_stack.frontend.hooks import FAILED, heavy_event, heavy_use_effect, heavy_use_state
from heavy_stack.frontend.types import Component
from heavy_stack.settings import PROJECT_ROOT
from heavy_stack_testing.page_driver import InProcessPage

seen: dict[str, Any] = {}


@component
def SignUpButtons(email: str) -> Component:
    """An async handler that writes, another that writes then fails, and a sync one."""
    status, set_status = heavy_use_state("idle")

    async def sign_up(context: HeavyContext, _event: dict[str, Any]) -> None:
        seen["session"] = context.db_session
        seen["current_session"] = db_session.get()
        await UserManager(UserMunger()).create(email, "Signed Up")
        set_status("signed up")

    async def sign_up_then_fail(context: HeavyContext, _event: dict[str, Any]) -> None:
        seen["session"] = context.db_session
        await UserManager(UserMunger()).create(email, "Half Done")
        set_status("half done")  # never shown: the transaction rolls back
        raise RuntimeError("payment provider is down")

    def count(*event_data: Any) -> None:
        seen["sync_args"] = event_data
        set_status("counted")

    return html.div(
        html.button({"id": "sign-up", "onClick": heavy_event(sign_up)}),
        html.button({"id": "sign-up-fail", "onClick": heavy_event(sign_up_then_fail)}),
        html.button({"id": "count", "onClick": heavy_event(count)}),
        html.p({"id": "status"}, status),
    )


@component
def LoadsOnMount() -> Component:
    name, set_name = heavy_use_state("")

    async def load(context: HeavyContext) -> None:
        seen["effect_session"] = context.db_session
        user = await UserManager(UserMunger()).get_or_create_demo_user()
        set_name(user.display_name)

    heavy_use_effect(load, [])
    return html.p({"id": "loaded"}, name or "loading")


def served(component: Component, services: AppServices) -> Component:
    return AppServicesContext(component, value=services)


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
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


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


async def test_sync_handler_gets_the_event_data_and_no_context(services: AppServices) -> None:
    async with InProcessPage.open(served(SignUpButtons("x@example.com"), services), router=False) as page:
        await page.click("count")
        await page.wait_for_text("status", "counted")

    assert seen["sync_args"] == ({},)


async def test_async_effect_loads_through_the_manager_and_closes_its_session(
    services: AppServices, database: Database
) -> None:
    async with InProcessPage.open(served(LoadsOnMount(), services), router=False) as page:
        await page.wait_for_text("loaded", "Demo User")
        await eventually(lambda: not seen["effect_session"].in_transaction())

    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


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
    async def __call__(self, context: HeavyContext, _event: dict[str, Any]) -> None:
        seen.setdefault("sessions", []).append(context.db_session)


class Handlers:
    async def method(self, context: HeavyContext, _event: dict[str, Any]) -> None:
        seen.setdefault("sessions", []).append(context.db_session)

    def sync_method(self, _event: dict[str, Any]) -> None:
        seen.setdefault("sync", []).append("method")


async def async_with_label(label: str, context: HeavyContext, _event: dict[str, Any]) -> None:
    seen.setdefault("sessions", []).append(context.db_session)
    seen.setdefault("labels", []).append(label)


def sync_with_label(label: str, _event: dict[str, Any]) -> None:
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
