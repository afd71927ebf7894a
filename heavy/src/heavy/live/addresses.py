"""A page's stream address and back: the page's path and query follow the stream's path.

ReactPy's client builds the stream's address so, and heavy's page script does too
(``heavy/client/src/page/connection.js``, trailing slashes dropped), so the server knows from
the address alone which page a live connection is (``/_reactpy/stream/notes?tab=mine`` is the
page ``/notes?tab=mine``).
"""

from __future__ import annotations

from reactpy.backend._common import STREAM_PATH as _REACTPY_STREAM_PATH
from reactpy.backend.types import Location

STREAM_PATH = str(_REACTPY_STREAM_PATH)


def location_of(page: str) -> Location:
    """The location of the page at ``page``, a path and query, as the browser's ``location``
    has it (``search`` empty without a query, else with its ``?``)."""
    pathname, _, query = page.partition("?")
    return Location(pathname=pathname, search=f"?{query}" if query else "")


def stream_path(page: str) -> str:
    """The stream's path (and query) of the page at ``page``, a path and query."""
    location = location_of(page)
    return f"{STREAM_PATH}{location.pathname}".rstrip("/") + location.search


def page_pathname(stream: str) -> str:
    """The path of the page whose stream's path is ``stream`` (percent-encoded, as the
    browser's ``location.pathname``)."""
    return stream.removeprefix(STREAM_PATH).rstrip("/") or "/"
