"""Every word on every page comes from the catalogue, and every language translates every message.

The pages are shown in a test language whose every translation is marked ``⟦…⟧``: a text a
visitor reads that is not marked skipped the catalogue. The words of the people using the app
(note titles, names) are what the test types, and it types them marked too; text in a language
of its own (``lang``: each language's name in the switcher) and hidden elements are not the
page's words. Which pages: every route of ``PAGES``, signed in and not, first paint and live.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from heavy import Language, render_first_paint, speaking
from heavy.i18n import KEYWORDS, translations_of
from heavy.testing.page_driver import InProcessPage
from reactpy.backend.types import Location

from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.frontend.app_root import PAGES, AppRoot
from heavy_stack.frontend.languages import LOCALES_DIR, languages
from heavy_stack.settings import Settings
from heavy_stack_testing.fixtures.pages import NewAccount, OpenPage

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ROOT / "heavy_stack"
HEAVY = ROOT / "heavy" / "src" / "heavy"
# The catalogues: where the Makefile's extraction reads (its babel.cfg), and the .po files.
CATALOGUES = {
    "product": (PRODUCT, ROOT / "babel.cfg", LOCALES_DIR, "messages"),
    "heavy": (HEAVY, ROOT / "heavy" / "babel.cfg", HEAVY / "locales", "heavy"),
}
OPEN, CLOSE = "⟦", "⟧"
# Attributes whose text a visitor reads (or hears).
READ_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label", "ariaLabel", "aria_label"}
LETTER = re.compile(r"[^\W\d_]")
# A path parameter's stand-in, by its type: a note of the signed-in user for a uuid.
PARAMETER = re.compile(r"\{(\w+):(\w+)\}")


def messages_in_code(name: str) -> set[Any]:
    """What ``make i18n-extract`` finds: message ids (a tuple for a plural)."""
    folder, config, _locales, _domain = CATALOGUES[name]
    with config.open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)  # type: ignore[no-untyped-call]
    found = extract_from_dir(str(folder), method_map, options_map, keywords=KEYWORDS)
    return {message for _file, _line, message, _comments, _context in found}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The suite's settings with the app's name marked: it is configuration, not a message."""
    return Settings(_env_file=None, data_dir=tmp_path / "data", app_title=f"{OPEN}The Heavy Stack{CLOSE}")


@pytest.fixture(scope="module")
def marked() -> Language:
    """A language whose every translation is its message, marked."""
    catalog = Catalog(locale="en")
    for name in CATALOGUES:
        for message in messages_in_code(name):
            strings = tuple(OPEN + text + CLOSE for text in message) if isinstance(message, tuple) else None
            catalog.add(message, strings or OPEN + message + CLOSE)
    return Language("en_001", translations_of(catalog))


def is_marked(text: str) -> bool:
    text = text.strip()
    return not LETTER.search(text) or (text.startswith(OPEN) and text.endswith(CLOSE))


def unmarked_in_model(model: Any) -> Iterator[str]:
    """The words in a layout's model that are not marked (see the module's docstring)."""
    if isinstance(model, str):
        if not is_marked(model):
            yield model
        return
    if not isinstance(model, dict):
        return
    attributes: dict[str, Any] = model.get("attributes", {})
    if attributes.get("hidden") is True or "lang" in attributes or model.get("tagName") == "script":
        return
    for name, value in attributes.items():
        if name in READ_ATTRIBUTES and isinstance(value, str) and not is_marked(value):
            yield f"{name}={value!r}"
    for child in model.get("children", []):
        yield from unmarked_in_model(child)


