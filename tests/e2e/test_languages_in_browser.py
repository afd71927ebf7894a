"""Languages in a real Chromium: the browser's language on a first visit, the switch kept across
reloads (over the browser's wish), and dates written as each language writes them."""

from __future__ import annotations

import re

from heavy.testing.plugin import BrowserPage
from playwright.async_api import expect

from heavy_stack_testing.page_tour import sign_up, write_notes

GERMAN_BROWSER = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
# "06.12.2026, 05:01 Europe/Berlin" and "Dec 6, 2026, 5:01 AM Europe/Berlin" (the zone is the
# browser's, from heavy's time-zone cookie).
GERMAN_DATE = re.compile(r"bearbeitet \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} \S+/\S+")
ENGLISH_DATE = re.compile(r"edited [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M \S+/\S+")


async def test_a_first_visit_speaks_the_browsers_language(browser_page: BrowserPage) -> None:
    page = browser_page.page
    await page.context.set_extra_http_headers(GERMAN_BROWSER)
    await page.goto("/sign-in")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await expect(page).to_have_title(re.compile(r"^Anmelden · "))
    await expect(page.locator("h1")).to_have_text("Anmelden")
    # The live page (its own websocket handshake) speaks it too: a handler's answer.
    await page.fill("#sign-in-email", "nobody@example.com")
    await page.fill("#sign-in-password", "not the password")
    await page.click("#sign-in-submit")
    await expect(page.locator("#account-message")).to_have_text(
        "Diese E-Mail-Adresse und dieses Passwort passen zu keinem Konto."
    )
    assert [line for line in browser_page.console if line.startswith("error:")] == []


async def test_the_switch_holds_across_reloads_and_dates_follow_the_language(
    browser_page: BrowserPage,
) -> None:
    page = browser_page.page
    await page.context.set_extra_http_headers(GERMAN_BROWSER)
    await sign_up(page, "Grete")
    await write_notes(page, (("Einkaufen", "Milch, Eier"),))
    await expect(page.locator("#note-list time")).to_have_text(GERMAN_DATE)

    await page.click("#language-en")  # a page load: the first paint comes in English
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page).to_have_url(re.compile(r"/notes$"))  # back where the switch was used
    await expect(page.locator("#note-list time")).to_have_text(ENGLISH_DATE)
    await page.reload()  # the choice is kept over the browser's German
    await expect(page.locator("h1")).to_have_text("Your notes")
    await expect(page.locator("#language-switcher [aria-current]")).to_have_text("English")

    await page.click("#language-de")
    await expect(page.locator("h1")).to_have_text("Ihre Notizen")
    assert [line for line in browser_page.console if line.startswith("error:")] == []
