"""A page's stream address and back: the page's path and query follow the stream's path.

ReactPy's client builds the stream's address so, and heavy's page script does too
(``heavy/client/src/page/connection.js``, trailing slashes dropped), so the server knows from
the address alone which page a live connection is (``/_reactpy/stream/notes?tab=mine`` is the
page ``/notes?tab=mine``).
"""

from __future__ import annotations

from reactpy.backend._common import STREAM_PATH as _REACTPY_STREAM_PATH

STREAM_PATH = str(_REACTPY_STREAM_PATH)


def stream_path(page: str) -> str:
    """The stream's path (and query) of the page at ``page``, a path and query."""
    pathname, mark, query = page.partition("?")
    return f"{STREAM_PATH}{pathname}".rstrip("/") + mark + query


def page_pathname(stream: str) -> str:
    """The path of the page whose stream's path is ``stream`` (percent-encoded, as the
    browser's ``location.pathname``)."""
    return stream.removeprefix(STREAM_PATH).rstrip("/") or "/"
