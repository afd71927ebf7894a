"""The notes pages live, two pages of one user in this process: who else has a note open, a note
saved elsewhere shown at once, or offered as a choice when this page holds unsaved edits, and a
deletion elsewhere that loses no typed text. (Across instances, in Chromium:
``tests/e2e/test_live_features_in_browser.py``.)"""

from __future__ import annotations

import asyncio

from heavy import finish_abandoned_work
from heavy.testing.page_driver import InProcessPage
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.model_managers.note_manager import NoteManager
from heavy_stack.backend.data.model_mungers.note_mungers import NoteMunger
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.frontend.pages.notes import CHANGED_ELSEWHERE, DELETED_ELSEWHERE, UPDATED_FROM_ELSEWHERE
from heavy_stack.shared_models.note import Note
from heavy_stack_testing.fixtures.pages import NewAccount, OpenPage


async def a_note(visitor: Visitor, title: str = "Groceries", body: str = "milk") -> Note:
    assert visitor.user is not None
    return await NoteManager(NoteMunger()).create(visitor.user.id, title, body)


def field_value(page: InProcessPage, id: str) -> str:
    value = page.layout.find(id=id).attributes.get("value", "")
    assert isinstance(value, str)
    return value


async def save(page: InProcessPage, title: str, body: str) -> None:
    await page.type("note-title", title)
    await page.type("note-body", body)
    await page.submit("note-form")
    await page.wait_for_text("note-message", "Saved.")


async def test_a_note_open_in_two_pages_shows_the_other_and_what_it_saves(
    open_page: OpenPage, new_account: NewAccount, db_session: AsyncSession
) -> None:
    ada = await new_account()
    note = await a_note(ada)
    async with open_page(f"/notes/{note.id}", visitor=ada) as mine:
        await mine.wait_for_element("note-form")
        assert mine.text("note-open-elsewhere") == ""
        async with open_page(f"/notes/{note.id}", visitor=ada) as theirs:
            await theirs.wait_for_text("note-open-elsewhere", "Also open in 1 other page right now.")
            await mine.wait_for_text("note-open-elsewhere", "Also open in 1 other page right now.")

            await save(theirs, "Groceries for Sunday", "milk, eggs")
            # No unsaved edits here: the new version is shown at once, and said.
            await mine.wait_for_text("note-message", UPDATED_FROM_ELSEWHERE)
            assert mine.layout.find(tag="h1").text == "Groceries for Sunday"
            assert field_value(mine, "note-body") == "milk, eggs"
            assert theirs.text("note-message") == "Saved."  # its own save: no notice there
        await mine.wait_for_text("note-open-elsewhere", "")
    await finish_abandoned_work(within=60)  # the save's embedding, still on its way


async def test_unsaved_edits_are_kept_until_the_visitor_chooses(
    open_page: OpenPage, new_account: NewAccount, db_session: AsyncSession
) -> None:
    ada = await new_account()
    note = await a_note(ada)
    async with (
        open_page(f"/notes/{note.id}", visitor=ada) as mine,
        open_page(f"/notes/{note.id}", visitor=ada) as theirs,
    ):
        await mine.wait_for_element("note-form")
        await theirs.wait_for_element("note-form")
        await mine.type("note-body", "milk, my unsaved line")

        await save(theirs, "Their groceries", "milk, bread")
        await mine.wait_for_element("note-keep-mine")
        assert mine.text("note-changed-elsewhere").startswith(CHANGED_ELSEWHERE)
        assert "Their title: “Their groceries”." in mine.text("note-changed-elsewhere")
        await mine.click("note-keep-mine")
        await mine.wait_for_text("note-changed-elsewhere", "")
        await mine.submit("note-form")  # "Keep mine" then Save: the visitor's text wins
        await mine.wait_for_text("note-message", "Saved.")
        [stored] = await notes(ada)
        assert stored.body == "milk, my unsaved line"

        await theirs.wait_for_text("note-message", UPDATED_FROM_ELSEWHERE)
        await theirs.type("note-title", "Their second try")
        await mine.type("note-body", "another unsaved line")
        await theirs.submit("note-form")
        await mine.wait_for_element("note-load-theirs")
        await mine.click("note-load-theirs")
        await mine.wait_until(lambda: field_value(mine, "note-title") == "Their second try")
        assert field_value(mine, "note-body") == "milk, my unsaved line"
    await finish_abandoned_work(within=60)  # the saves' embeddings, still on their way


async def test_a_note_deleted_elsewhere_keeps_the_unsaved_text_and_can_be_saved_anew(
    open_page: OpenPage, new_account: NewAccount, db_session: AsyncSession
) -> None:
    ada = await new_account()
    note = await a_note(ada)
    async with (
        open_page(f"/notes/{note.id}", visitor=ada) as mine,
        open_page(f"/notes/{note.id}", visitor=ada) as theirs,
    ):
        await mine.wait_for_element("note-form")
        await theirs.wait_for_element("note-form")
        await mine.type("note-body", "text worth keeping")
        await theirs.click("note-delete")
        await theirs.wait_for_element("note-delete-confirm")
        await theirs.click("note-delete-confirm")
        await mine.wait_for_text("note-changed-elsewhere", DELETED_ELSEWHERE)
        await mine.click("note-save-as-new")
        [saved] = await notes_eventually(ada, 1)
        assert (saved.title, saved.body) == ("Groceries", "text worth keeping")
        assert saved.id != note.id
    await finish_abandoned_work(within=60)  # the new note's embedding, still on its way


async def notes(visitor: Visitor) -> list[Note]:
    assert visitor.user is not None
    return list(await NoteManager(NoteMunger()).list_owned(visitor.user.id))


async def notes_eventually(visitor: Visitor, count: int) -> list[Note]:
    async with asyncio.timeout(5):
        while len(found := await notes(visitor)) != count:  # noqa: ASYNC110 - the database, polled
            await asyncio.sleep(0.02)
    return found
