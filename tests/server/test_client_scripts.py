"""heavy's browser client as a browser gets it: the page names its two scripts (and not
ReactPy's own bundle), and the server sends the built files the framework package carries."""

from __future__ import annotations

import gzip
import json
import re
import urllib.request
from importlib.metadata import version
from pathlib import Path

import heavy
import pytest
from heavy.testing.live_server import LiveServer
from heavy.web.client import BUNDLED_REACTPY_CLIENT, DEBOUNCE_ATTRIBUTE, WRITTEN_FOR_REACTPY

from heavy_stack.settings import PROJECT_ROOT

pytestmark = pytest.mark.server

STATIC = Path(heavy.__file__).parent / "static"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as answer:
        return answer.status, dict(answer.headers), answer.read()


def test_a_page_loads_heavys_client_and_not_reactpys_bundle(server: LiveServer) -> None:
    _, _, body = get(server.base_url + "/")
    head = body.decode().split("</head>")[0]
    page_script = re.search(r'<script src="/_heavy/client/heavy_page\.js"([^>]*)>', head)
    assert page_script is not None
    assert 'data-stream-path="/_reactpy/stream"' in page_script.group(1)
    assert 'data-max-message-bytes="' in page_script.group(1)
    # The page script runs first: the live bundle reads what it leaves on the window.
    assert head.index("heavy_page.js") < head.index(
        '<script type="module" src="/_heavy/client/heavy_live.js">'
    )
    assert "/_reactpy/assets/" not in body.decode()


@pytest.mark.parametrize("name", ["heavy_page.js", "heavy_live.js"])
def test_the_client_is_served_from_the_framework_package_compressed_and_tagged(
    server: LiveServer, name: str
) -> None:
    status, headers, body = get(f"{server.base_url}/_heavy/client/{name}", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Type"].startswith(("text/javascript", "application/javascript"))
    assert headers["Content-Encoding"] == "gzip"
    assert headers["ETag"]
    assert gzip.decompress(body) == (STATIC / name).read_bytes()


def test_no_client_script_replaces_the_browsers_websocket() -> None:
    for name in ("heavy_page.js", "heavy_live.js"):
        assert not re.search(r"WebSocket\s*=[^=]", (STATIC / name).read_text()), name


def test_the_bundled_reactpy_client_is_the_one_the_installed_reactpy_ships() -> None:
    """A ReactPy upgrade changes the wire protocol's other end: rebuild the client for it."""
    assert version("reactpy") == WRITTEN_FOR_REACTPY
    package = json.loads((PROJECT_ROOT / "heavy" / "client" / "package.json").read_text())
    assert package["dependencies"]["@reactpy/client"] == BUNDLED_REACTPY_CLIENT
    assert f"@reactpy/client {BUNDLED_REACTPY_CLIENT}" in (STATIC / "heavy_live.js").read_text()


def test_the_page_script_reads_the_attribute_debounced_writes() -> None:
    assert heavy.debounced() == {DEBOUNCE_ATTRIBUTE: "300"}
    assert heavy.debounced(1200) == {DEBOUNCE_ATTRIBUTE: "1200"}
    assert f'"{DEBOUNCE_ATTRIBUTE}"' in (STATIC / "heavy_page.js").read_text()


@pytest.mark.parametrize("pause_ms", [0, -300])
def test_a_pause_that_is_not_one_is_refused(pause_ms: int) -> None:
    with pytest.raises(ValueError, match="positive number of milliseconds"):
        heavy.debounced(pause_ms)
