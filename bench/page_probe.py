"""A new visitor's page loads while a replay keeps the server busy.

The replayed users' figures are their events on open pages; a visitor who arrives meanwhile
first opens a connection and loads a page. Here a thread loads ``/`` over a new connection
every ``PERIOD_S`` while the replay runs (from ``START_AFTER_S``, once its users have started),
and keeps each load's time. Its first byte waits for the server to accept the connection:
uvloop accepts one connection per turn of the event loop, and a busy server's turns are long,
so under load new connections queue in the kernel (the replayed users' own connections too,
which Locust does not time).
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

PERIOD_S = 0.5  # about 2 loads a second: a few ms of the server's CPU in each second
START_AFTER_S = 10.0
TIMEOUT_S = 30.0


@dataclass
class PageLoads:
    """The times of the page loads made so far (ms), and those that failed."""

    samples_ms: list[float] = field(default_factory=list)
    failures: int = 0


@contextmanager
def page_loads_during(base_url: str) -> Iterator[PageLoads]:
    """Load ``base_url``'s ``/`` every ``PERIOD_S`` in a thread until the block ends."""
    loads, stop = PageLoads(), threading.Event()

    def load_pages() -> None:
        if stop.wait(START_AFTER_S):
            return
        while not stop.is_set():
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(base_url + "/", timeout=TIMEOUT_S) as response:
                    response.read()
            except OSError:
                loads.failures += 1
            else:
                loads.samples_ms.append((time.perf_counter() - started) * 1000)
            stop.wait(PERIOD_S)

    thread = threading.Thread(target=load_pages, name="page-probe", daemon=True)
    thread.start()
    try:
        yield loads
    finally:
        stop.set()
        thread.join(TIMEOUT_S + 1)
