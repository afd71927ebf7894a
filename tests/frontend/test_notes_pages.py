"""The notes example in process: every layer, the vector database, and other users' notes.

Every test runs on each embedder (the ``settings`` fixture below): the hashed one and the
semantic model.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from pathlib import Path

import pytest
from heavy import finish_abandoned_work
from heavy.data.db_connection import create_engine, create_sessionmaker
from heavy.testing.page_driver import InProcessPage
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.model_managers.note_manager import NoteManager
from heavy_stack.backend.data.model_mungers.note_mungers import NoteMunger, NoteVersionMunger
from heavy_stack.backend.data.vector_models import NoteEmbedding
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.settings import EmbedderName, Settings
from heavy_stack.shared_models.note import Note, NoteId
from heavy_stack_testing.fixtures.pages import NewAccount, OpenPage

from tests.embedders import EMBEDDER_NAMES

# Nothing listens on port 1: a vector database that is down.
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"

NOTES = {
    "Vector search": "pgvector finds similar vectors in PostgreSQL with cosine distance",
    "Banana bread": "mash three ripe bananas, add flour, butter and sugar, bake for an hour",
    "Postgres indexes": "PostgreSQL indexes for vectors: pgvector offers HNSW and IVFFlat",
    "Bread baking": "flour, water, salt and yeast; bake the bread in a hot oven",
}


@pytest.fixture(params=EMBEDDER_NAMES)
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The suite's settings, with ``HEAVY_STACK_EMBEDDER`` set to each embedder in turn."""
    return Settings(_env_file=None, data_dir=tmp_path / "data", embedder=request.param)


async def add_note(page: InProcessPage, title: str, body: str) -> None:
    await page.type("new-note-title", title)
    await page.type("new-note-body", body)
    await page.submit("new-note-form")
    await page.wait_for_text("note-message", f"Added “{title.strip()}”.")


async def notes_of(visitor: Visitor) -> list[Note]:
    assert visitor.user is not None
    return list(await NoteManager(NoteMunger()).list_owned(visitor.user.id))


