"""The languages the app speaks (catalogues in ``heavy_stack/locales/``), and the switcher.

The visitor's language is chosen by the framework for each page load and live connection (the
switcher's cookie, else the browser's ``Accept-Language``); components translate with
``heavy.gettext`` (imported as ``_``). How to add a string or a language: docs/i18n.md.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from heavy import (
    Languages,
    current_language,
    heavy_use_context,
    heavy_use_effect,
    heavy_use_state,
    switch_language_url,
)
from heavy import gettext as t
from reactpy import component, create_context, html, use_location
from reactpy.types import Context

from heavy_stack.frontend.types import Component

# Inside the package, so the wheel and the production image carry the catalogues.
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


@cache
def languages() -> Languages:
    """English (the language the code is written in) and each catalogue of ``LOCALES_DIR``,
    read and compiled once per process."""
    return Languages.load(LOCALES_DIR)


class PageAddress:
    """Where the router shows the page now, for the switcher in the top bar.

    The top bar is outside the router (a navigation does not render it again), where
    ``use_location`` gives the address the connection opened at: the page, inside the
    router, tells the switcher each address it is shown at (``use_page_address``).
    """

    def __init__(self) -> None:
        self.follow: Callable[[str], None] | None = None


PageAddressContext: Context[PageAddress | None] = create_context(None)


def use_page_address() -> None:
    """Called by the router's page: tell the switcher the address the page is shown at."""
    location = use_location()
    here = location.pathname + location.search
    address = heavy_use_context(PageAddressContext)

    def tell() -> None:
        if address is not None and address.follow is not None:
            address.follow(here)

    heavy_use_effect(tell, [here])


@component
def LanguageSwitcher() -> Component:
    """A link to each other language, back to this page; the current one is marked.

    A plain link (a page load): the first paint and the live page come in the new language,
    and the choice is kept in a cookie by heavy's route. Each name is written in its own
    language, and says so (``lang``).
    """
    location = use_location()
    here, set_here = heavy_use_state(location.pathname + location.search)
    address = heavy_use_context(PageAddressContext)
    if address is not None:
        address.follow = set_here
    current = current_language()
    choices = [
        html.span({"key": code, "lang": language.tag, "aria-current": "true"}, language.name)
        if code == current.code
        else html.a(
            {
                "key": code,
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
