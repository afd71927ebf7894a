"""Make Ctrl+C / SIGTERM stop Sanic's worker manager even before it has seen the workers start.

``sanic my_app.app:create_app --factory`` (and an app started with several workers) serve under Sanic's ``WorkerManager``: a main process that first waits until every
worker has acknowledged its start-up (``wait_for_ack``), then watches them. Sanic 25.12's
shutdown handler does not end that first wait: it marks the workers TERMINATED (so they can no
longer count as acknowledged) and posts the "stop" message, which ``wait_for_ack`` reads, posts
again and reads again. The main process then spins (with the manager process answering its
state queries) at about half a core and never exits. It happens whenever the signal comes
before the main process has looked at the acks: while a worker is still starting, and up to
~0.1 s after the last one started answering.

A worker acknowledges before it serves: after its ``before_server_start`` listeners, before it
listens, sets its signal handlers and runs its ``after_server_start`` listeners. A stop that
reaches it in between stops its loop mid-listener ("Event loop stopped before Future
completed"), and its shutdown listeners never run (the database pool and the embedded
PostgreSQL's handle stay open). The test suite met that moment now and then: the stop came
right after the first worker answered, while the second was just past its acknowledgement.

So the main process waits until every worker serves (or one has died), not just until every
worker has acknowledged; a stop asked for meanwhile is held, then handed to Sanic's own
handler, and the workers stop through their shutdown listeners. A second signal meanwhile is
Sanic's at once.

Once the workers serve, a stop is still only noted in the signal handler and handed to Sanic's
handler from the manager's own loop, before its next wait for a message (within 0.1 s).
Sanic's handler marks the workers TERMINATED through the manager process's proxy; run inside
the signal handler, it could interrupt the main loop in the middle of its own query on that
proxy (``_sync_states``), read that query's answer as its own, and fail with a traceback
("'NoneType' object is not a mapping") and exit status 1: the suite met it once.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

from sanic import Sanic

logger = logging.getLogger(__name__)


def hold_stops_until_workers_started(app: Sanic[Any, Any]) -> None:
    """``main_process_ready`` listener: see the module docstring."""
    manager = app.manager
    all_workers_ack = getattr(manager, "_all_workers_ack", None)
    if (
        all_workers_ack is None
        or not hasattr(manager, "_shutting_down")
        or not hasattr(manager, "_poll_monitor")
    ):
        # Another Sanic: its manager may not need this; serve as it does.
        logger.debug("Sanic's WorkerManager has changed: its signal handling is left as it is")
        return
    # Sanic leaves it unannotated; it is a signal handler.
    sanic_handler: Callable[[int, FrameType | None], None] = manager.shutdown_signal
    held: list[int] = []
    started = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Only note it here: Sanic's handler queries the manager process, which the
        # interrupted main loop may be waiting on in the middle of a query of its own.
        if held or manager._shutting_down:
            sanic_handler(signum, frame)  # a second stop: Sanic kills the workers at once
        else:
            held.append(signum)

    poll_monitor: Callable[[], Any] = manager._poll_monitor

    def stop_then_poll_monitor() -> Any:
        if started and held and not manager._shutting_down:
            sanic_handler(held[0], None)
        return poll_monitor()

    def all_serving() -> bool:
        servers = [state for state in manager.worker_state.values() if state.get("server")]
        return len(servers) == manager.num_server and all(state.get("serving") for state in servers)

    def all_acked_or_stopping() -> bool:
        nonlocal started
        if manager._shutting_down:
            return True  # Sanic's wait would never end: its stop message is what comes next
        if all_workers_ack() and all_serving():
            started = True
        elif not held or all(process.is_alive() for process in manager.transient_processes):
            return False
        if held:
            sanic_handler(held[0], None)
        return True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    # Instance attributes: only this manager's wait_for_ack and monitor loop see them.
    setattr(manager, "_all_workers_ack", all_acked_or_stopping)  # noqa: B010
    setattr(manager, "_poll_monitor", stop_then_poll_monitor)  # noqa: B010
