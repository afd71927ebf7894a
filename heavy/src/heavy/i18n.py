"""Languages: a product's translation catalogues, the visitor's language, and formatting for it.

- ``Languages.load(folder)`` reads the gettext catalogues of a product (``<folder>/<code>/
  LC_MESSAGES/messages.po``) with Babel and compiles them in memory at start-up: the ``.po``
  files are the only ones committed, so what runs is always what was translated, and a fresh
  clone needs no compile step. heavy's own messages (the notice banner's) come from heavy's
  catalogue, under the product's.
- Each page request and each live connection speaks one ``Language``: the one the visitor chose
  (``LANGUAGE_COOKIE``, set by the switcher's route ``LANGUAGE_PATH``), else the best match of
  the browser's ``Accept-Language``, else the product's source language. The framework sets it
  before the first paint and before a connection's layout renders; ``gettext`` and friends read
  it from a context variable, so components, plain functions and handlers all translate
  without a hook, and a lookup is a dictionary read.
- Messages written where no visitor is known yet (module constants) are marked with ``N_``
  and translated where they are shown: ``gettext(NOT_FOUND)``.
- ``Language.format_*`` formats dates, times and numbers for the language (Babel's CLDR data),
  in the visitor's time zone.
"""

from __future__ import annotations

import gettext as stdlib_gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from functools import cache
from io import BytesIO
from pathlib import Path
from string import Formatter
from typing import Literal

import babel
from babel import dates, numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

# The cookie that keeps a visitor's choice, and the route that sets it.
LANGUAGE_COOKIE = "heavy_language"
LANGUAGE_PATH = "/_heavy/language"
DOMAIN = "messages"
# heavy's own messages, translated by heavy (a product's catalogue may override them).
HEAVY_DOMAIN = "heavy"
HEAVY_LOCALES = Path(__file__).resolve().parent / "locales"
# The functions a message is written in, for the extractor (the Makefile's pybabel flags say the
# same): a product imports gettext as ``t`` (``_`` would also match ReactPy's ``html._``).
KEYWORDS: dict[str, tuple[int, ...] | None] = {"t": None, "gettext": None, "ngettext": (1, 2), "N_": None}
# More than any browser sends; a longer header is read up to here.
MAX_ACCEPTED_LANGUAGES = 20


# CLDR's named lengths of a date or a time (a ``format_date``/``format_time`` style may also be
# a CLDR pattern such as ``"HH:mm:ss.SSS"``).
Style = Literal["short", "medium", "long", "full"]


class CatalogueError(ValueError):
    """A catalogue that cannot be read: the message names the file and the problem."""


@dataclass(frozen=True, eq=False)
class Language:
    """One language a product speaks: its translations and its formats.

    ``code`` is the catalogue's folder name and the page's ``<html lang>`` (``"de"``,
    ``"pt_BR"`` is written ``"pt-BR"`` there).
    """

    code: str
    translations: stdlib_gettext.NullTranslations = field(default_factory=stdlib_gettext.NullTranslations)
    locale: babel.Locale = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "locale", babel.Locale.parse(self.code))
        # Bound once: a lookup is then one call and a dictionary read.
        object.__setattr__(self, "gettext", self.translations.gettext)
        object.__setattr__(self, "ngettext", self.translations.ngettext)

    def gettext(self, message: str) -> str:  # replaced per instance by the catalogue's own
        """``message`` in this language (itself when the catalogue has no translation)."""
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:  # replaced per instance
        """The form of ``singular``/``plural`` for ``n`` in this language."""
        return self.translations.ngettext(singular, plural, n)

    @property
    def tag(self) -> str:
        """The BCP 47 tag, for ``<html lang>``: ``de``, ``pt-BR``."""
        return self.code.replace("_", "-")

    @property
    def name(self) -> str:
        """The language's name in itself ("Deutsch", "English"), for a switcher."""
        name = self.locale.display_name or self.code
        return name[:1].upper() + name[1:]

    @property
    def direction(self) -> str:
        """``ltr`` or ``rtl``, for ``<html dir>``."""
        return "rtl" if self.locale.text_direction == "rtl" else "ltr"

    def format_datetime(
        self, moment: datetime, zone: tzinfo | None = None, date: Style = "medium", time: Style = "short"
    ) -> str:
        """``moment`` in ``zone`` (UTC when None), as this language writes a date with a time:
        "Dec 6, 2026, 5:01 AM", "06.12.2026, 05:01".

        ``date`` and ``time`` are each ``short``, ``medium``, ``long`` or ``full``.
        """
        local = moment.astimezone(zone or UTC)
        pattern = dates.get_datetime_format(date, locale=self.locale)
        return (
            str(pattern)
            .replace("'", "")
            .replace("{0}", dates.format_time(local, time, locale=self.locale))
            .replace("{1}", dates.format_date(local.date(), date, locale=self.locale))
        )

    def format_date(self, day: date | datetime, zone: tzinfo | None = None, style: str = "medium") -> str:
        """The date of ``day`` (a moment is first put in ``zone``)."""
        if isinstance(day, datetime):
            day = day.astimezone(zone or UTC).date()
        return dates.format_date(day, style, locale=self.locale)

    def format_time(self, moment: datetime | time, zone: tzinfo | None = None, style: str = "medium") -> str:
        """The time of day of ``moment`` in ``zone``."""
        if isinstance(moment, datetime):
            moment = moment.astimezone(zone or UTC)
        return dates.format_time(moment, style, locale=self.locale)

    def format_number(self, number: float | int) -> str:
        """``number`` with this language's separators: 1,234.5 or 1.234,5."""
        return numbers.format_decimal(number, locale=self.locale)

    def format_percent(self, ratio: float) -> str:
        """``ratio`` as a whole percentage: 0.42 is 42 % (spacing as the language writes it)."""
        return numbers.format_percent(ratio, locale=self.locale)


