"""Python's cycle collector, set for a server that holds many live pages.

Every open page keeps a ReactPy layout: thousands of objects per connection, alive as long as
the page is open. CPython's default thresholds (a young collection every 700 new objects, an
older one every ten of those) make the collector walk those long-lived objects over and over
while pages render, and each collection stops the event loop. Frozen at start-up, the app's
modules, routes and settings are never walked again (``make dev``'s hot reload unfreezes them
before it applies a change: it finds functions through ``gc.get_referrers``, which skips frozen
objects).

A server process collects on a clock, not on allocations. Its pages free what they made by
reference counting as they re-render and close (``LiveHook.forget`` breaks the cycles ReactPy
makes), so the collector finds almost nothing: under the demo replay at 500 users, young
collections every 50,000 new objects found nothing, each stopped the loop for 15-200 ms, and
the answers queued behind those pauses were the slowest twentieth (docs/load-testing.md). A
full collection every ``COLLECT_EVERY_S`` (a job of every server process, ``collect_cycles``)
frees the few cycles that do form: after 4,700 replayed visits with no collection at all, a
full one found about 430 objects. Its pause grows with the live pages (about 200 ms with 500
open under load), so it comes seldom. The allocation-driven collector stays on as a safety
net, far out: a burst of cyclic garbage is still collected before it grows large.
"""

from __future__ import annotations

import gc
from typing import Any

# New objects between two young collections (CPython: 700), young collections between two of
# the middle generation (10) and those between two full ones (10; CPython also waits until a
# quarter of the long-lived objects are new).
SERVER_THRESHOLDS = (500_000, 10, 10)
"""A server process: regular collections come from ``collect_cycles``; these are the safety net."""

SPACED_THRESHOLDS = (50_000, 20, 100)
"""A process with no clock of its own for the collector (the Locust load generator)."""

COLLECT_EVERY_S = 300.0
"""How often a server process runs a full collection (``collect_cycles``)."""


def tune_garbage_collector(thresholds: tuple[int, int, int] = SERVER_THRESHOLDS) -> None:
    """Freeze what exists now (the started app) and set the collector's ``thresholds``. Run
    once per process, once it has started up; a server also runs ``collect_cycles`` on a clock
    (``create_app`` does both)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)


async def collect_cycles(_services: Any = None) -> None:
    """One full collection: the cycles reference counting could not free (a server's job,
    every ``COLLECT_EVERY_S``)."""
    gc.collect()
