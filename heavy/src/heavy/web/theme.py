"""The visitor's colour theme: the system's setting, or one they chose, known at first paint.

The choice lives in a cookie (``THEME_COOKIE``), so the server knows it before anything is
drawn: every page's HTTP response writes it on ``<html data-theme="...">`` (no attribute while
the visitor follows the system), and the product's stylesheet picks its colours from that
attribute and from ``prefers-color-scheme``. No script runs before the first paint, so no
frame ever shows the wrong theme.

The switch is the product's markup: buttons carrying ``theme_choice_attributes(name)``. A click
on one is handled twice. heavy's page script (``heavy/client/src/page/theme.js``) sets the
attribute on ``<html>`` and the cookie at once, without waiting for the server (and while the
page is reconnecting); the live layout hears the click too, and ``use_theme().choose`` keeps
the choice in the connection's state, so every page the router shows after marks the right
button. ``use_theme()`` gives the current choice, provided by heavy above the product's root
from the cookie of the page request or of the websocket handshake.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from heavy.contexts import provide_context
from heavy.hooks import heavy_use_context, heavy_use_state
from reactpy import create_context
from reactpy.types import Context

THEME_COOKIE = "theme"
SYSTEM_THEME = "system"
"""The choice that follows the system's setting (``prefers-color-scheme``): no attribute."""
THEME_CHOICE_ATTRIBUTE = "data-heavy-theme"
# A theme's name as the stylesheet's selectors name it: any such name is written, so a product
# adds a theme with CSS and a button alone (an unknown one matches no rule: the system's colours).
_THEME_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")


def theme_from_cookie(value: str | None) -> str:
    """The theme a cookie's value names, or ``SYSTEM_THEME`` for none or a malformed one."""
    if value is None or not _THEME_NAME.fullmatch(value):
        return SYSTEM_THEME
    return value


def theme_document_attributes(theme: str) -> str:
    """What ``<html>`` carries for ``theme`` (already checked by ``theme_from_cookie``)."""
    return "" if theme == SYSTEM_THEME else f' data-theme="{theme}"'


def theme_choice_attributes(theme: str) -> dict[str, str]:
    """The attributes of a button (or any clickable element) that chooses ``theme``."""
    return {THEME_CHOICE_ATTRIBUTE: theme}


@dataclass(frozen=True, slots=True)
class ThemeChoice:
    """The visitor's theme (``current``: a theme's name or ``SYSTEM_THEME``) and how to change
    it for the rest of the connection (the page script has already changed the page and the cookie)."""

    current: str
    choose: Callable[[str], None]


def _keep(theme: str) -> None:
    """Outside any page (a component rendered alone in a test) there is nothing to keep."""


ThemeContext: Context[ThemeChoice] = create_context(ThemeChoice(SYSTEM_THEME, _keep))


def provide_theme(initial: str) -> None:
    """Provide the theme to what the calling component renders, starting at ``initial``."""
    current, set_current = heavy_use_state(initial)

    def choose(theme: str) -> None:
        set_current(theme_from_cookie(theme))

    provide_context(ThemeContext, ThemeChoice(current, choose))


def use_theme() -> ThemeChoice:
    """The visitor's theme, and how to record a new choice."""
    return heavy_use_context(ThemeContext)
