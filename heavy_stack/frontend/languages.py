"""The languages the app speaks (catalogues in ``heavy_stack/locales/``), and the switcher.

The visitor's language is chosen by the framework for each page load and live connection (the
switcher's cookie, else the browser's ``Accept-Language``); components translate with
``heavy.gettext`` (imported as ``_``). How to add a string or a language: docs/i18n.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from heavy import Languages, current_language, html, static_html, switch_language_url
from heavy import gettext as t
from reactpy import use_location

from heavy_stack.frontend.types import Component

# Inside the package, so the wheel and the production image carry the catalogues.
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


@cache
def languages() -> Languages:
    """English (the language the code is written in) and each catalogue of ``LOCALES_DIR``,
    read and compiled once per process."""
    return Languages.load(LOCALES_DIR)


# A plain function, not a component: it keeps no state of its own (contexts only), so as a
# component it only cost every open page a layout level (docs/benchmarks.md, "Memory").
def LanguageSwitcher() -> Component:
    """A link to each other language, back to this page; the current one is marked.

    A plain link (a page load): the first paint and the live page come in the new language,
    and the choice is kept in a cookie by heavy's route. Each name is written in its own
    language, and says so (``lang``).
    """
    location = use_location()
    # The same for every visitor of a language on that page: made once. Not an address with a
    # query, which may carry a one-time token (a password reset) best not kept.
    links = language_links_once if not location.search else language_links
    return links(location.pathname + location.search)


def language_links(here: str) -> Component:
    current = current_language()
    choices = [
        html.span({"lang": language.tag, "aria-current": "true"}, language.name)
        if code == current.code
        else html.a(
            {
                "href": switch_language_url(code, here),
                "lang": language.tag,
                "hrefLang": language.tag,
                "id": f"language-{code}",
            },
            language.name,
        )
        for code, language in languages().items()
    ]
    return html.nav(
        {"id": "language-switcher", "className": "language-switcher", "aria-label": t("Language")}, *choices
    )


language_links_once = static_html(language_links)
