"""Start the product's real server (``python -m <module>``, as ``make run`` does) on a free port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from heavy.testing.product import ProductUnderTest
from heavy.web.task_dump import DUMP_SIGNAL

STARTUP_TIMEOUT = 60.0
TASK_DUMP_SECONDS = 1.0  # for a server that did not stop to log its tasks before the kill


class ServerDidNotStartError(RuntimeError):
    """The server exited or did not answer ``/healthz`` in time; the message holds its log."""


@dataclass(frozen=True)
class LiveServer:
    """A running server process and where to reach it."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


# Every server ``live_server`` started in this process, oldest first: the pytest plugin shows a
# failed test the logs of those that ran beside it (``heavy.testing.server_logs``).
_started: list[LiveServer] = []


def started_servers() -> tuple[LiveServer, ...]:
    """Every server ``live_server`` started in this process, oldest first, running or not."""
    return tuple(_started)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def live_server(
    product: ProductUnderTest,
    settings: Mapping[str, str],
    log_path: Path,
    *,
    args: tuple[str, ...] = (),
    expect_healthy: bool = True,
    cwd: Path | None = None,
    base_env: Mapping[str, str] | None = None,
    module: str | None = None,
    port: int | None = None,
    python: str = sys.executable,
) -> Iterator[LiveServer]:
    """Run ``product``'s server with ``settings`` (names without the product's prefix, e.g.
    ``{"SQL_DB_URL": ...}``).

    Waits for ``/healthz`` to answer (200, or any answer when ``expect_healthy`` is False);
    on exit, stops the server with SIGINT, like Ctrl+C, and waits for it. The server runs in
    ``cwd``, by default the log's folder: not the project's, whose ``.env`` is the developer's.
    ``base_env`` (default: this process's environment) serves another copy of the project;
    ``module`` another program than ``product.module`` run with ``python -m`` that reads the
    same settings. ``port``
    (default: a free one) lets a test start a server again where a page expects it; ``python``
    another interpreter (e.g. of a virtualenv the app was installed into).
    """
    port = port or free_port()
    env = {**(os.environ if base_env is None else base_env)}
    prefix = product.env_prefix
    if "SQL_DB_URL" in settings and "DATA_DIR" not in settings:
        # A data folder beside the log: what the server keeps there (the development mailbox)
        # is the run's, not the project's. Servers started side by side in one folder (a
        # cluster) share it, as instances on one machine do.
        settings = {**settings, "DATA_DIR": str(log_path.parent / "data")}
    env |= {prefix + key: value for key, value in settings.items()}
    env |= {f"{prefix}HOST": "127.0.0.1", f"{prefix}PORT": str(port)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [python, "-m", module or product.module, *args],
            cwd=cwd or log_path.parent,
            env=env,
            stdout=log,
            stderr=log,
        )
    server = LiveServer(process, f"http://127.0.0.1:{port}", log_path)
    _started.append(server)
    try:
        _wait_until_answering(server, expect_healthy)
        yield server
    finally:
        stop(server)


class ServerDidNotStopWarning(UserWarning):
    """A server was still running ``timeout`` seconds after its Ctrl+C and was killed."""


def stop(server: LiveServer, timeout: float = 20.0) -> int:
    """Interrupt the server like Ctrl+C; kill it if it has not stopped in ``timeout`` seconds.

    A server that does not stop is a bug the kill would hide: before the kill, its asyncio
    tasks (``heavy.web.task_dump``) and its threads' stacks (``py-spy dump``, when py-spy is
    installed) go to the end of its log, and a ``ServerDidNotStopWarning`` names the log in
    pytest's summary."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                _dump_tasks(server)
                _append_stacks(server)
            finally:  # the diagnostic must never keep the server alive
                server.process.kill()
                server.process.wait()
            message = f"the server did not stop within {timeout:.0f} s of Ctrl+C and was killed: see {server.log_path}"
            warnings.warn(ServerDidNotStopWarning(message), stacklevel=2)
    return server.process.returncode


def _dump_tasks(server: LiveServer) -> None:
    # The server logs its asyncio tasks (heavy.web.task_dump): what a hung stop waits for. Only
    # once it handles the signal: one stuck before that would be ended by it, stacks unseen.
    if DUMP_SIGNAL is not None and _catches(server.process.pid, DUMP_SIGNAL):
        server.process.send_signal(DUMP_SIGNAL)
        with suppress(subprocess.TimeoutExpired):
            server.process.wait(TASK_DUMP_SECONDS)


def _catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` handles ``signum`` (Linux's /proc; False where unknown)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0")
    return bool(int(caught, 16) >> (signum - 1) & 1)


def _append_stacks(server: LiveServer) -> None:
    py_spy = shutil.which(
        "py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    if py_spy is None:
        stacks = "py-spy is not installed: no stacks"
    else:
        dump = [py_spy, "dump", "--pid", str(server.process.pid)]
        try:
            done = subprocess.run(dump, capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            stacks = f"py-spy dump failed: {error}"
        else:
            stacks = done.stdout + done.stderr
    with server.log_path.open("a") as log:
        log.write(f"\n--- still running after Ctrl+C: its threads' stacks ---\n{stacks}\n")


def _wait_until_answering(server: LiveServer, expect_healthy: bool) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerDidNotStartError(f"server exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.base_url + "/healthz", timeout=5):
                return
        except urllib.error.HTTPError:
            if not expect_healthy:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise ServerDidNotStartError(f"no answer from {server.base_url} in {STARTUP_TIMEOUT} s:\n{server.log()}")
