"""What a text or Markdown file becomes as a note (the upload route's tests send real files)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from heavy_stack.backend.services.note_import import note_from_text
from heavy_stack.shared_models.note import BODY_MAX_LENGTH, TITLE_MAX_LENGTH


def test_the_first_heading_is_the_title_and_the_rest_the_text() -> None:
    assert note_from_text("a.md", "\ufeff# Plan\r\n\r\n- tea\r\n- work\r\n") == ("Plan", "- tea\n- work")
    assert note_from_text("a.md", "Plan\n----\ntext") == ("Plan", "text")
    assert note_from_text("a.txt", "\n\n  first line  \nsecond") == ("first line", "second")
    assert note_from_text("Long ago.txt", "x" * 201) == ("Long ago", "x" * 201)


@given(st.text(max_size=300), st.text(max_size=40))
def test_any_text_becomes_a_storable_note_or_a_refusal_in_words(text: str, name: str) -> None:
    try:
        title, body = note_from_text(name, text)
    except ValueError as refusal:
        refused = str(refusal)
        assert refused.endswith(".")
        return
    assert 0 < len(title) <= TITLE_MAX_LENGTH
    assert title == title.strip()
    assert len(body) <= BODY_MAX_LENGTH
    assert "\x00" not in title + body
