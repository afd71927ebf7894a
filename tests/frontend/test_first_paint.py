"""The first paint: a page rendered on the server for its HTTP response, without effects."""

from __future__ import annotations

from typing import Any

from heavy import HeavyContext, heavy_use_effect, heavy_use_state, render_first_paint, vdom_to_html
from reactpy import component, html
from reactpy.backend.types import Location

from heavy_stack.backend.services.container import AppServices
from heavy_stack.frontend.app_root import PAGES, AppRoot
from heavy_stack.frontend.types import Component


def at(path: str) -> Location:
    return Location(pathname=path, search="")


async def test_no_effect_runs_in_a_first_paint_so_nothing_is_loaded_or_written() -> None:
    ran: list[str] = []

    @component
    def Saves() -> Component:
        text, set_text = heavy_use_state("Loading…")

        async def save(context: HeavyContext[Any]) -> None:  # would write, in its own transaction
            ran.append("async")
            set_text("saved")

        def tell_the_browser() -> None:
            ran.append("sync")

        heavy_use_effect(save, [])
        heavy_use_effect(tell_the_browser, [])
        return html.p({"id": "state"}, text)

    assert await render_first_paint(Saves(), at("/")) == '<p id="state">Loading…</p>'
    assert ran == []


async def test_the_landing_page_paints_with_its_loading_states(services: AppServices) -> None:
    painted = await render_first_paint(AppRoot(services), at("/"))

    assert '<h1 class="page-title">The Heavy Stack</h1>' in painted
    assert '<p id="current-user">Loading…</p>' in painted  # loaded by an effect: not here
    assert 'id="echo-input"' in painted
    assert "<script" not in painted  # Brython calls and modules belong to the live page
    assert 'id="heavy-bridge-result"' not in painted  # hidden: the live page's alone


async def test_each_route_paints_its_own_page(services: AppServices) -> None:
    assert '<h1 class="page-title">Sign up</h1>' in await render_first_paint(
        AppRoot(services), at("/sign-up")
    )
    not_found = await render_first_paint(AppRoot(services), at("/no/such/page"))
    assert '<h1 class="page-title">Page not found</h1>' in not_found
    # An anonymous visitor of a signed-in page is asked to sign in, as the live page does.
    assert "Sign in to continue" in await render_first_paint(AppRoot(services), at("/notes"))


def test_the_route_table_gives_titles_and_statuses() -> None:
    page_for = PAGES.page_for
    assert (page_for("/").full_title("App"), page_for("/").status) == ("App", 200)
    assert page_for("/sign-in").full_title("App") == "Sign in · App"
    note = "/notes/0b7c2a8e-3f57-4c1e-9a55-6f7b1a2d9e10"
    assert (page_for(note).title, page_for(note).status) == ("Note", 200)
    for unknown in ("/no/such/page", "/notes/not-a-uuid", "/other/deeper"):
        assert (page_for(unknown).title, page_for(unknown).status) == ("Page not found", 404)


def model(tag: str, attributes: dict[str, Any] | None = None, *children: Any) -> dict[str, Any]:
    return {"tagName": tag, "attributes": attributes or {}, "children": list(children)}


def test_html_is_what_the_browser_would_hold() -> None:
    assert vdom_to_html(model("textarea", {"id": "body", "value": "a <b>"})) == (
        '<textarea id="body">a &lt;b&gt;</textarea>'  # never <textarea/>: HTML reads that as open
    )
    assert vdom_to_html(
        model("input", {"className": "x", "maxLength": 5, "disabled": True, "hidden": False})
    ) == ('<input class="x" maxlength="5" disabled>')
    assert vdom_to_html(model("label", {"htmlFor": "a", "aria-expanded": False, "data_kind": "y"})) == (
        '<label for="a" aria-expanded="false" data-kind="y"></label>'
    )
    assert vdom_to_html(model("p", {"title": '"quoted" & more'}, "<script>alert(1)</script>")) == (
        '<p title="&quot;quoted&quot; &amp; more">&lt;script&gt;alert(1)&lt;/script&gt;</p>'
    )
    assert (
        vdom_to_html(model("div", {"style": {"marginTop": "1rem"}})) == '<div style="margin-top:1rem"></div>'
    )
    fragment = model(
        "", None, model("script", None, "run()"), model("br"), "text", model("span", {"hidden": True})
    )
    assert vdom_to_html(fragment) == "<br>text"
    chosen = model(
        "select", {"value": "b"}, model("option", {"value": "a"}, "A"), model("option", {"value": "b"}, "B")
    )
    assert (
        vdom_to_html(chosen)
        == '<select><option value="a">A</option><option value="b" selected>B</option></select>'
    )
    module = {"tagName": "History", "importSource": {"source": "x", "sourceType": "NAME"}}
    assert vdom_to_html(model("div", None, module)) == "<div></div>"
