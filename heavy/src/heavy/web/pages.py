"""A product's pages, and the HTML response of every page address: the page document with the
route's first paint.

ReactPy's own index route answers every address with the same shell, status 200, an empty
``#app`` and one title. This one (ReactPy's is switched off with ``serve_index_route=False``)
answers with the route's title, status (404 for an address no page has) and its first paint
(``first_paint.py``). The shell is ``client.page_document``: heavy's client scripts mount
ReactPy's client on its ``#app``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from heavy.i18n import current_language, gettext
from heavy.web.client import MOUNT_ELEMENT, page_document
from heavy.web.first_paint import FIRST_PAINT_ID
from heavy.web.router import page_router
from reactpy_router import route
from reactpy_router.resolvers import ReactPyResolver

TITLE_MARK = "\x00heavy-title\x00"  # replaced per page; never in a real title (escaped)
CONTENT_MARK = "\x00heavy-first-paint\x00"
HTML_ATTRIBUTES_MARK = "\x00heavy-html-attributes\x00"
TEXTS_MARK = "\x00heavy-texts\x00"


@dataclass(frozen=True)
class PageRoute:
    """One page of a product: its path (reactpy-router syntax), title, content and HTTP status."""

    path: str
    title: str | None  # None: the app's title alone; marked with N_, shown translated
    # Makes the page's component (Any: ReactPy's types reject many valid component results).
    content: Callable[[], Any]
    status: int = 200

    def full_title(self, app_title: str) -> str:
        """The window title in the current language: "Sign in · The Heavy Stack", or the app's
        title alone."""
        return app_title if self.title is None else f"{gettext(self.title)} · {app_title}"


class Pages(Sequence[PageRoute]):
    """A product's table of pages, matched in order as reactpy-router matches them.

    The last one must take any address (``"{path:any}"``): it is the not-found page, and
    ``page_for`` gives it for an address no other page has.
    """

    def __init__(self, *pages: PageRoute) -> None:
        if not pages:
            raise ValueError("Pages needs at least one page (the last one takes any address)")
        self._pages = pages
        self._resolvers = tuple(ReactPyResolver(route(page.path, None)) for page in pages)
        self._routes: dict[Hashable, tuple[ReactPyResolver, ...]] = {}  # by key and language

    def router(self, element: Callable[[PageRoute], Any], *, key: Hashable = None) -> Any:
        """The router of these pages (``heavy.web.router``), ``element(page)`` the element of
        each page's route (made when its route is shown, e.g. a component).

        The routes, and reactpy-router's resolvers of them, are made once per ``key`` and
        language and shared by every live page: no connection keeps its own dozen routes,
        elements, translated titles and resolvers (about 8 KiB of an idle page's memory).
        So ``element`` must depend on the page, the current language and ``key`` only (the
        app's title, say), never on the visitor or the connection.
        """
        cache_key = (key, current_language().code)
        routes = self._routes.get(cache_key)
        if routes is None:
            routes = tuple(_route(page.path, element(page)) for page in self._pages)
            self._routes[cache_key] = routes
        return page_router(routes)

    def page_for(self, pathname: str) -> PageRoute:
        """The page the router shows at ``pathname`` (the last page when none matches)."""
        for page, resolver in zip(self._pages, self._resolvers, strict=True):
            if resolver.resolve(pathname) is not None:
                return page
        return self._pages[-1]

    def __getitem__(self, index: Any) -> Any:
        return self._pages[index]

    def __len__(self) -> int:
        return len(self._pages)

    def __iter__(self) -> Iterator[PageRoute]:
        return iter(self._pages)


@dataclass(frozen=True)
class PageShell:
    """The page document with a slot for the title and one for the first paint."""

    template: str

    @classmethod
    def build(cls, head: Callable[[str], str], max_message_bytes: int) -> PageShell:
        """The shell whose ``<head>`` holds ``head(title)`` (what a product's pages load) and
        heavy's client (``max_message_bytes``: the server's websocket message limit)."""
        index = page_document(
            head(TITLE_MARK),
            max_message_bytes=max_message_bytes,
            html_attributes=HTML_ATTRIBUTES_MARK,
            texts=TEXTS_MARK,
        )
        first_paint = f'<div id="{FIRST_PAINT_ID}">{CONTENT_MARK}</div>'
        return cls(index.replace(MOUNT_ELEMENT, first_paint + MOUNT_ELEMENT))

    def page(
        self, title: str, first_paint: str, html_attributes: str = ' lang="en"', texts: str = "{}"
    ) -> str:
        """The page: ``title`` is text (escaped here), ``first_paint`` and ``html_attributes``
        (what ``<html>`` carries: the language, the theme; English for a page that gives none,
        such as the development dashboard) are HTML; ``texts`` is what the page script says, as
        JSON (``client_texts``; escaped here)."""
        return (
            self.template.replace(TITLE_MARK, html.escape(title))
            .replace(TEXTS_MARK, html.escape(texts))
            .replace(HTML_ATTRIBUTES_MARK, html_attributes)
            .replace(CONTENT_MARK, first_paint)
        )


def _route(path: str, element: Any) -> ReactPyResolver:
    """The resolver of a page's route, its element keyed by the route (so that another page's
    element, the same component with other arguments, is mounted afresh)."""
    resolver = ReactPyResolver(route(path, element))
    if hasattr(element, "render") and not element.key:
        element.key = resolver.key
    elif isinstance(element, dict) and not element.get("key"):
        element["key"] = resolver.key
    return resolver
