"""The layout mirror finds by id what a walk of the whole page finds, update after update."""

from __future__ import annotations

from typing import Any

from heavy.stream.layout_mirror import LayoutMirror

from heavy_stack_testing.fixtures.pages import OpenPage


def _walked(mirror: LayoutMirror, element_id: str) -> list[tuple[str, Any]]:
    return [(e.path, e.model) for e in mirror.elements() if e.attributes.get("id") == element_id]


def _found(mirror: LayoutMirror, element_id: str) -> list[tuple[str, Any]]:
    return [(e.path, e.model) for e in mirror.find_all(id=element_id)]


def _assert_lookups_match_a_walk(mirror: LayoutMirror, ids: set[str]) -> None:
    ids |= {e.attributes["id"] for e in mirror.elements() if isinstance(e.attributes.get("id"), str)}
    for element_id in ids:
        assert _found(mirror, element_id) == _walked(mirror, element_id), element_id


def _div(element_id: str, *children: Any) -> dict[str, Any]:
    return {"tagName": "div", "attributes": {"id": element_id}, "children": list(children)}


def _update(path: str, model: Any) -> dict[str, Any]:
    return {"type": "layout-update", "path": path, "model": model}


def test_an_update_replaces_the_ids_below_its_path_and_keeps_the_others() -> None:
    mirror = LayoutMirror()
    mirror.apply(_update("", _div("root", _div("a", _div("a-inner")), _div("b"), "text")))
    mirror.apply(_update("/children/0", _div("c", _div("c-inner"))))

    assert mirror.find_all(id="a") == []
    assert mirror.find_all(id="a-inner") == []
    assert mirror.find(id="c-inner").path == "/children/0/children/0"
    assert mirror.find(id="b").path == "/children/1"
    _assert_lookups_match_a_walk(mirror, {"a", "a-inner"})


def test_elements_sharing_an_id_come_depth_first_and_an_update_at_1_keeps_10() -> None:
    eleven = [_div(f"n{index}") for index in range(11)]
    eleven[2] = _div("twin", _div("twin"))
    eleven[10] = _div("twin")
    mirror = LayoutMirror()
    mirror.apply(_update("", _div("root", *eleven)))

    assert [e.path for e in mirror.find_all(id="twin")] == [
        "/children/2",
        "/children/2/children/0",
        "/children/10",
    ]
    assert mirror.find(id="twin").path == "/children/2"

    mirror.apply(_update("/children/1", _div("n1-new")))
    mirror.apply(_update("/children/2", _div("n2-new")))
    assert [e.path for e in mirror.find_all(id="twin")] == ["/children/10"]
    _assert_lookups_match_a_walk(mirror, {"n1", "n2"})


def test_an_update_that_is_not_an_element_place_and_a_new_root_are_indexed_again() -> None:
    mirror = LayoutMirror()
    mirror.apply(_update("", _div("root", _div("a"))))
    mirror.apply(_update("/children", [_div("b"), _div("c")]))
    assert mirror.find_all(id="a") == []
    assert mirror.find(id="c").path == "/children/1"

    mirror.root = _div("other")
    assert mirror.find_all(id="c") == []
    assert mirror.find(id="other").path == ""


async def test_a_live_page_is_found_by_id_as_a_walk_finds_it(open_page: OpenPage) -> None:
    seen: set[str] = set()
    async with open_page("/") as page:
        await page.wait_for_text("current-user", "@")
        _assert_lookups_match_a_walk(page.layout, seen)
        await page.click("update-time")
        await page.type("number-input", "12")
        await page.wait_for_text("number-result", "144")
        _assert_lookups_match_a_walk(page.layout, seen)
        await page.navigate("/other")
        await page.wait_until(lambda: not page.layout.has(id="update-time"))
        _assert_lookups_match_a_walk(page.layout, seen)
        assert "update-time" in seen
        await page.navigate("/")
        await page.wait_for_element("update-time")
        _assert_lookups_match_a_walk(page.layout, seen)
