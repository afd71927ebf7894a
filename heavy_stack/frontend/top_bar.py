"""The bar at the top of every page: the app's name (home), the account links, the theme and language switches."""

from __future__ import annotations

from heavy import html, static_html

from heavy_stack.frontend.accounts import AccountBar
from heavy_stack.frontend.components.navigation import RouterLink
from heavy_stack.frontend.components.theme_switcher import ThemeSwitcher
from heavy_stack.frontend.languages import LanguageSwitcher
from heavy_stack.frontend.types import Component


def TopBar(app_name: str) -> Component:
    return html.header(
        {"className": "top-bar"},
        HomeLink(app_name),
        AccountBar(),
        ThemeSwitcher(),
        LanguageSwitcher(),
    )


@static_html  # the same on every page
def HomeLink(app_name: str) -> Component:
    return RouterLink(app_name, "/", id="to-home", class_name="app-name")
