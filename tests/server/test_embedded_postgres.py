"""The embedded PostgreSQL is looked after: restarted when it dies, and a crash leaves no trap.

Each test runs the app on an embedded PostgreSQL of its own (no database URL, a data folder in
a temporary directory), never on the suite's shared test database.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from heavy.data.embedded_postgres import HANDLE_FILE, POSTMASTER_FILE, _postmaster
from heavy.testing.live_server import LiveServer

from heavy_stack_testing.product import live_server

pytestmark = pytest.mark.server

RECOVERY_SECONDS = 30.0


def _status(server: LiveServer, path: str) -> int:
    try:
        with urllib.request.urlopen(server.base_url + path, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = RECOVERY_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


def test_a_killed_embedded_postgres_is_started_again(embedded_data_dir: Path, tmp_path: Path) -> None:
    pgdata = embedded_data_dir / "pgdata"
    with live_server({"DATA_DIR": str(embedded_data_dir)}, tmp_path / "server.log") as server:
        killed = _postmaster(pgdata)
        assert killed is not None
        killed.send_signal(signal.SIGKILL)
        _wait_for(lambda: _status(server, "/readyz") != 200, "readiness notices the database is gone")
        _wait_for(lambda: _status(server, "/readyz") == 200, "the app is ready again")
        restarted = _postmaster(pgdata)
        assert restarted is not None
        assert restarted.pid != killed.pid
        assert "starting it again" in server.log()
    assert "Traceback" not in server.log()


def test_after_a_crash_a_clean_stop_stops_postgres_and_a_stale_pid_file_is_no_trap(
    embedded_data_dir: Path, tmp_path: Path
) -> None:
    pgdata = embedded_data_dir / "pgdata"
    with live_server({"DATA_DIR": str(embedded_data_dir)}, tmp_path / "crashed.log") as crashed:
        crashed.process.kill()  # kill -9: the app cannot detach from PostgreSQL
        crashed.process.wait()
    assert crashed.process.pid in _handles(pgdata)
    assert _postmaster(pgdata) is not None  # left running, as the wheel does

    with live_server({"DATA_DIR": str(embedded_data_dir)}, tmp_path / "again.log"):
        assert crashed.process.pid not in _handles(pgdata)
    assert _postmaster(pgdata) is None  # the clean stop stopped it

    # A reboot later, the old id belongs to another program (here: this test's process).
    pid_file = pgdata / POSTMASTER_FILE
    pid_file.write_text(f"{os.getpid()}\n{pgdata}\n")
    with live_server({"DATA_DIR": str(embedded_data_dir)}, tmp_path / "rebooted.log") as rebooted:
        assert _status(rebooted, "/readyz") == 200
    assert "Removed a stale" in rebooted.log()


def _handles(pgdata: Path) -> list[int]:
    return list(json.loads((pgdata / HANDLE_FILE).read_text()))
