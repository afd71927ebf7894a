"""The server end of the Brython bridge: calls the page receives, answers it sends back."""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import pkgutil
from typing import Any

import pytest
from reactpy_bridge import CALLABLE_MARK

import heavy_stack_brython
from heavy_stack.frontend.brython_executors import (
    KEPT_CALLS,
    LOAD_SCRIPT,
    MAX_RESULT_CHARS,
    BrythonAnswer,
    BrythonCall,
    BrythonExecutor,
    BrythonLoad,
)
from heavy_stack_brython.navigate import open_new_tab
from heavy_stack_testing.brython import answer_brython, brython_calls
from heavy_stack_testing.fixtures.pages import OpenPage


def brython_functions() -> list[Any]:
    functions = []
    for module_info in pkgutil.iter_modules(heavy_stack_brython.__path__):
        module = importlib.import_module(f"heavy_stack_brython.{module_info.name}")
        functions += [
            f
            for name, f in inspect.getmembers(module, inspect.isfunction)
            if not name.startswith("_") and f.__module__ == module.__name__
        ]
    return functions


@pytest.mark.parametrize("function", brython_functions(), ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_every_shipped_brython_function_imports_on_the_server_marked_and_keyword_only(function: Any) -> None:
    assert getattr(function, CALLABLE_MARK, False)
    parameters = inspect.signature(function).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters)


def test_the_shipped_modules_cover_what_pages_need() -> None:
    names = {f"{f.__module__.rsplit('.', 1)[-1]}.{f.__name__}" for f in brython_functions()}
    assert {
        "navigate.navigate_to",
        "navigate.open_new_tab",
        "scrolling.scroll_to_element",
        "storage.get_item",
        "storage.set_item",
        "cookies.get_cookie",
        "cookies.set_cookie",
        "timezones.get_timezone",
        "clipboard.copy_to_clipboard",
    } <= names


class TestExecutorCall:
    def make(self) -> tuple[BrythonExecutor, list[BrythonCall | BrythonLoad]]:
        sent: list[BrythonCall | BrythonLoad] = []
        return BrythonExecutor(sent.append), sent

    def test_sends_module_function_and_json_arguments(self) -> None:
        executor, sent = self.make()
        executor.call(open_new_tab, url="/other")
        [call] = sent
        assert isinstance(call, BrythonCall)
        assert (call.module, call.name, json.loads(call.kwargs_json)) == (
            "heavy_stack_brython.navigate",
            "open_new_tab",
            {"url": "/other"},
        )
        assert not call.wants_reply

    def test_asks_the_page_to_load_brython_ahead_once(self) -> None:
        executor, sent = self.make()
        executor.load_soon()
        executor.load_soon()
        assert [item.script() for item in sent] == [LOAD_SCRIPT]

    def test_refuses_a_function_not_marked_for_the_browser(self) -> None:
        executor, sent = self.make()
        with pytest.raises(TypeError, match="mark it @called_from_reactpy"):
            executor.call(print, text="hi")
        assert sent == []

    @pytest.mark.parametrize("bad", [object(), float("nan"), {1, 2}])
    def test_refuses_arguments_that_are_not_json(self, bad: object) -> None:
        executor, _ = self.make()
        with pytest.raises(TypeError, match="JSON-serialisable"):
            executor.call(open_new_tab, url=bad)

    def test_refuses_oversized_arguments(self) -> None:
        executor, _ = self.make()
        with pytest.raises(ValueError, match="exceed"):
            executor.call(open_new_tab, url="x" * 100_000)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "not json",
        json.dumps(["a", "list"]),
        json.dumps({"id": 3, "ok": True}),
        json.dumps({"id": "c0", "ok": True, "value": "x" * MAX_RESULT_CHARS}),
        json.dumps({"id": "no-such-call", "ok": True, "value": 1}),
    ],
)
def test_bad_answers_fit_no_handler_and_answer_no_call(raw: object) -> None:
    got: list[Any] = []
    executor = BrythonExecutor(lambda call: None)
    executor.call(open_new_tab, result_callback=got.append, url="/")
    answer = BrythonAnswer.parse([{"target": {"value": raw}}])
    if answer is not None:  # the right shape, for a call nobody made
        executor.receive(answer)
    assert got == []


async def test_the_landing_page_calls_brython_only_when_asked(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        # Nothing on mount: the time zone comes from heavy's cookie, so the page needs no
        # Brython (and the browser does not load it) until a button asks for it.
        assert brython_calls(page) == []
        await page.click("ask-timezone")
        await page.wait_until(lambda: bool(brython_calls(page)))
        [call] = brython_calls(page)
        assert (call["name"], call["reply"]) == ("get_timezone", True)

        await answer_brython(page, call["id"], {"name": "Asia/Tokyo", "offset_minutes": 540})

        await page.wait_for_text("brython-timezone", "Brython says: Asia/Tokyo")


@pytest.mark.parametrize(
    "answer",
    [{"name": "Mars/Olympus_Mons"}, {"name": "../../etc/passwd"}, {"name": "x" * 500}, "Europe/Paris", 42],
)
async def test_a_bad_time_zone_answer_is_ignored(
    open_page: OpenPage, answer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_page("/") as page:
        await page.click("ask-timezone")
        await page.wait_until(lambda: bool(brython_calls(page)))
        [call] = brython_calls(page)
        with caplog.at_level(logging.WARNING):
            await answer_brython(page, call["id"], answer)
            await page.wait_for_text("brython-timezone", "Brython says: ?")
        assert "Ignored" in caplog.text
        # The page keeps working.
        await page.click("update-time")
        assert page.text("server-time").endswith("UTC")


async def test_scroll_and_new_tab_buttons_send_calls_without_waiting_for_answers(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        await page.click("scroll-to-time")
        await page.click("open-other-tab")
        await page.wait_until(lambda: len(brython_calls(page)) == 2)
        scroll, new_tab = brython_calls(page)
        assert (scroll["name"], scroll["kwargs"], scroll["reply"]) == (
            "scroll_to_element",
            {"element_id": "time"},
            False,
        )
        assert (new_tab["name"], new_tab["kwargs"]) == ("open_new_tab", {"url": "/other"})


@pytest.mark.parametrize(("copied", "shown"), [(True, "Copied."), (False, "The browser refused to copy.")])
async def test_copy_button_reports_what_the_browser_answered(
    open_page: OpenPage, copied: bool, shown: str
) -> None:
    async with open_page("/") as page:
        await page.click("copy-text")
        await page.wait_until(lambda: any(c["name"] == "copy_to_clipboard" for c in brython_calls(page)))
        [call] = [c for c in brython_calls(page) if c["name"] == "copy_to_clipboard"]
        await answer_brython(page, call["id"], copied)
        await page.wait_for_text("copy-result", shown)


async def test_old_calls_leave_the_page(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        for _ in range(KEPT_CALLS + 5):
            await page.click("scroll-to-time")
        last = f"-{KEPT_CALLS + 4}"  # ids count from 0
        await page.wait_until(lambda: any(c["id"].endswith(last) for c in brython_calls(page)))
        assert len(brython_calls(page)) == KEPT_CALLS


async def test_the_sign_in_page_has_brython_loaded_ahead_of_its_hand_off(open_page: OpenPage) -> None:
    """Its success is a Brython call (the ticket's hand-off): the page loads Brython once
    live, rather than when the visitor waits for it."""
    async with open_page("/sign-in") as page:
        await page.wait_until(lambda: LOAD_SCRIPT in [e.text for e in page.layout.find_all(tag="script")])
        assert brython_calls(page) == []
