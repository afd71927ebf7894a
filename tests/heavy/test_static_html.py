"""``heavy.static_html``: plain HTML made once per language, shared by every page in it."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog
from heavy import Language, LayoutMirror, LiveLayout, heavy_event, heavy_use_state, speaking, static_html
from heavy import gettext as t
from heavy.i18n import translations_of
from reactpy import component, html

from heavy_stack.frontend.types import Component


@static_html
def Greeting(name: str) -> Component:
    return html.div({"id": "greeting"}, html.h1(t("Hello")), html.p(name))


@static_html
def WithAButton() -> Component:
    return html.div(html.button({"onClick": lambda _event: None}, "go"))


@component
def Page() -> Component:
    count, set_count = heavy_use_state(0)
    bump = heavy_event(lambda: set_count(count + 1))
    return html.main(Greeting("Ada"), html.button({"id": "bump", "onClick": bump}, str(count)))


def german() -> Language:
    catalog = Catalog(locale="de")
    catalog.add("Hello", "Hallo")
    return Language("de", translations_of(catalog))


async def shown(language: Language) -> list[str]:
    """The greeting's text after the first render and after a click re-rendered the page."""
    mirror, texts = LayoutMirror(), []
    with speaking(language):
        async with LiveLayout(Page()) as layout:
            mirror.apply(dict(await layout.render()))
            texts.append(mirror.find(id="greeting").text)
            target = mirror.find(id="bump").target("onClick")
            await layout.deliver({"type": "layout-event", "target": target, "data": [{}]})
            mirror.apply(dict(await layout.render()))
            texts.append(mirror.find(id="greeting").text + mirror.find(id="bump").text)
    return texts


async def test_each_language_gets_its_own_text_and_every_render_the_same_element() -> None:
    deutsch = german()
    assert await shown(deutsch) == ["HalloAda", "HalloAda1"]
    assert await shown(Language("en")) == ["HelloAda", "HelloAda1"]
    assert await shown(deutsch) == ["HalloAda", "HalloAda1"]  # not the English one made since
    with speaking(deutsch):
        assert Greeting("Ada") is Greeting("Ada")
        assert Greeting("Bo") is not Greeting("Ada")


def test_html_with_a_handler_is_refused_in_words() -> None:
    with pytest.raises(TypeError, match="WithAButton is declared static_html but made something other"):
        WithAButton()