class Languages(Mapping[str, Language]):
    """The languages a product speaks, by code; the first is its source language (the one its
    messages are written in), spoken when nothing better matches."""

    def __init__(self, source: Language, *others: Language) -> None:
        self._by_code = {language.code: language for language in (source, *others)}
        self.source = source
        # Lower-cased, dashed codes to match tags from browsers ("de-de" -> "de").
        self._by_tag = {language.tag.lower(): language for language in self._by_code.values()}

    @classmethod
    def load(cls, folder: Path | None, *, source: str = "en") -> Languages:
        """The source language and one language per catalogue in ``folder``
        (``<code>/LC_MESSAGES/messages.po``), each over heavy's own catalogue of its code.

        A catalogue that cannot be read raises ``CatalogueError`` naming the file.
        """
        codes = [source]
        if folder is not None:
            codes += sorted(path.parent.parent.name for path in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
        languages = [Language(code, _translations(folder, code)) for code in dict.fromkeys(codes)]
        return cls(*languages)

    def __getitem__(self, code: str) -> Language:
        return self._by_code[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)

    def choose(self, chosen: str | None, accept_language: str | None) -> Language:
        """The visitor's language: ``chosen`` (the cookie's code) if this product speaks it,
        else the first of ``Accept-Language``'s preferences it speaks, else the source."""
        if chosen and chosen in self._by_code:
            return self._by_code[chosen]
        for tag in preferred_tags(accept_language or ""):
            match = self._by_tag.get(tag) or self._by_tag.get(tag.split("-", 1)[0])
            if match is not None:
                return match
        return self.source


def preferred_tags(accept_language: str) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first, lower-cased
    (``"de-DE,de;q=0.9,en;q=0.8"`` -> ``["de-de", "de", "en"]``); ``q=0`` ones are left out."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:MAX_ACCEPTED_LANGUAGES]):
        tag, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and tag != "*" and weight > 0:
            ranked.append((-weight, index, tag.lower().replace("_", "-")))
    return [tag for _weight, _index, tag in sorted(ranked)]


def _translations(folder: Path | None, code: str) -> stdlib_gettext.NullTranslations:
    """The product's catalogue of ``code`` over heavy's (either may be missing)."""
    product = folder / code / "LC_MESSAGES" / f"{DOMAIN}.po" if folder is not None else None
    heavy = HEAVY_LOCALES / code / "LC_MESSAGES" / f"{HEAVY_DOMAIN}.po"
    translations = compile_catalogue(product, code) if product and product.exists() else None
    heavy_translations = compile_catalogue(heavy, code) if heavy.exists() else None
    if translations is None:
        return heavy_translations or stdlib_gettext.NullTranslations()
    if heavy_translations is not None:
        translations.add_fallback(heavy_translations)
    return translations


def compile_catalogue(po_file: Path, code: str) -> stdlib_gettext.GNUTranslations:
    """A ``.po`` file compiled in memory, as ``pybabel compile`` would write its ``.mo``
    (fuzzy entries left out: they await a translator's review)."""
    try:
        with po_file.open("rb") as source:
            catalog = read_po(source, locale=code, abort_invalid=True)
    except (PoFileError, ValueError, OSError) as error:
        raise CatalogueError(f"Cannot read the catalogue {po_file}: {error}") from None
    for problem in placeholder_problems(catalog):
        raise CatalogueError(f"In the catalogue {po_file}: {problem}")
    return translations_of(catalog)


def placeholder_problems(catalog: Catalog) -> Iterator[str]:
    """Translations naming a ``{placeholder}`` their message does not have: filling them in
    would fail on the page, so the catalogue is refused at start-up instead."""
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        known = set().union(*(_placeholders(text) for text in ids))
        for text in strings:
            unknown = _placeholders(text or "") - known
            if unknown:
                yield f"the translation of {ids[0]!r} names {sorted(unknown)}, which the message does not have"


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _literal, name, _spec, _conversion in Formatter().parse(text) if name}
    except ValueError:  # not a format string (a lone brace): nothing to fill in
        return set()


def translations_of(catalog: Catalog) -> stdlib_gettext.GNUTranslations:
    """A Babel ``Catalog`` as gettext translations (what a test builds a language from)."""
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return stdlib_gettext.GNUTranslations(compiled)


# The language of the page being rendered or the handler running: set for each page request
# and each live connection (the tasks they start inherit it), None outside them.
_speaking: ContextVar[Language | None] = ContextVar("heavy_language", default=None)


@cache
def _source_english() -> Language:
    return Language("en")


def current_language() -> Language:
    """The language of the current page, connection or handler (English outside any)."""
    return _speaking.get() or _source_english()


def speak(language: Language) -> None:
    """Make ``language`` the current one for this task and the tasks it starts from now on."""
    _speaking.set(language)


@contextmanager
def speaking(language: Language) -> Iterator[Language]:
    """Within this block, ``language`` is the current one (tests; rendering for someone)."""
    token = _speaking.set(language)
    try:
        yield language
    finally:
        _speaking.reset(token)


def gettext(message: str) -> str:
    """``message`` in the current language. Write messages as literals, so ``make
    i18n-extract`` finds them: ``gettext("Saved.")``, placeholders filled after:
    ``gettext("Added “{title}”.").format(title=title)``."""
    return (_speaking.get() or _source_english()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The current language's form for ``n``: ``ngettext("{n} note", "{n} notes", n).format(n=n)``."""
    return (_speaking.get() or _source_english()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for it, which the extractor knows
    """Marks ``message`` for the catalogue without translating it (a module constant, written
    before any visitor is known); translate it where it is shown: ``gettext(CONSTANT)``."""
    return message
