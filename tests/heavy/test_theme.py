"""The theme cookie as the server reads it: a name the stylesheet can match, or the system's."""

from __future__ import annotations

import pytest
from heavy import SYSTEM_THEME, theme_from_cookie
from heavy.web.theme import theme_document_attributes


@pytest.mark.parametrize("value", ["dark", "light", "sepia", "high-contrast-2"])
def test_a_theme_name_is_written_on_the_page(value: str) -> None:
    assert theme_from_cookie(value) == value
    assert theme_document_attributes(value) == f' data-theme="{value}"'


@pytest.mark.parametrize(
    "value", [None, "", "system", "Dark", '"><script>', "dark mode", "x" * 40, "2dark", "dark;", "été"]
)
def test_anything_else_follows_the_system_and_writes_nothing(value: str | None) -> None:
    assert theme_document_attributes(theme_from_cookie(value)) == ""
    assert theme_from_cookie(value) == SYSTEM_THEME
