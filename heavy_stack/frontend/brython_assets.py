"""Serve Brython's runtime from the installed ``brython`` package and the project's ``brython/``.

Nothing comes from a CDN: the page works offline. The runtime's URL carries its version, so
browsers may cache it for good (a new version is a new URL).
"""

from __future__ import annotations

import html
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse

import brython
from heavy_stack.settings import PROJECT_ROOT

BRYTHON_VERSION = version("brython")
RUNTIME_DIR = Path(brython.__file__).parent / "data"
RUNTIME_FILES = ("brython.js", "brython_stdlib.js")
# What pages load. The standard library (5 MB) is served but not loaded: the bridge needs none
# of it, and leaving it out makes Brython's first answer twice as fast. Add "brython_stdlib.js"
# here when your brython/ modules import the standard library (json, re, datetime…).
PAGE_RUNTIME = ("brython.js",)
RUNTIME_URL = f"/brython/runtime/{BRYTHON_VERSION}"
SOURCE_DIR = PROJECT_ROOT / "brython"
SOURCE_URL = "/brython/src"
RUNTIME_CACHE = "public, max-age=31536000, immutable"
# Project modules change while developing: let the browser revalidate them each load.
SOURCE_CACHE = "no-cache"

# Defines window.heavyBridge (queues server calls until Brython runs) and loads Brython.
BRIDGE_LOADER_URL = "/static/js/heavy_bridge.js"
BRIDGE_BOOT = "import reactpy_bridge\nreactpy_bridge.start()\n"


def register_brython_routes(app: Sanic[Any, Any]) -> None:
    for name in RUNTIME_FILES:
        app.static(f"{RUNTIME_URL}/{name}", RUNTIME_DIR / name, name=f"brython_{name.replace('.', '_')}")
    app.static(SOURCE_URL, SOURCE_DIR, name="brython_src")
    app.register_middleware(_cache_headers, "response")


async def _cache_headers(request: Request, response: BaseHTTPResponse) -> None:
    if request.path.startswith(RUNTIME_URL):
        response.headers["Cache-Control"] = RUNTIME_CACHE
    elif request.path.startswith(SOURCE_URL):
        response.headers["Cache-Control"] = SOURCE_CACHE


def page_head_html(title: str) -> str:
    """The page's ``<head>`` contents: title, styles, Brython and the bridge."""
    runtime = " ".join(f"{RUNTIME_URL}/{name}" for name in PAGE_RUNTIME)
    return "".join(
        [
            f"<title>{html.escape(title)}</title>",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<link rel="stylesheet" href="/static/css/heavy_stack.css">',
            f'<script src="{BRIDGE_LOADER_URL}" data-runtime="{runtime}"></script>',
            f'<brython-options pythonpath="{SOURCE_URL}"></brython-options>',
            f'<script type="text/python" id="heavy-bridge-boot">{BRIDGE_BOOT}</script>',
        ]
    )
