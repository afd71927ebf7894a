"""The HTML response of every page address: the page document with the route's first paint.

ReactPy's own index route answers every address with the same shell, status 200, an empty
``#app`` and one title. This one (ReactPy's is switched off with ``serve_index_route=False``)
answers with the route's title, status (404 for an address no page has) and its first paint
(``first_paint.py``). The shell is heavy's ``page_document``: heavy's client scripts mount
ReactPy's client on its ``#app``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from heavy import MOUNT_ELEMENT, page_document
from reactpy.backend.types import Location
from sanic import Request, Sanic
from sanic.response import HTTPResponse

from heavy_stack.backend.web.accounts import visitor_of
from heavy_stack.backend.web.app_state import app_state
from heavy_stack.frontend.app_root import AppRoot, page_for
from heavy_stack.frontend.brython_assets import page_head_html
from heavy_stack.frontend.first_paint import FIRST_PAINT_ID, render_first_paint
from heavy_stack.settings import Settings

TITLE_MARK = "\x00heavy-title\x00"  # replaced per page; never in a real title (escaped)
CONTENT_MARK = "\x00heavy-first-paint\x00"


@dataclass(frozen=True)
class PageShell:
    """The page document with a slot for the title and one for the first paint."""

    template: str

    @classmethod
    def build(cls, settings: Settings) -> PageShell:
        head = page_head_html(TITLE_MARK, settings.max_websocket_message_bytes)
        index = page_document(head)
        first_paint = f'<div id="{FIRST_PAINT_ID}">{CONTENT_MARK}</div>'
        return cls(index.replace(MOUNT_ELEMENT, first_paint + MOUNT_ELEMENT))

    def page(self, title: str, first_paint: str) -> str:
        """The page: ``title`` is text (escaped here), ``first_paint`` is HTML."""
        return self.template.replace(TITLE_MARK, html.escape(title)).replace(CONTENT_MARK, first_paint)


def install_pages(app: Sanic[Any, Any], settings: Settings) -> None:
    """Answer ``/`` and every other address no route took with its page."""
    shell = PageShell.build(settings)

    async def page(request: Request, path: str = "") -> HTTPResponse:
        services = app_state(request).services
        route = page_for(request.path)
        location = Location(
            pathname=request.path, search=f"?{request.query_string}" if request.query_string else ""
        )
        root = AppRoot(services, await visitor_of(request))
        body = shell.page(route.full_title(settings.app_title), await render_first_paint(root, location))
        # The first paint may show who is signed in: no shared cache may keep it.
        headers = {"Cache-Control": "private, no-cache", "Vary": "Cookie"}
        return HTTPResponse(
            body, status=route.status, headers=headers, content_type="text/html; charset=utf-8"
        )

    app.add_route(page, "/", name="page_root")
    app.add_route(page, "/<path:path>", name="page_path")
