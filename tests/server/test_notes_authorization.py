"""Hand-crafted websocket events against another user's note, on the real server."""

from __future__ import annotations

import pytest
from heavy.testing.cookie_browser import CookieBrowser
from heavy.testing.live_server import LiveServer

from tests.server.test_accounts import new_email, sign_up

pytestmark = pytest.mark.server


async def signed_in_browser(server: LiveServer) -> CookieBrowser:
    browser = CookieBrowser(server.base_url)
    assert browser.get(await sign_up(browser, new_email())).status == 303
    return browser


async def test_crafted_events_never_reach_another_users_note(server: LiveServer) -> None:
    ada, eve = await signed_in_browser(server), await signed_in_browser(server)
    async with ada.open_page("/notes") as page:
        await page.type("new-note-title", "Ada's plan")
        await page.type("new-note-body", "the secret plan")
        await page.submit("new-note-form")
        link = await page.wait_for_element("note-list")
        await page.wait_until(lambda: "Ada's plan" in page.text("note-list"))
        [anchor] = [e for e in page.layout.find_all(tag="a") if e.text == "Ada's plan"]
        note_path = anchor.attributes["href"]
    assert link is not None

    async with ada.open_page(note_path) as ada_page, eve.open_page("/notes") as eve_page:
        await ada_page.wait_for_element("note-form")
        ada_save = ada_page.layout.find(id="note-form").target("onSubmit")
        await ada_page.click("note-delete")  # the real delete is behind the question
        ada_delete = (await ada_page.wait_for_element("note-delete-confirm")).target("onClick")

        # 1. Eve opens the note's address in her own session: not found, nothing shown.
        await eve_page.navigate(note_path)
        await eve_page.wait_for_text("note-status", "There is no such note among yours.")
        assert "the secret plan" not in str(eve_page.layout.root)

        # 2. Eve sends events to the handler ids of Ada's page: ids belong to a connection.
        await eve_page.send_event(ada_delete, {})
        await eve_page.send_event(ada_save, {"target": {"value": "hacked"}})

        # 3. Eve's own form, with Ada's note id in the event data: the id is not read from it.
        await eve_page.navigate("/notes")
        await eve_page.wait_for_text("note-list", "No notes yet")
        note_id = note_path.rsplit("/", 1)[1]
        await eve_page.type("new-note-title", note_id)
        await eve_page.fire(
            eve_page.layout.find(id="new-note-form"), "onSubmit", {"id": note_id, "note_id": note_id}
        )
        await eve_page.wait_until(lambda: note_id in eve_page.text("note-list"))  # a note of her own

        # Ada's note is untouched and her page still works.
        await ada_page.type("note-body", "the secret plan, still mine")
        await ada_page.submit("note-form")
        await ada_page.wait_for_text("note-message", "Saved.")
    async with ada.open_page(note_path) as page:
        await page.wait_for_element("note-form")
        assert page.layout.find(tag="h1").text == "Ada's plan"
        assert "still mine" in str(page.layout.find(id="note-body").model)
