"""What ``make run`` (``python -m heavy_stack``) logs from start to stop: each line once, no noise.

Each case serves the embedded PostgreSQL of a data folder of its own on a free port, with a live
page open, and stops the server the way a developer does (Ctrl+C, or SIGTERM from a supervisor).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from heavy.data.embedded_postgres import _postmaster
from heavy.testing.live_server import LiveServer, free_port
from heavy.testing.page_driver import WebSocketPage

from heavy_stack.settings import ENV_PREFIX
from heavy_stack_testing.product import live_server

from tests.dev.editing import wait_for_log

pytestmark = pytest.mark.server

STOP_SECONDS = 20.0


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "2-workers"])
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_each_start_line_once_and_a_quiet_stop(
    embedded_data_dir: Path, tmp_path: Path, stop_signal: signal.Signals, workers: int
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIX)}
    settings = {"DATA_DIR": str(embedded_data_dir), "WORKERS": str(workers)}
    with live_server(settings, tmp_path / "server.log", base_env=env) as server:
        try:
            returncode = asyncio.run(_stop_with_pages_open(server, stop_signal))
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {STOP_SECONDS} s after {stop_signal.name}") from None
        log = server.log()

    assert returncode == 0, log
    assert log.count("Embedded PostgreSQL ready") == 1, log
    assert "Task was destroyed but it is pending" not in log
    assert "Traceback" not in log
    assert "Server Stopped" in log
    assert _postmaster(embedded_data_dir / "pgdata") is None, "PostgreSQL was left running"


async def _stop_with_pages_open(server: LiveServer, stop_signal: signal.Signals) -> int:
    """Stop the server while a landing page is open (its effects, presence watcher and
    subscriptions running): none of its tasks may outlive the stop."""
    async with WebSocketPage.open(server.base_url, "/"):
        server.process.send_signal(stop_signal)
        return await asyncio.to_thread(server.process.wait, STOP_SECONDS)


# Log lines of the start-up before Sanic serves: the embedded database started and migrated (a
# new data folder: its databases are created), then Sanic starting (before its signal handlers).
STARTING = [
    "Created database heavy_stack",
    "Embedded PostgreSQL ready",
    "Database migrated",
    "Starting worker",
]
STOPPED_WHILE_STARTING = "Stopped while starting."


def _interactive_sigint() -> None:
    # As in a terminal: SIGINT is Ctrl+C (a suite run in the background would pass it ignored).
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("moment", STARTING)
def test_a_stop_while_starting_is_one_line_and_leaves_postgresql_stopped(
    embedded_data_dir: Path, tmp_path: Path, stop_signal: signal.Signals, moment: str
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIX)}
    env |= {f"{ENV_PREFIX}DATA_DIR": str(embedded_data_dir), f"{ENV_PREFIX}PORT": str(free_port())}
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "heavy_stack"],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=output,
            preexec_fn=_interactive_sigint,
        )
    try:
        wait_for_log(lambda: log_path.read_text(errors="replace"), moment, STOP_SECONDS * 3, process)
        process.send_signal(stop_signal)
        returncode = process.wait(STOP_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = log_path.read_text(errors="replace")

    # Stopped before Sanic served (130, one line), or just after it took over (0, its own line).
    assert (returncode, STOPPED_WHILE_STARTING in log) in {(130, True), (0, False)}, log
    assert "Traceback" not in log
    assert "Server Stopped" in log or log.rstrip().endswith(STOPPED_WHILE_STARTING)
    assert _postmaster(embedded_data_dir / "pgdata") is None, "PostgreSQL was left running"
