"""A write the database refuses at COMMIT is never shown as done, and the user is told.

The handlers here really commit (the ``services`` fixture): a deferred constraint trigger in the
test database raises at COMMIT for rows holding ``REFUSED_TEXT``, as a deferred constraint, a
serialization failure or a connection lost at commit would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from heavy import REFUSED
from heavy.data.db_connection import Database
from heavy.testing.page_driver import InProcessPage
from sqlalchemy import text

from heavy_stack.backend.data.model_managers.note_manager import NoteManager
from heavy_stack.backend.data.model_managers.user_manager import UserManager
from heavy_stack.backend.data.model_mungers.note_mungers import NoteMunger
from heavy_stack.backend.data.model_mungers.user_mungers import UserMunger
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.shared_models.note import Note
from heavy_stack_testing.fixtures.pages import OpenPage, sign_up_visitor

REFUSED_TEXT = "refused at commit"
TABLES = ("notes", "users")

AllowCommits = Callable[[], Awaitable[None]]


@pytest.fixture
async def refuse_at_commit(database: Database) -> AsyncIterator[AllowCommits]:
    """Rows of ``TABLES`` holding ``REFUSED_TEXT`` fail at COMMIT; yields a function that lifts it."""

    async def allow() -> None:
        async with database.engine.begin() as connection:
            for table in TABLES:
                await connection.execute(text(f"DROP TRIGGER IF EXISTS refuse_marked ON {table}"))
            await connection.execute(text("DROP FUNCTION IF EXISTS refuse_marked()"))

    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE FUNCTION refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF to_jsonb(NEW)::text LIKE '%{REFUSED_TEXT}%' THEN "
                "RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'check_violation'; "
                "END IF; RETURN NULL; END $$"
            )
        )
        for table in TABLES:
            await connection.execute(
                text(
                    f"CREATE CONSTRAINT TRIGGER refuse_marked AFTER INSERT OR UPDATE ON {table} "
                    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_marked()"
                )
            )
    try:
        yield allow
    finally:
        await allow()


@pytest.fixture
async def visitor(services: AppServices) -> Visitor:
    """A signed-in visitor whose account is really committed."""
    return await sign_up_visitor(services.accounts, services.database.transaction)


async def stored_notes(services: AppServices, visitor: Visitor) -> list[Note]:
    assert visitor.user is not None
    async with services.database.transaction():
        return list(await NoteManager(NoteMunger()).list_owned(visitor.user.id))


async def wait_for_refusal(page: InProcessPage) -> None:
    await page.wait_for_text("app-notice", REFUSED)


async def test_a_note_refused_at_commit_is_not_shown_and_its_draft_is_kept(
    open_page: OpenPage, services: AppServices, visitor: Visitor, refuse_at_commit: AllowCommits
) -> None:
    async with open_page("/notes", visitor=visitor, services=services) as page:
        await page.wait_for_text("note-list", "No notes yet")
        await page.type("new-note-title", REFUSED_TEXT)
        await page.type("new-note-body", "never stored")
        await page.submit("new-note-form")
        await wait_for_refusal(page)

        assert "Added" not in page.text("note-message")
        assert "No notes yet" in page.text("note-list")
        assert await stored_notes(services, visitor) == []

        # The draft was kept: once the database accepts it, the same submit stores it.
        await refuse_at_commit()
        await page.submit("new-note-form")
        await page.wait_for_text("note-message", f"Added “{REFUSED_TEXT}”.")
        assert page.text("app-notice") == ""  # a later success clears the notice
    [note] = await stored_notes(services, visitor)
    assert (note.title, note.body) == (REFUSED_TEXT, "never stored")


async def test_a_note_edit_refused_at_commit_is_not_shown_as_saved(
    open_page: OpenPage, services: AppServices, visitor: Visitor, refuse_at_commit: AllowCommits
) -> None:
    assert visitor.user is not None
    async with services.database.transaction():
        note = await NoteManager(NoteMunger()).create(visitor.user.id, "Groceries", "milk")
    async with open_page(f"/notes/{note.id}", visitor=visitor, services=services) as page:
        await page.wait_for_element("note-form")
        await page.type("note-title", REFUSED_TEXT)
        await page.submit("note-form")
        await wait_for_refusal(page)

        assert "Saved." not in page.text("note-message")
        assert page.layout.find(tag="h1").text == "Groceries"
    [stored] = await stored_notes(services, visitor)
    assert stored.title == "Groceries"


async def test_a_rename_refused_at_commit_is_not_shown(
    open_page: OpenPage, services: AppServices, visitor: Visitor, refuse_at_commit: AllowCommits
) -> None:
    assert visitor.user is not None
    async with open_page("/", visitor=visitor, services=services) as page:
        await page.wait_for_text("current-user", "Ada <")
        await page.type("rename-input", REFUSED_TEXT)
        await page.submit("rename-form")
        await wait_for_refusal(page)

        assert REFUSED_TEXT not in page.text("current-user")
        assert REFUSED_TEXT not in page.text("signed-in-as")
    async with services.database.transaction():
        stored = await UserManager(UserMunger()).get(visitor.user.id)
    assert stored is not None
    assert stored.display_name == "Ada"
