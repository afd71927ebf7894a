"""A client-side copy of a ReactPy layout, kept current from ``layout-update`` messages.

ReactPy sends the whole model once, then replaces sub-models at paths such as
``/children/0/children/2``. The mirror applies those and lets callers find elements (by id,
text or tag) and the event target ids of their handlers, which differ on every connection.
"""

from __future__ import annotations

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
        self.root: VdomModel = {}

    def apply(self, message: dict[str, Any]) -> None:
        """Apply one ``layout-update`` message."""
        path, model = message["path"], message["model"]
        if not path:
            self.root = model
            return
        *parents, last = _split(path)
        node: Any = self.root
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = model
        else:
            node[last] = model

    def elements(self) -> Iterator[Element]:
        """Every element, depth first."""
        stack: list[tuple[str, Any]] = [("", self.root)]
        while stack:
            path, model = stack.pop()
            if not isinstance(model, dict):
                continue
            yield Element(path, model)
            children = model.get("children", [])
            for index in reversed(range(len(children))):
                stack.append((f"{path}/children/{index}", children[index]))

    def find_all(
        self,
        *,
        id: str | None = None,
        text: str | None = None,
        tag: str | None = None,
    ) -> list[Element]:
        """Elements matching every given criterion; ``text`` matches a substring."""
        return [
            element
            for element in self.elements()
            if (id is None or element.attributes.get("id") == id)
            and (tag is None or element.tag == tag)
            and (text is None or text in element.text)
        ]

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
        return any(event in e.model.get("eventHandlers", {}) for e in self.elements())

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
        for element in self.elements():
            if event in element.model.get("eventHandlers", {}):
                return element
        raise ElementNotFoundError(f"no element handles {event}")


def _split(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _texts(model: Any) -> Iterator[str]:
    if isinstance(model, str):
        yield model
    elif isinstance(model, dict):
        for child in model.get("children", []):
            yield from _texts(child)
