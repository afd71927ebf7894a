"""Sanic's own command, ``sanic heavy_stack.app:create_app --factory``, serves and stops cleanly.

It runs under Sanic's worker manager (a main process and worker processes), unlike
``python -m heavy_stack`` with one worker. Each test starts it on an embedded PostgreSQL of its
own (no database URL, a data folder in a temporary directory) and signals the main process
right after the first ``/healthz`` 200: the moment its main process used to spin for ever.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from heavy.data.embedded_postgres import _postmaster
from heavy.testing.live_server import free_port

from heavy_stack.settings import ENV_PREFIX

pytestmark = pytest.mark.server

STARTUP_SECONDS = 60.0
# The bound the task asks for: a stop takes a few seconds, not Sanic's 10 s give-up waits.
STOP_SECONDS = 8.0
SANIC = Path(sys.executable).with_name("sanic")
APP = "heavy_stack.app:create_app"
SLOW_STARTING_APP = "tests.server.slow_start_app:create_app"


def _start(
    embedded_data_dir: Path, log_path: Path, *args: str, factory: str = APP
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIX)}
    env[f"{ENV_PREFIX}DATA_DIR"] = str(embedded_data_dir)
    command = [
        str(SANIC),
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log_path.open("wb") as log:
        # A session of its own: a failed test can kill the main process with its children.
        process = subprocess.Popen(
            [*command, *args], cwd=log_path.parent, env=env, stdout=log, stderr=log, start_new_session=True
        )
    return process, f"http://127.0.0.1:{port}"


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited with {process.returncode}:\n{log_path.read_text()}"
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.HTTPError, OSError):
            pass
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError(f"no /healthz 200 in {STARTUP_SECONDS} s:\n{log_path.read_text()}")


@pytest.mark.parametrize(
    ("stop_signal", "args", "factory"),
    [
        (signal.SIGINT, (), APP),
        (signal.SIGTERM, (), APP),
        (signal.SIGTERM, ("--workers", "2"), APP),
        # The first worker serves while the second is between its start-up acknowledgement and
        # serving (its own signal handlers not set yet): the moment the flaky run above hit.
        (signal.SIGTERM, ("--workers", "2"), SLOW_STARTING_APP),
        (signal.SIGINT, ("--single-process",), APP),
    ],
    ids=["sigint", "sigterm", "sigterm-2-workers", "sigterm-2-workers-slow-start", "sigint-single-process"],
)
def test_the_sanic_command_stops_with_its_embedded_postgres(
    stop_signal: signal.Signals, args: tuple[str, ...], factory: str, embedded_data_dir: Path, tmp_path: Path
) -> None:
    log_path = tmp_path / "sanic.log"
    process, base_url = _start(embedded_data_dir, log_path, *args, factory=factory)
    try:
        _wait_until_healthy(process, base_url, log_path)
        assert _postmaster(embedded_data_dir / "pgdata") is not None  # the embedded one serves it

        process.send_signal(stop_signal)
        try:
            returncode = process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {STOP_SECONDS} s after {stop_signal.name}") from None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    log = log_path.read_text(errors="replace")
    assert returncode == 0, log
    assert _postmaster(embedded_data_dir / "pgdata") is None, "PostgreSQL was left running"
    assert "Traceback" not in log
    assert " ERROR: " not in log  # Sanic's own tracebacks are drawn without the word
    assert "Server Stopped" in log
    assert f"Serving {base_url} on the embedded PostgreSQL" in log  # where it listened, not HEAVY_STACK_PORT
