"""``kill -USR1 <pid>``: a serving process logs every asyncio task and where each one waits.

A server that hangs in a coroutine (a stop that never ends, a page that never answers) shows
nothing in its threads' stacks (``py-spy dump``) but the event loop waiting in its select: what
it waits for is an asyncio task's. On SIGUSR1 the serving process logs one WARNING record listing
its tasks, each with its name, its coroutine and its stack (``Task.print_stack``), and goes on
serving. Send it to the process that serves (``make run``'s; with Sanic's worker manager, a
worker's), not to the manager, where SIGUSR1 keeps its default action and ends the process.
``heavy.testing.live_server.stop`` sends it before it kills a server that outlived its Ctrl+C.
"""

from __future__ import annotations

import asyncio
import io
import logging
import signal
from contextlib import suppress

logger = logging.getLogger(__name__)

# None where the platform has no SIGUSR1 (Windows): no dump there.
DUMP_SIGNAL: signal.Signals | None = getattr(signal, "SIGUSR1", None)


def install_task_dump(loop: asyncio.AbstractEventLoop) -> None:
    """Log ``loop``'s tasks whenever the process gets ``DUMP_SIGNAL`` (where the loop can take
    signals: on the main thread, not on Windows)."""
    if DUMP_SIGNAL is not None:
        with suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(DUMP_SIGNAL, log_tasks)


def log_tasks() -> None:
    """Log every task of the running loop with its stack, as one WARNING record (one line in JSON logs)."""
    tasks = sorted(asyncio.all_tasks(), key=lambda task: task.get_name())
    parts = [f"{len(tasks)} asyncio tasks (SIGUSR1):"]
    for task in tasks:
        stack = io.StringIO()
        task.print_stack(file=stack)  # "Stack for <Task pending name=... coro=...>" and its frames
        parts.append(stack.getvalue().rstrip())
    logger.warning("\n".join(parts))
