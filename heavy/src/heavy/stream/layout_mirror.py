"""A client-side copy of a ReactPy layout, kept current from ``layout-update`` messages.

ReactPy sends the whole model once, then replaces sub-models at paths such as
``/children/0/children/2``. The mirror applies those and lets callers find elements (by id,
text or tag) and the event target ids of their handlers, which differ on every connection.

Lookups by id come from an index that each update refreshes for the part it replaced: a
replay looks an element up for every event, and walking the whole page each time made the
load generator costlier per event than the server it measured.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

VdomModel = dict[str, Any]


class ElementNotFoundError(LookupError):
    """No element of the layout matches the query."""


@dataclass(frozen=True)
class Element:
    """One element of the mirrored layout, with its path in the model."""

    path: str
    model: VdomModel

    @property
    def tag(self) -> str:
        return str(self.model.get("tagName", ""))

    @property
    def attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = self.model.get("attributes", {})
        return attributes

    @property
    def text(self) -> str:
        """All text below this element, joined."""
        return "".join(_texts(self.model))

    def target(self, event: str) -> str:
        """The target id of this element's handler for ``event`` (e.g. ``onClick``)."""
        handlers = self.model.get("eventHandlers", {})
        if event not in handlers:
            raise ElementNotFoundError(f"<{self.tag}> at {self.path or '/'} has no {event} handler")
        return str(handlers[event]["target"])


class LayoutMirror:
    """The layout as the browser would hold it."""

    def __init__(self) -> None:
        self._root: VdomModel = {}
        self._ids: dict[str, dict[str, VdomModel]] = {}  # id -> {path: element model}
        self._id_at: dict[str, str] = {}  # path -> id, for the elements that have one
        self._id_paths: list[str] = []  # the same paths, sorted: those below a path are a slice

    @property
    def root(self) -> VdomModel:
        """The whole model, as the first ``layout-update`` sent it and later ones changed it."""
        return self._root

    @root.setter
    def root(self, model: VdomModel) -> None:
        self._root = model
        self._ids, self._id_at, self._id_paths = {}, {}, []
        self._index(model, "")

    def apply(self, message: dict[str, Any]) -> None:
        """Apply one ``layout-update`` message."""
        path, model = message["path"], message["model"]
        if not path:
            self.root = model
            return
        *parents, last = _split(path)
        node: Any = self._root
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = model
        else:
            node[last] = model
        if parents and parents[-1] == "children":
            self._forget_below(path)
            self._index(model, path)
        else:  # not an element's place (ReactPy sends none such): index the page again
            self.root = self._root

    def _index(self, model: Any, path: str) -> None:
        for place, element in _walk(model, path):
            attributes = element.get("attributes")
            if attributes and isinstance(element_id := attributes.get("id"), str):
                self._ids.setdefault(element_id, {})[place] = element
                self._id_at[place] = element_id
                insort(self._id_paths, place)

    def _forget_below(self, path: str) -> None:
        # Sorted, the paths at or below "/children/3" run up to "/children/30": "/" < "0".
        start = bisect_left(self._id_paths, path)
        end = bisect_left(self._id_paths, path + "0", start)
        for place in self._id_paths[start:end]:
            element_id = self._id_at.pop(place)
            del self._ids[element_id][place]
            if not self._ids[element_id]:
                del self._ids[element_id]
        del self._id_paths[start:end]

    def elements(self) -> Iterator[Element]:
        """Every element, depth first."""
        return (Element(path, model) for path, model in _walk(self._root, ""))

    def find_all(
        self,
        *,
        id: str | None = None,
        text: str | None = None,
        tag: str | None = None,
    ) -> list[Element]:
        """Elements matching every given criterion, depth first; ``text`` matches a substring."""
        if id is not None:
            candidates = self._with_id(id)
        else:  # an Element only for those of the tag: a replay looks up every few messages
            walked = _walk(self._root, "")
            candidates = [Element(p, m) for p, m in walked if tag is None or m.get("tagName", "") == tag]
        return [
            element
            for element in candidates
            if (tag is None or element.tag == tag) and (text is None or text in element.text)
        ]

    def _with_id(self, element_id: str) -> list[Element]:
        places = self._ids.get(element_id, {})
        if len(places) < 2:
            return [Element(path, model) for path, model in places.items()]
        return [Element(path, places[path]) for path in sorted(places, key=_depth_first)]

    def find(
        self,
        *,
        id: str | None = None,
        text: str | None = None,
        tag: str | None = None,
    ) -> Element:
        """The innermost element matching the query (so ``text=`` finds the button, not ``body``)."""
        found = self.find_all(id=id, text=text, tag=tag)
        if not found:
            raise ElementNotFoundError(f"no element with id={id!r} text={text!r} tag={tag!r}")
        return found[-1] if text is not None and id is None else found[0]

    def has(self, **query: str) -> bool:
        return bool(self.find_all(**query))

    def has_handler(self, event: str) -> bool:
        return bool(self.find_all_handling(event))

    def find_all_handling(self, event: str) -> list[Element]:
        """The elements with a handler for ``event`` (e.g. ``onClick``), depth first."""
        return [Element(p, m) for p, m in _walk(self._root, "") if event in m.get("eventHandlers", ())]

    def at(self, path: str) -> Element:
        """The element at ``path`` (as in ``Element.path``)."""
        node: Any = self.root
        try:
            for part in _split(path):
                node = node[int(part)] if isinstance(node, list) else node[part]
        except (LookupError, ValueError, TypeError):
            node = None
        if not isinstance(node, dict):
            raise ElementNotFoundError(f"no element at {path or '/'}")
        return Element(path, node)

    def siblings(self, element: Element) -> list[Element]:
        """The element and the others under the same parent, in order."""
        if "/children/" not in element.path:
            return [element]
        parent = self.at(element.path.rsplit("/children/", 1)[0])
        children = parent.model.get("children", [])
        return [
            Element(f"{parent.path}/children/{index}", child)
            for index, child in enumerate(children)
            if isinstance(child, dict)
        ]

    def owner_of(self, target: str) -> tuple[Element, str] | None:
        """The element and event name (e.g. ``onClick``) whose handler has this target id."""
        for element in self.elements():
            for event, handler in element.model.get("eventHandlers", {}).items():
                if handler.get("target") == target:
                    return element, event
        return None

    def find_handler(self, event: str) -> Element:
        """The first element with a handler for ``event``."""
        handling = self.find_all_handling(event)
        if not handling:
            raise ElementNotFoundError(f"no element handles {event}")
        return handling[0]


def _walk(model: Any, path: str) -> list[tuple[str, VdomModel]]:
    """``(path, model)`` of the element ``model`` at ``path`` and of every element below, depth first.

    A list, not a generator: it runs over every update a page receives.
    """
    found: list[tuple[str, VdomModel]] = []
    stack: list[tuple[str, Any]] = [(path, model)] if isinstance(model, dict) else []
    while stack:
        place, element = stack.pop()
        found.append((place, element))
        children = element.get("children", ())
        for index in range(len(children) - 1, -1, -1):
            if isinstance(child := children[index], dict):  # text has no path of its own
                stack.append((f"{place}/children/{index}", child))
    return found


def _split(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _depth_first(path: str) -> list[int]:
    # Element paths alternate "children" and an index; the indexes order them depth first.
    return [int(part) for part in _split(path)[1::2]]


def _texts(model: Any) -> Iterator[str]:
    if isinstance(model, str):
        yield model
    elif isinstance(model, dict):
        for child in model.get("children", []):
            yield from _texts(child)
