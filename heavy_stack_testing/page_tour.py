"""Every page of the demo as a person sees it, for the accessibility test and the screenshots.

``TOUR`` names each page with its address, whether it is seen signed in, and what is done there
first (open the delete dialog). ``tests/e2e/test_accessibility_in_browser.py`` runs axe-core on
each, and ``dev_scripts/screenshots.py`` saves each; a test fails when a page of ``PAGES`` is
missing here. ``prepare`` makes the person and the note the signed-in pages show.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from playwright.async_api import FilePayload, Page, expect

from heavy_stack.frontend.app_root import PAGES
from heavy_stack_testing.product import page_ready

PASSWORD = "correct horse battery"
NOTE = "{note}"  # stands for the address of the note ``prepare`` wrote
# What the notes the tour writes say (the last one is the note the tour shows).
NOTES = (
    ("Groceries for Sunday", "Milk, eggs, flour and a lemon.\nThe good bread from the corner shop."),
    ("Trip to Lisbon", "Book the train to Sintra early: it fills up by ten.\nTram 28 before eight."),
    ("Reading list", "The Pragmatic Programmer, then Designing Data-Intensive Applications. " * 2),
)


async def open_delete_dialog(page: Page) -> None:
    await page.click("#note-delete")
    await expect(page.locator("#note-delete-dialog")).to_be_visible()


async def import_files(page: Page) -> None:
    """Import notes from files (two imported, two refused) and show the import section."""
    files: list[FilePayload] = [
        {"name": "Packing list.md", "mimeType": "text/markdown", "buffer": b"# Packing list\n- boots"},
        {"name": "ideas.txt", "mimeType": "text/plain", "buffer": b"Ideas for the garden\nmore herbs"},
        {"name": "holiday.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff"},
        {"name": "old-notes.txt", "mimeType": "text/plain", "buffer": "caf\xe9 cr\xe8me".encode("latin-1")},
    ]
    await page.set_input_files("#note-import-files", files)
    await expect(page.locator("#note-import-list li")).to_have_count(4)
    await expect(page.locator("#note-import-list .upload-pending")).to_have_count(0)
    await page.locator("#import").scroll_into_view_if_needed()


@dataclass(frozen=True)
class Stop:
    """A page as someone sees it: its address, signed in or not, and what is done there first."""

    path: str
    signed_in: bool = False
    then: Callable[[Page], Awaitable[None]] | None = None

    def address(self, note_path: str) -> str:
        return note_path if self.path == NOTE else self.path


TOUR = {
    "landing": Stop("/"),
    "other": Stop("/other"),
    "sign-in": Stop("/sign-in"),
    "sign-up": Stop("/sign-up"),
    "forgot-password": Stop("/forgot-password"),
    "reset-password": Stop("/reset-password?token=not-a-token"),
    "verify-email": Stop("/verify-email"),
    "not-found": Stop("/no/such/page"),
    "notes": Stop("/notes", signed_in=True),
    "note": Stop(NOTE, signed_in=True),
    "note-delete": Stop(NOTE, signed_in=True, then=open_delete_dialog),
    "notes-import": Stop("/notes", signed_in=True, then=import_files),
    "account": Stop("/account", signed_in=True),
    "sessions": Stop("/account/sessions", signed_in=True),
}


def pages_not_toured() -> list[str]:
    """The paths of ``PAGES`` no stop of ``TOUR`` shows (a page with parameters counts as the note)."""
    toured = {stop.path.partition("?")[0] for stop in TOUR.values()}
    paths = [page.path for page in PAGES if page.path != "{path:any}"]
    return [path for path in paths if path not in toured and not ("{" in path and NOTE in toured)]


async def go_live(page: Page) -> None:
    """Wait until the live page has replaced the first paint (on the landing page, until the
    browser's time zone shows too)."""
    await expect(page.locator("#heavy-first-paint")).to_have_count(0)
    if await page.locator("#browser-timezone").count():
        await page_ready(page)


async def sign_up(page: Page, name: str) -> None:
    """Sign ``name`` up through the sign-up page (a new address each time); the page is then /notes."""
    await page.goto("/sign-up?next=/notes")
    await page.fill("#sign-up-email", f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com")
    await page.fill("#sign-up-name", name)
    await page.fill("#sign-up-password", PASSWORD)
    await page.click("#sign-up-submit")
    await expect(page.locator("#signed-in-as")).to_contain_text(name)


async def write_notes(page: Page, notes: tuple[tuple[str, str], ...] = NOTES) -> str:
    """Write ``notes`` through the notes page; the address of the last one."""
    await page.goto("/notes")
    for title, body in notes:
        await page.fill("#new-note-title", title)
        await page.fill("#new-note-body", body)
        await page.click("#new-note-submit")
        await expect(page.locator("#note-list")).to_contain_text(title)
    href = await page.locator("#note-list a").first.get_attribute("href")
    assert href is not None
    return href
