"""What a person notices in the first minute: messages look like what they are, times say their
zone, and the top bar leads home."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack_testing.fixtures.pages import NewAccount, OpenPage

from tests.frontend.test_notes_pages import add_note, notes_of

ZONE = "Asia/Tokyo"


async def test_success_and_error_messages_are_styled_and_announced_by_kind(
    open_page: OpenPage, new_account: NewAccount, db_session: AsyncSession
) -> None:
    async with open_page("/notes", visitor=await new_account()) as page:
        await page.wait_for_text("note-list", "No notes yet")
        await add_note(page, "Groceries", "milk")
        added = page.layout.find(id="note-message")
        assert (added.attributes["className"], added.attributes["role"]) == (
            "form-message form-message-success",
            "status",
        )
        await page.type("new-note-title", "   ")
        await page.submit("new-note-form")
        await page.wait_until(lambda: "success" not in str(page.layout.find(id="note-message").attributes))
        refused = page.layout.find(id="note-message")
        assert (refused.attributes["className"], refused.attributes["role"]) == (
            "form-message form-message-error",
            "alert",
        )


async def test_times_are_shown_in_the_visitors_zone_and_say_which(
    open_page: OpenPage, new_account: NewAccount, db_session: AsyncSession
) -> None:
    async with open_page("/") as page:
        assert page.text("user-read-at").endswith(" UTC")  # a browser that did not say
    async with open_page("/", time_zone=ZONE) as page:  # as heavy's cookie tells it
        await page.wait_until(lambda: page.text("user-read-at").endswith(ZONE))
    async with open_page("/notes", visitor=await new_account(), time_zone=ZONE) as page:
        await add_note(page, "Groceries", "milk")
        await page.wait_until(lambda: ZONE in page.text("note-list"))  # the date of the note


async def test_the_top_bar_leads_home_from_every_page(
    open_page: OpenPage, new_account: NewAccount, db_session: AsyncSession
) -> None:
    for path, visitor in [("/other", None), ("/notes", await new_account())]:
        async with open_page(path, visitor=visitor) as page:
            await page.follow_link("to-home")
            await page.wait_for_element("update-time")


async def test_a_too_long_note_is_refused_with_the_limit_and_nothing_is_cut(
    open_page: OpenPage, new_account: NewAccount, db_session: AsyncSession
) -> None:
    ada = await new_account()
    async with open_page("/notes", visitor=ada) as page:
        await page.wait_for_text("note-list", "No notes yet")
        await page.type("new-note-title", "Long")
        await page.type("new-note-body", "x" * 100_000)  # as a script would send it, past maxLength
        await page.submit("new-note-form")
        await page.wait_for_text("note-message", "at most 10,000 characters; this one has 100,000")
        assert await notes_of(ada) == []
        await page.type("new-note-body", "x" * 10_000)  # the same form, now within the limit
        await page.submit("new-note-form")
        await page.wait_for_text("note-message", "Added “Long”.")
        [note] = await notes_of(ada)
        assert len(note.body) == 10_000
