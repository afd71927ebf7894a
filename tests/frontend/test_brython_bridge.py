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
    MAX_RESULT_CHARS,
    BrythonAnswer,
    BrythonCall,
    BrythonExecutor,
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
    def make(self) -> tuple[BrythonExecutor, list[BrythonCall]]:
        sent: list[BrythonCall] = []
        return BrythonExecutor(sent.append), sent

    def test_sends_module_function_and_json_arguments(self) -> None:
        executor, sent = self.make()
        executor.call(open_new_tab, url="/other")
        assert (sent[0].module, sent[0].name, json.loads(sent[0].kwargs_json)) == (
            "heavy_stack_brython.navigate",
            "open_new_tab",
            {"url": "/other"},
        )
        assert not sent[0].wants_reply

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


async def test_the_page_asks_the_browser_for_its_time_zone_and_shows_times_in_it(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        assert "asking your browser" in page.text("browser-timezone")
        [call] = [c for c in brython_calls(page) if c["name"] == "get_timezone"]
        assert call["reply"] is True

        await answer_brython(page, call["id"], {"name": "Asia/Tokyo", "offset_minutes": 540})

        await page.wait_for_text("browser-timezone", "Asia/Tokyo")
        assert page.text("server-time").endswith("Asia/Tokyo")


@pytest.mark.parametrize(
    "answer",
    [{"name": "Mars/Olympus_Mons"}, {"name": "../../etc/passwd"}, {"name": "x" * 500}, "Europe/Paris", 42],
)
async def test_a_bad_time_zone_answer_is_ignored(
    open_page: OpenPage, answer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_page("/") as page:
        [call] = [c for c in brython_calls(page) if c["name"] == "get_timezone"]
        with caplog.at_level(logging.WARNING):
            await answer_brython(page, call["id"], answer)
            # The page keeps working and still says it does not know the zone.
            await page.click("update-time")
            await page.wait_until(lambda: "Ignored" in caplog.text)
        assert "asking your browser" in page.text("browser-timezone")
        assert page.text("server-time").endswith("UTC")


async def test_scroll_and_new_tab_buttons_send_calls_without_waiting_for_answers(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        await page.click("scroll-to-time")
        await page.click("open-other-tab")
        await page.wait_until(lambda: len(brython_calls(page)) == 3)
        scroll, new_tab = brython_calls(page)[1:]
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
        await page.wait_until(lambda: brython_calls(page)[-1]["id"].endswith(f"-{KEPT_CALLS + 5}"))
        assert len(brython_calls(page)) == KEPT_CALLS
