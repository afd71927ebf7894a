"""The landing page's behaviour, driven in process through ReactPy's own dispatch loop."""

from __future__ import annotations

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.model_managers.user_manager import DEMO_USER_EMAIL, UserManager
from heavy_stack.backend.data.model_mungers.user_mungers import UserMunger
from heavy_stack_testing.fixtures.pages import OpenPage


async def test_shows_the_current_user_loaded_through_the_manager(
    open_page: OpenPage, db_session: AsyncSession
) -> None:
    async with open_page("/") as page:
        await page.wait_for_text("current-user", DEMO_USER_EMAIL)

    stored = await UserManager(UserMunger()).get_by_email(DEMO_USER_EMAIL)
    assert stored is not None
    assert stored.display_name in page.text("current-user")


async def test_update_time_button_shows_a_new_time(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        before = page.text("server-time")
        await page.click("update-time")
        await page.wait_until(lambda: page.text("server-time") != before)
        assert page.text("server-time").endswith("UTC")


async def test_submitting_the_form_shows_the_text(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        assert page.text("echo-result") == "Nothing submitted yet."
        await page.type("echo-input", "  hello heavy  ")
        await page.submit("echo-form")
        await page.wait_for_text("echo-result", "You said: hello heavy")


@pytest.mark.parametrize(
    ("typed", "result", "error"),
    [
        ("12", "12 squared is 144.", ""),
        ("-3", "-3 squared is 9.", ""),
        ("abc", "", "is not a whole number"),
        ("1.5", "", "is not a whole number"),
        ("99999999999", "", "Enter a number from"),
    ],
)
async def test_number_input_squares_whole_numbers_and_explains_bad_ones(
    open_page: OpenPage, typed: str, result: str, error: str
) -> None:
    async with open_page("/") as page:
        await page.type("number-input", typed)
        await page.wait_until(
            lambda: page.text("number-result") == result and error in page.text("number-input-error")
        )


async def test_a_bad_number_after_a_good_one_clears_the_result(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        await page.type("number-input", "4")
        await page.wait_for_text("number-result", "16")
        await page.type("number-input", "four")
        await page.wait_until(lambda: page.text("number-result") == "")


async def test_expandable_section_opens_and_closes(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        assert not page.layout.has(id="click-flow-body")
        await page.click("click-flow-toggle")
        body = await page.wait_for_element("click-flow-body")
        assert "repository" in body.text
        await page.click("click-flow-toggle")
        await page.wait_until(lambda: not page.layout.has(id="click-flow-body"))


async def test_navigates_to_the_other_page_and_back(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        await page.follow_link("to-other")
        await page.wait_for_element("to-landing")
        assert page.layout.find(tag="h1").text == "The other page"
        await page.follow_link("to-landing")
        await page.wait_for_element("update-time")
        # The page reads its user again: the test ends once that unit of work has (the test's
        # database session is shared with the app, and ending it mid-query breaks the next test).
        await page.wait_for_text("current-user", DEMO_USER_EMAIL)


async def test_the_language_switch_comes_back_to_the_page_navigated_to(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        await page.follow_link("to-other")
        await page.wait_until(
            lambda: "next=%2Fother" in str(page.layout.find(id="language-de").attributes["href"])
        )


async def test_an_unknown_path_shows_not_found(open_page: OpenPage) -> None:
    async with open_page("/no/such/page") as page:
        assert page.layout.find(tag="h1").text == "Page not found"


async def test_read_again_reads_the_user_from_the_database_once_more(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        await page.wait_for_text("current-user", DEMO_USER_EMAIL)
        before = page.text("user-read-at")
        await page.click("read-user")
        await page.wait_until(lambda: page.text("user-read-at") != before)


async def test_read_again_shows_a_rename_made_elsewhere(
    open_page: OpenPage, db_session: AsyncSession
) -> None:
    async with open_page("/") as page:
        await page.wait_for_text("current-user", DEMO_USER_EMAIL)
        users = UserManager(UserMunger())
        stored = await users.get_by_email(DEMO_USER_EMAIL)
        assert stored is not None
        await users.rename(stored.id, "Renamed In Another Tab")  # as another tab would
        before = page.text("user-read-at")
        await page.click("read-user")
        await page.wait_for_text("current-user", "Renamed In Another Tab <")
        assert page.text("user-read-at") != before


async def test_read_again_of_an_unchanged_user_updates_only_its_own_part(open_page: OpenPage) -> None:
    async with open_page("/") as page:
        await page.wait_for_text("current-user", DEMO_USER_EMAIL)
        shown = page.text("current-user")
        await page.type("rename-input", "typed, not sent")
        before = page.text("user-read-at")
        await page.click("read-user")
        update = await page.receive()
        assert page.text("user-read-at") != before
        assert page.text("current-user") == shown
        # The read time alone: not its button, nor the section with its form, sent again.
        assert "user-read-at" in str(update["model"])
        assert "read-user" not in str(update["model"])
        assert "rename-form" not in str(update["model"])
        await page.click("read-user")  # and again: the button still reads
        await page.receive()
        assert page.text("current-user") == shown


async def test_rename_writes_through_the_manager(open_page: OpenPage, db_session: AsyncSession) -> None:
    async with open_page("/") as page:
        await page.wait_for_text("current-user", DEMO_USER_EMAIL)
        await page.type("rename-input", "  Ada Lovelace ")
        await page.submit("rename-form")
        await page.wait_for_text("current-user", "Ada Lovelace <")

    stored = await UserManager(UserMunger()).get_by_email(DEMO_USER_EMAIL)
    assert stored is not None
    assert stored.display_name == "Ada Lovelace"


@pytest.mark.parametrize(
    ("typed", "error"),
    [("   ", "cannot be empty"), ("x" * 121, "at most 120 characters")],
)
async def test_an_unusable_name_is_explained_and_nothing_changes(
    open_page: OpenPage, db_session: AsyncSession, typed: str, error: str
) -> None:
    async with open_page("/") as page:
        await page.wait_for_text("current-user", DEMO_USER_EMAIL)
        shown = page.text("current-user")
        await page.type("rename-input", typed)
        await page.submit("rename-form")
        await page.wait_for_text("rename-error", error)
        assert page.text("current-user") == shown

    stored = await UserManager(UserMunger()).get_by_email(DEMO_USER_EMAIL)
    assert stored is not None
    assert stored.display_name in shown
