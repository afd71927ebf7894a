"""heavy.i18n: which language a visitor gets, catalogues read at start-up, formats per language."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from heavy import (
    FAILED,
    CatalogueError,
    Language,
    Languages,
    current_language,
    failure_message,
    gettext,
    ngettext,
    speaking,
)
from heavy.i18n import preferred_tags
from heavy.web.client import CLIENT_DIR, CLIENT_TEXTS, PAGE_SCRIPT, client_texts

CATALOGUE = """\
msgid ""
msgstr ""
"Language: {code}\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Saved."
msgstr "{saved}"

msgid "{{n}} note"
msgid_plural "{{n}} notes"
msgstr[0] "{one}"
msgstr[1] "{many}"

#, fuzzy
msgid "Delete"
msgstr "Not reviewed yet"
"""


def write_catalogue(folder: Path, code: str, saved: str, one: str, many: str) -> None:
    path = folder / code / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    path.write_text(CATALOGUE.format(code=code, saved=saved, one=one, many=many), encoding="utf-8")


@pytest.fixture(scope="module")
def languages(tmp_path_factory: pytest.TempPathFactory) -> Languages:
    folder = tmp_path_factory.mktemp("locales")
    write_catalogue(folder, "de", "Gespeichert.", "{n} Notiz", "{n} Notizen")
    write_catalogue(folder, "pt_BR", "Salvo.", "{n} nota", "{n} notas")
    return Languages.load(folder)


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", ["de-de", "de", "en"]),
        ("en;q=0.2, fr ;q=0.9, *;q=0.1", ["fr", "en"]),
        ("fr;q=0, de", ["de"]),  # q=0: not wanted at all
        ("de;q=nonsense, en", ["en"]),
        ("", []),
        (",,;;q=1", []),
    ],
)
def test_accept_language_is_read_most_wanted_first(header: str, tags: list[str]) -> None:
    assert preferred_tags(header) == tags


@pytest.mark.parametrize(
    ("cookie", "header", "code"),
    [
        (None, "de-AT,de;q=0.9", "de"),  # the region falls back to the language
        (None, "pt-br", "pt_BR"),
        (None, "fr-FR,fr;q=0.9,de;q=0.5", "de"),  # the first one spoken here
        (None, "ja", "en"),  # nothing matches: the source language
        (None, None, "en"),
        ("de", "pt-BR", "de"),  # the visitor's choice wins over the browser's
        ("xx", "pt-BR", "pt_BR"),  # a choice this site does not speak is ignored
    ],
)
def test_the_visitors_choice_then_the_browsers_then_the_source(
    languages: Languages, cookie: str | None, header: str | None, code: str
) -> None:
    assert languages.choose(cookie, header).code == code


def test_translations_and_plurals_follow_the_current_language(languages: Languages) -> None:
    assert gettext("Saved.") == "Saved."  # outside any page: English
    with speaking(languages["de"]):
        assert gettext("Saved.") == "Gespeichert."
        assert [ngettext("{n} note", "{n} notes", n).format(n=n) for n in (1, 2)] == ["1 Notiz", "2 Notizen"]
        assert gettext("Delete") == "Delete"  # a fuzzy entry awaits review: not used
        assert gettext("Not in the catalogue") == "Not in the catalogue"
        # heavy's own messages come from heavy's catalogue, under the product's.
        assert failure_message(RuntimeError()) != FAILED
    assert current_language().code == "en"


async def test_tasks_started_while_a_language_is_current_keep_it(languages: Languages) -> None:
    with speaking(languages["pt_BR"]):
        task = asyncio.create_task(asyncio.sleep(0, gettext("Saved.")))
    assert gettext("Saved.") == "Saved."
    assert await task == "Salvo."


def test_dates_times_and_numbers_as_each_language_writes_them(languages: Languages) -> None:
    moment = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    berlin = ZoneInfo("Europe/Berlin")  # already 7 December there
    english, german = languages["en"], languages["de"]
    assert english.format_datetime(moment, berlin) == "Dec 7, 2026, 12:30\u202fAM"
    assert german.format_datetime(moment, berlin) == "07.12.2026, 00:30"
    assert german.format_date(moment, berlin, "long") == "7. Dezember 2026"
    assert english.format_date(moment, None, "long") == "December 6, 2026"
    assert (english.format_number(1234567.5), german.format_number(1234567.5)) == (
        "1,234,567.5",
        "1.234.567,5",
    )
    assert german.format_percent(0.42) == "42\xa0%"
    assert (english.name, german.name, german.tag, languages["pt_BR"].tag) == (
        "English",
        "Deutsch",
        "de",
        "pt-BR",
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('<<<<<<< HEAD\nmsgid "Saved."\nmsgstr "Gespeichert."\n', "misformatted"),  # a merge left in
        ('msgid "Added {title}."\nmsgstr "{titel} hinzugefügt."\n', r"names \['titel'\]"),
    ],
)
def test_a_broken_catalogue_stops_the_start_with_its_file_and_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match=rf"de/LC_MESSAGES/messages\.po.*{problem}"):
        Languages.load(tmp_path)


def test_the_page_script_says_in_english_what_the_server_translates() -> None:
    """The built page script holds the English of every text the server sends it translated."""
    script = (CLIENT_DIR / PAGE_SCRIPT).read_text(encoding="utf-8")
    # esbuild writes non-ASCII characters escaped ("\u2026").
    assert [text for text in CLIENT_TEXTS.values() if json.dumps(text) not in script] == []
    assert json.loads(client_texts(Language("en"))) == CLIENT_TEXTS


def test_a_language_needs_no_catalogue() -> None:
    assert Language("fr").gettext("Saved.") == "Saved."
    assert list(Languages.load(None)) == ["en"]
