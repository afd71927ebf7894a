"""The browser client of live pages: two scripts the framework builds, owns and serves.

- ``heavy_page.js`` (a classic script in ``<head>``, before the body is parsed): owns the
  page's websocket and keeps the page alive across drops: a banner while down, the location
  told to each new layout, what was typed and not sent typed in again, the first paint handed
  over to the live page, the stream check's answer after a refused connection.
- ``heavy_live.js`` (a module, so deferred): ReactPy's own client (``@reactpy/client``, the
  version ReactPy 1.1.0 ships) mounted on ``#app`` with a client object that sends and receives
  through the page's connection. Nothing replaces ``window.WebSocket``.

Their sources, lint, type checks and tests are in ``heavy/client/`` (Node, for contributors
and CI only); the built files are committed in ``heavy/static/``, so the wheel carries them
and running the app never needs Node.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Any

from heavy.i18n import N_, Language
from heavy.web.security.origin import STREAM_CHECK_PATH
from reactpy.backend._common import MODULES_PATH, STREAM_PATH
from sanic import Sanic

CLIENT_PATH = "/_heavy/client"
CLIENT_DIR = Path(__file__).resolve().parent.parent / "static"
PAGE_SCRIPT = "heavy_page.js"
LIVE_SCRIPT = "heavy_live.js"
# What the framework itself draws (the connection banner, modal dialogs), before the product's
# styles so a product's rules win.
STYLESHEET = "heavy.css"
# heavy_live.js bundles the @reactpy/client version this ReactPy ships (heavy/client/package.json):
# the two speak one wire protocol. A test fails when either moves without the other.
WRITTEN_FOR_REACTPY = "1.1.0"
BUNDLED_REACTPY_CLIENT = "0.3.2"
# The attribute by which the page script holds a field's typing (held_changes.js reads it).
DEBOUNCE_ATTRIBUTE = "data-heavy-debounce"
# A pause in typing, long enough to be between words rather than keystrokes (Phoenix LiveView's
# examples of phx-debounce use the same).
TYPING_PAUSE_MS = 300
# Where ReactPy's client mounts the layout: the one element of a page's body it renders into.
MOUNT_ELEMENT = '<div id="app"></div>'
# What the page script itself says (its banners), by the keys of TEXTS in
# heavy/client/src/page/live_page.js, which holds the same English: the server sends them in
# the page's language (heavy's catalogue).
CLIENT_TEXTS = {
    "reconnecting": N_("Reconnecting…"),
    "notSent": N_("Reconnecting… Your last action was not sent: try it again once the page is back."),
    "gaveUp": N_("The server did not come back. Reload the page to try again."),
    "didNotLoad": N_("This page did not load completely. Reload it to try again."),
    "reloading": N_("This page did not load completely. Loading it again once the server answers…"),
}


def debounced(pause_ms: int = TYPING_PAUSE_MS) -> dict[str, str]:
    """Attributes for a field whose typing the page sends when the person pauses: the server
    gets the field's latest ``onChange`` once nothing was typed in it for ``pause_ms``, or at
    once before anything else the page sends (a click, a submit, a keystroke elsewhere), so
    a submit handler still sees the whole text. For a field whose handler only keeps the text
    (a form's), this is one event per pause instead of one per keystroke; a field that answers
    each keystroke (a live preview) leaves it out.

        html.input({"id": "title", "onChange": heavy_event(keep)} | debounced())
    """
    if pause_ms <= 0:
        msg = f"a pause is a positive number of milliseconds, not {pause_ms}"
        raise ValueError(msg)
    return {DEBOUNCE_ATTRIBUTE: str(pause_ms)}


def install_client(app: Sanic[Any, Any]) -> None:
    """Serve the client's scripts under ``CLIENT_PATH``."""
    app.static(CLIENT_PATH, CLIENT_DIR, name="heavy_client")


def client_scripts_html(*, max_message_bytes: int, texts: str = "{}") -> str:
    """The ``<script>`` tags of a live page, for its ``<head>`` (``page_document`` writes them).

    ``max_message_bytes`` is the server's websocket message limit: the page does not type a
    value in again after a reconnect if sending it would go past the limit. ``texts`` is what
    the page script says (its banners), as JSON (``client_texts``): English when empty.
    """
    settings = {
        "data-stream-path": str(STREAM_PATH),
        "data-modules-path": str(MODULES_PATH),
        "data-stream-check-path": STREAM_CHECK_PATH,
        "data-max-message-bytes": str(max_message_bytes),
        "data-texts": texts,
    }
    attributes = " ".join(f'{name}="{html.escape(value)}"' for name, value in settings.items())
    return (
        f'<script src="{CLIENT_PATH}/{PAGE_SCRIPT}" {attributes}></script>'
        f'<script type="module" src="{CLIENT_PATH}/{LIVE_SCRIPT}"></script>'
    )


@cache
def client_texts(language: Language) -> str:
    """What the page script says (``CLIENT_TEXTS``) in ``language``, as JSON."""
    return json.dumps({key: language.gettext(text) for key, text in CLIENT_TEXTS.items()}, ensure_ascii=False)


def page_document(
    head: str, *, max_message_bytes: int, html_attributes: str = ' lang="en"', texts: str = "{}"
) -> str:
    """A live page's HTML: ``head`` (the product's HTML: title, styles, its scripts) and the
    client's scripts in its ``<head>``, an empty mount element in its body.

    ``html_attributes`` is written into the ``<html>`` tag (as HTML: a leading space, values
    escaped): the page's ``lang`` and ``dir``, the theme's ``data-theme``.
    """
    scripts = client_scripts_html(max_message_bytes=max_message_bytes, texts=texts)
    stylesheet = f'<link rel="stylesheet" href="{CLIENT_PATH}/{STYLESHEET}">'
    return (
        f'<!doctype html>\n<html{html_attributes}>\n<head>\n<meta charset="utf-8">\n'
        f"{stylesheet}\n{head}\n{scripts}\n</head>\n<body>\n{MOUNT_ELEMENT}\n</body>\n</html>\n"
    )