class UnmarkedInHtml(HTMLParser):
    """The same rule over a first paint's HTML (which leaves hidden elements and scripts out)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._open: list[bool] = []  # per open element: is it in a language of its own

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag not in {"input", "br", "img", "meta", "link", "hr"}:
            self._open.append("lang" in attributes)
        if not any(self._open):
            self.found += [
                f"{name}={value!r}"
                for name, value in attrs
                if name in READ_ATTRIBUTES and value and not is_marked(value)
            ]

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if not any(self._open) and not is_marked(data):
            self.found.append(data)


def page_paths(note_id: str) -> list[str]:
    """An address of every page of ``PAGES``, its parameters filled in."""

    def stand_in(match: re.Match[str]) -> str:
        return note_id if match.group(2) == "uuid" else "no/such/page"

    return [PARAMETER.sub(stand_in, page.path) for page in PAGES]


async def signed_in_with_a_note(
    new_account: NewAccount, open_page: OpenPage, marked: Language
) -> tuple[Visitor, str]:
    """Ada (her name marked as all words are), with two notes, added through the notes page."""
    ada = await new_account(name=f"{OPEN}Ada{CLOSE}")
    with speaking(marked):
        async with open_page("/notes", visitor=ada) as page:
            for title in ("Groceries", "Garden"):
                await page.wait_for_element("new-note-title")
                await page.type("new-note-title", f"{OPEN}{title}{CLOSE}")
                await page.type("new-note-body", f"{OPEN}milk and eggs{CLOSE}")
                await page.submit("new-note-form")
                await page.wait_until(lambda title=title: title in page.text("note-list"))  # type: ignore[misc]
            link = page.layout.find(tag="a", text=f"{OPEN}Groceries{CLOSE}")
    return ada, str(link.attributes["href"]).rsplit("/", 1)[-1]


async def settled(page: InProcessPage) -> None:
    """Receive until the loading states are gone (the effects' loads have arrived)."""
    loading = ("Loading…", "Looking for related notes…", "Checking your sign-in…")
    await page.wait_until(
        lambda: not any(f"{OPEN}{text}{CLOSE}" in page.layout.find(tag="main").text for text in loading)
    )


async def test_every_page_shows_only_words_from_the_catalogue(
    services: AppServices, new_account: NewAccount, open_page: OpenPage, marked: Language
) -> None:
    ada, note_id = await signed_in_with_a_note(new_account, open_page, marked)
    unmarked: dict[str, list[str]] = {}
    with speaking(marked):
        for path in page_paths(note_id):
            for who, visitor in (("anonymous", None), ("signed in", ada)):
                parser = UnmarkedInHtml()
                parser.feed(await render_first_paint(AppRoot(services, visitor), Location(path, "")))
                unmarked[f"first paint of {path}, {who}"] = parser.found
                async with open_page(path, visitor=visitor) as page:
                    await settled(page)
                    for toggle in ("click-flow-toggle", "layout-help-toggle"):  # open what folds
                        if path == "/":
                            await page.click(toggle)
                            await page.wait_for_element(toggle.replace("toggle", "body"))
                    unmarked[f"live {path}, {who}"] = list(unmarked_in_model(page.layout.root))
        titles = [page.full_title("App") for page in PAGES if page.title is not None]
    words = sorted({word for words in unmarked.values() for word in words})
    where = {word: next(place for place, found in unmarked.items() if word in found) for word in words}
    # Each: a text that skipped the catalogue (write it with t(), docs/i18n.md), and a page showing it.
    assert words == [], "\n".join(f"{word!r} on the {where[word]}" for word in words)
    assert [title for title in titles if not title.startswith(OPEN)] == []


async def test_messages_that_answer_a_person_come_from_the_catalogue(
    open_page: OpenPage, new_account: NewAccount, marked: Language
) -> None:
    ada = await new_account(name=f"{OPEN}Ada{CLOSE}")
    with speaking(marked):
        async with open_page("/", visitor=ada) as page:
            await page.type("number-input", "twelve")
            await page.wait_until(lambda: "twelve" in page.text("number-input-error"))
            await page.submit("rename-form")  # no name
            await page.wait_until(lambda: page.text("rename-error") != "")
            answers = [page.text("number-input-error"), page.text("rename-error")]
        async with open_page("/notes", visitor=ada) as page:
            await page.wait_for_element("new-note-form")
            await page.submit("new-note-form")  # no title
            await page.wait_until(lambda: page.text("note-message") != "")
            answers.append(page.text("note-message"))
        async with open_page("/sign-in") as page:
            await page.type("sign-in-email", "nobody@example.com")
            await page.type("sign-in-password", "a wrong password")
            await page.submit("sign-in-form")
            await page.wait_until(lambda: page.text("account-message") != "")
            answers.append(page.text("account-message"))
    assert [answer for answer in answers if not is_marked(answer)] == []


@pytest.mark.parametrize("name", CATALOGUES)
def test_every_language_translates_every_message_of_the_code(name: str) -> None:
    _folder, _config, locales, domain = CATALOGUES[name]
    in_code = messages_in_code(name)
    codes = [code for code in languages() if code != languages().source.code]
    assert codes, "the demo speaks a second language"
    missing: dict[str, list[str]] = {}
    for code in codes:
        with (locales / code / "LC_MESSAGES" / f"{domain}.po").open("rb") as file:
            catalog = read_po(file, locale=code)
        missing[code] = []
        for message in in_code:
            entry = catalog.get(message[0] if isinstance(message, tuple) else message)
            strings = (
                entry.string
                if entry is not None and isinstance(entry.string, tuple)
                else (entry and entry.string,)
            )
            if entry is None or entry.fuzzy or not all(strings):
                missing[code].append(message)
    # Run `make i18n-extract`, then translate what it added (docs/i18n.md).
    assert {code: sorted(map(str, messages)) for code, messages in missing.items() if messages} == {}
