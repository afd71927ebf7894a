"""Python's cycle collector, set for a server that holds many live pages.

Every open page keeps a ReactPy layout: thousands of objects per connection, alive as long as
the page is open. CPython's default thresholds (a young collection every 700 new objects, an
older one every ten of those) make the collector walk those long-lived objects over and over
while pages render, and each collection stops the event loop: under the demo replay that was
a good part of the server's CPU and its slowest answers (figures in docs/benchmarks.md).
Frozen at start-up, the app's modules, routes and settings are never walked again, and young
collections come about 14 times less often; what waits longer for a collection is garbage
that forms reference cycles, a few MiB at most. (``make dev``'s hot reload unfreezes them
before it applies a change: it finds functions through ``gc.get_referrers``, which skips frozen
objects.)"""

from __future__ import annotations

import gc

# New objects between two young collections (CPython: 700), young collections between two of
# the middle generation (10) and those between two full ones (10; CPython also waits until a
# quarter of the long-lived objects are new). CPython counts new objects less every object
# freed, old ones too: while pages close, the young generation grows far past the first
# figure (10,000 let it reach 80,000-150,000 objects under the 500-user replay), and a young
# collection's pause grows with it (about 0.7 µs an object). 10,000 rather than 50,000 keeps
# most pauses near 10 ms instead of 30-150 ms, for about 1 % more of a core; 100 young
# collections between middle ones keeps those (which walk every surviving page) as rare as
# before. Figures in docs/load-testing.md.
THRESHOLDS = (10_000, 100, 100)


def tune_garbage_collector() -> None:
    """Freeze what exists now (the started app) and space collections out. Run once per
    server process, once the app has started up."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
