"""Serve Brython's runtime from the installed ``brython`` package and the project's ``brython/``.

Nothing comes from a CDN: the page works offline. The runtime's URL carries its version, so
browsers may cache it for good (a new version is a new URL).

The project's Brython modules reach the page as one package file (Brython's own
``make_package`` format, loaded into its virtual file system): one request instead of one per
module, and no 404s from Brython probing ``name.py`` before ``name/__init__.py``. It is built
from the modules in ``BRYTHON_MODULES`` where Python finds them (``brython/`` in a checkout, the
installed wheel in production) when first asked for, and again whenever one of them changes.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import json
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse, HTTPResponse, raw, redirect

import brython

BRYTHON_VERSION = version("brython")
RUNTIME_DIR = Path(brython.__file__).parent / "data"
RUNTIME_FILES = ("brython.js", "brython_stdlib.js")
# What pages load. The standard library (5 MB) is served but not loaded: the bridge needs none
# of it, and leaving it out makes Brython's first answer twice as fast. Add "brython_stdlib.js"
# here when your brython/ modules import the standard library (json, re, datetime…).
PAGE_RUNTIME = ("brython.js",)
RUNTIME_URL = f"/brython/runtime/{BRYTHON_VERSION}"
# The Brython modules pages get: top-level modules and packages of brython/ (add yours here).
BRYTHON_MODULES = ("reactpy_bridge", "heavy_stack_brython")
RUNTIME_CACHE = "public, max-age=31536000, immutable"
# Project modules change while developing: let the browser revalidate them each load.
PACKAGE_CACHE = "no-cache"
PACKAGE_URL = "/brython/modules.brython.js"

# Defines window.heavyBridge (queues server calls until Brython runs) and loads Brython.
BRIDGE_LOADER_URL = "/static/js/heavy_bridge.js"
BRIDGE_BOOT = "import reactpy_bridge\nreactpy_bridge.start()\n"


# The site's icon. Pages name it in their head; a browser shown something else (an error page
# of the proxy in front, a JSON answer) asks for /favicon.ico, which is sent here.
ICON_URL = "/static/favicon.svg"


def register_icon_route(app: Sanic[Any, Any]) -> None:
    app.add_route(_icon, "/favicon.ico", methods=["GET", "HEAD"], name="favicon")


async def _icon(request: Request) -> HTTPResponse:
    return redirect(ICON_URL, status=301)


def register_brython_routes(app: Sanic[Any, Any]) -> None:
    for name in RUNTIME_FILES:
        app.static(f"{RUNTIME_URL}/{name}", RUNTIME_DIR / name, name=f"brython_{name.replace('.', '_')}")
    app.add_route(_modules_package, PACKAGE_URL, methods=["GET", "HEAD"], name="brython_modules")
    app.register_middleware(_cache_headers, "response")


async def _cache_headers(request: Request, response: BaseHTTPResponse) -> None:
    if request.path.startswith(RUNTIME_URL):
        response.headers["Cache-Control"] = RUNTIME_CACHE


async def _modules_package(request: Request) -> HTTPResponse:
    # 304 on a matching If-None-Match and gzip come from the file middleware (http_defaults).
    body, etag = _ModulesPackage.current()
    headers = {"ETag": etag, "Cache-Control": PACKAGE_CACHE}
    return raw(body, headers=headers, content_type="text/javascript; charset=utf-8")


class _ModulesPackage:
    """The package file of ``brython/``, rebuilt when a module there changes."""

    _built_from: tuple[tuple[str, float], ...] = ()
    _body = b""
    _etag = ""

    @classmethod
    def current(cls) -> tuple[bytes, str]:
        files = _module_files(BRYTHON_MODULES)
        sources = tuple((str(path), path.stat().st_mtime) for path in files.values())
        if sources != cls._built_from:
            cls._body = _make_package(files)
            cls._etag = f'"{hashlib.sha256(cls._body).hexdigest()[:32]}"'
            cls._built_from = sources
        return cls._body, cls._etag


def _module_files(names: tuple[str, ...]) -> dict[str, Path]:
    """``{module name: source file}`` for these modules and, for packages, all they contain."""
    files: dict[str, Path] = {}
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(f"Brython module {name!r} is not importable on the server")
        origin = Path(spec.origin)
        if spec.submodule_search_locations is None:
            files[name] = origin
            continue
        for path in sorted(origin.parent.rglob("*.py")):
            parts = path.relative_to(origin.parent).with_suffix("").parts
            files[".".join((name, *parts))] = path  # "pkg.__init__" marks the package itself
    return files


def _make_package(files: dict[str, Path]) -> bytes:
    """The modules in the format of ``brython-cli make_package``.

    Built here rather than with Brython's ``make_package``: its minifier needs Python 3.12.
    Each entry is ``[extension, source, imports, is_package]``; Brython only uses the imports
    to cache compiled modules, so none are listed.
    """
    modules: dict[str, object] = {"$timestamp": int(time.time() * 1000)}
    for name, path in files.items():
        source = path.read_text(encoding="utf-8")
        if name.endswith(".__init__"):
            modules[name.removesuffix(".__init__")] = [".py", source, [], 1]
        else:
            modules[name] = [".py", source, []]
    return f"__BRYTHON__.loadBrythonPackage({json.dumps(modules)})\n".encode()


def page_head_html(title: str) -> str:
    """The page's ``<head>`` contents: title, styles, Brython, the bridge (heavy adds its client)."""
    runtime = " ".join([*(f"{RUNTIME_URL}/{name}" for name in PAGE_RUNTIME), PACKAGE_URL])
    return "".join(
        [
            f"<title>{html.escape(title)}</title>",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<link rel="stylesheet" href="/static/css/heavy_stack.css">',
            f'<link rel="icon" href="{ICON_URL}" type="image/svg+xml">',
            f'<script src="{BRIDGE_LOADER_URL}" data-runtime="{runtime}"></script>',
            f'<script type="text/python" id="heavy-bridge-boot">{BRIDGE_BOOT}</script>',
        ]
    )