async def test_nul_bytes_and_lone_surrogates_typed_into_a_note_are_not_stored(
    open_page: OpenPage, new_account: NewAccount, db_session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    """Pasted text can hold them and PostgreSQL refuses them: they are removed as the text arrives."""
    ada = await new_account()
    async with open_page("/notes", visitor=ada) as page:
        await page.type("new-note-title", "Gro\x00ceries\ud800")
        await page.type("new-note-body", "milk\x00, eggs")
        await page.submit("new-note-form")
        await page.wait_for_text("note-message", "Added “Groceries”.")
    await finish_abandoned_work(within=60)  # the note's embedding, still on its way
    [note] = await notes_of(ada)
    assert (note.title, note.body) == ("Groceries", "milk, eggs")
    assert "Traceback" not in caplog.text
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_create_read_edit_delete(
    open_page: OpenPage, new_account: NewAccount, db_session: AsyncSession
) -> None:
    ada = await new_account()
    async with open_page("/notes", visitor=ada) as page:
        await page.wait_for_text("note-list", "No notes yet")
        await add_note(page, "  Groceries ", "milk, eggs")
        [note] = await notes_of(ada)
        assert (note.title, note.body) == ("Groceries", "milk, eggs")
        await page.wait_for_element(f"note-link-{note.id}")

        await page.follow_link(f"note-link-{note.id}")
        await page.wait_for_element("note-form")
        assert page.layout.find(tag="h1").text == "Groceries"
        await page.type("note-title", "Groceries for Sunday")
        await page.type("note-body", "milk, eggs, flour")
        await page.submit("note-form")
        await page.wait_for_text("note-message", "Saved.")
        [edited] = await notes_of(ada)
        assert (edited.title, edited.body) == ("Groceries for Sunday", "milk, eggs, flour")
        assert edited.last_edited > note.last_edited

        await page.click("note-delete")  # asks first, in a dialog
        await page.wait_for_element("note-delete-question")
        await page.click("note-delete-cancel")
        await page.wait_until(lambda: not page.layout.has(id="note-delete-dialog"))
        assert len(await notes_of(ada)) == 1
        await page.click("note-delete")
        await page.wait_for_element("note-delete-confirm")
        await page.click("note-delete-confirm")
        await page.wait_for_text("note-status", "The note was deleted.")
        assert await page.follow_redirect() == "/notes?deleted=1"
        await page.wait_for_text("note-list", "No notes yet")
        await page.wait_for_text("note-message", "The note was deleted.")  # said on the list too
    assert await notes_of(ada) == []


async def test_bad_input_is_explained_and_nothing_is_lost(
    open_page: OpenPage, new_account: NewAccount
) -> None:
    ada = await new_account()
    async with open_page("/notes", visitor=ada) as page:
        await page.type("new-note-body", "a text without a title")
        await page.submit("new-note-form")
        await page.wait_for_text("note-message", "Give the note a title.")
        # The draft is still there: add the title and submit again.
        await page.type("new-note-title", "Now titled")
        await page.submit("new-note-form")
        await page.wait_for_text("note-message", "Added “Now titled”.")
    [note] = await notes_of(ada)
    assert note.body == "a text without a title"


async def test_related_notes_are_the_closest_three_in_order_of_similarity(
    open_page: OpenPage, new_account: NewAccount, rolled_back_services: AppServices
) -> None:
    ada, other = await new_account(), await new_account(name="Bob")
    async with open_page("/notes", visitor=other) as page:
        await add_note(page, "Vector search too", NOTES["Vector search"])  # not Ada's: never shown to her
    async with open_page("/notes", visitor=ada) as page:
        for title, body in NOTES.items():
            await add_note(page, title, body)
        # Embedded by each save's after-commit job; the page must stay open until the last is done
        # (a page closed sooner leaves its note to the catch-up job, tested below).
        await wait_until_embedded(rolled_back_services, ada)
    notes = {note.title: note for note in await notes_of(ada)}
    query = notes["Vector search"]

    async with open_page(f"/notes/{query.id}", visitor=ada) as page:
        related = await page.wait_for_element("related-notes")
        await page.wait_until(
            lambda: len(page.layout.find(id="related-notes").model.get("children", [])) == 3
        )
        shown = [element.text.split(" · ")[0] for element in page.layout.find_all(tag="li")]

    assert related is not None
    others = [note for title, note in notes.items() if title != "Vector search"]
    assert shown == expected_order(rolled_back_services, query, others)
    assert shown[0] == "Postgres indexes"


async def wait_until_embedded(services: AppServices, owner: Visitor, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while True:
            # A transaction of the page's database takes turns with the page's handlers.
            async with services.database.transaction():
                ids = [note.id for note in await notes_of(owner)]
                if not await NoteManager(NoteVersionMunger()).list_embedding_pending(only=ids):
                    return
            await asyncio.sleep(0.05)


def expected_order(services: AppServices, query: Note, others: list[Note]) -> list[str]:
    """The other notes by cosine similarity of their embeddings to the query's, best first."""
    embed = services.embedder.embed

    def vector(note: Note) -> list[float]:
        return embed([f"{note.title}\n{note.body}"])[0]

    target = vector(query)
    similarity = {
        note.title: math.fsum(a * b for a, b in zip(target, vector(note), strict=True)) for note in others
    }
    return sorted(similarity, key=lambda title: -similarity[title])


async def test_another_users_note_is_not_found_by_its_address(
    open_page: OpenPage, new_account: NewAccount
) -> None:
    ada, eve = await new_account(), await new_account(name="Eve")
    async with open_page("/notes", visitor=ada) as page:
        await add_note(page, "Ada's secret", "the secret text")
    [secret] = await notes_of(ada)

    async with open_page(f"/notes/{secret.id}", visitor=eve) as page:
        await page.wait_for_text("note-status", "There is no such note among yours.")
        assert (
            "the secret text" not in page.layout.find(tag="body").text
            if page.layout.has(tag="body")
            else True
        )
        assert not page.layout.has(id="note-form")
    assert eve.user is not None
    assert await NoteManager(NoteMunger()).get_owned(eve.user.id, secret.id) is None


async def test_a_note_saved_while_the_vector_database_is_down_is_embedded_later(
    open_page: OpenPage, new_account: NewAccount, rolled_back_services: AppServices
) -> None:
    ada = await new_account()
    down = create_engine(UNREACHABLE, pool_size=1)
    database = replace(
        rolled_back_services.database, vector_engine=down, vector_sessionmaker=create_sessionmaker(down)
    )
    vector_down = replace(rolled_back_services, database=database)
    try:
        async with open_page("/notes", visitor=ada, services=vector_down) as page:
            await add_note(page, "Written offline", NOTES["Vector search"])
            [note] = await notes_of(ada)
            await page.follow_link(f"note-link-{note.id}")
            await page.wait_for_text("related-notes", "Related notes are unavailable right now.")
    finally:
        await down.dispose()
    [pending] = await NoteManager(NoteVersionMunger()).list_embedding_pending(only=[note.id])
    assert pending.title == "Written offline"

    # The vector database is back: the server's catch-up job embeds what waited.
    assert await rolled_back_services.note_search.catch_up() >= 1
    assert await NoteManager(NoteVersionMunger()).list_embedding_pending(only=[note.id]) == []
    async with open_page("/notes", visitor=ada) as page:
        await add_note(page, "Written online", NOTES["Postgres indexes"])
    online = next(item for item in await notes_of(ada) if item.title == "Written online")
    async with open_page(f"/notes/{online.id}", visitor=ada) as page:
        await page.wait_for_element(f"related-{note.id}")


async def test_after_a_change_of_embedder_only_its_vectors_are_compared_and_all_notes_are_embedded_again(
    open_page: OpenPage, new_account: NewAccount, rolled_back_services: AppServices
) -> None:
    current = rolled_back_services.settings.embedder
    previous = next(name for name in EmbedderName if name != current)
    before = replace(rolled_back_services, settings=replace_embedder(rolled_back_services.settings, previous))
    ada = await new_account()
    async with open_page("/notes", visitor=ada, services=before) as page:
        for title, body in NOTES.items():
            await add_note(page, title, body)
        await wait_until_embedded(before, ada)
    notes = {note.title: note for note in await notes_of(ada)}
    ids = [note.id for note in notes.values()]
    assert set((await embedders_of(rolled_back_services, ids)).values()) == {before.embedder.name}

    # The server restarts with the setting changed: the old vectors are not compared to new ones.
    query = notes["Vector search"]
    async with open_page(f"/notes/{query.id}", visitor=ada) as page:
        await page.wait_for_text("related-notes", "No other notes yet.")

    # Its catch-up job embeds every note again, with the current embedder.
    assert await rolled_back_services.note_search.catch_up() >= len(NOTES)
    assert set((await embedders_of(rolled_back_services, ids)).values()) == {
        rolled_back_services.embedder.name
    }
    async with open_page(f"/notes/{query.id}", visitor=ada) as page:
        await page.wait_until(
            lambda: (
                page.layout.has(id="related-notes")
                and len(page.layout.find(id="related-notes").model.get("children", [])) == 3
            )
        )
        assert page.layout.find(tag="li").text.startswith("Postgres indexes")


def replace_embedder(settings: Settings, name: EmbedderName) -> Settings:
    return settings.model_copy(update={"embedder": name})


async def embedders_of(services: AppServices, ids: list[NoteId]) -> dict[NoteId, str]:
    """Which embedder made the stored vector of each of these notes."""
    async with services.database.vector_transaction() as session:
        statement = select(col(NoteEmbedding.note_id), col(NoteEmbedding.embedder)).where(
            col(NoteEmbedding.note_id).in_(ids)
        )
        return dict((await session.exec(statement)).all())
