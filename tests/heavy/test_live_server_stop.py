"""A server that does not stop on Ctrl+C is killed, and says why it hung: its asyncio tasks and
its threads' stacks at the end of its log and a warning in pytest's summary
(heavy.testing.live_server.stop)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from heavy.testing.live_server import LiveServer, ServerDidNotStopWarning, stop

# A "server" that ignores Ctrl+C while it waits in a function of its own name.
DEAF = """
import signal, time

def wait_deaf_to_ctrl_c():
    time.sleep(60)

signal.signal(signal.SIGINT, signal.SIG_IGN)
print("ready", flush=True)
wait_deaf_to_ctrl_c()
"""

# One that ignores it while its event loop waits in a task, and logs its tasks on SIGUSR1 as
# heavy's server does (heavy.web.task_dump).
DEAF_IN_A_TASK = """
import asyncio, logging, signal
from heavy.web.task_dump import install_task_dump

async def wait_deaf_to_ctrl_c():
    await asyncio.sleep(60)

async def main():
    install_task_dump(asyncio.get_running_loop())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("ready", flush=True)
    await asyncio.create_task(wait_deaf_to_ctrl_c(), name="deaf-job")

logging.basicConfig()  # to stderr: the log
asyncio.run(main())
"""

# One that stops on it, as a server should.
OBEDIENT = """
import signal, sys, time

signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
print("ready", flush=True)
time.sleep(60)
"""


def started(code: str, log_path: Path) -> LiveServer:
    log_path.write_text("serving\n")
    with log_path.open("a") as log:  # what it writes to stderr goes to its log, as a server's
        process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=log)
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"  # its signal handlers are set
    return LiveServer(process, "http://127.0.0.1:9", log_path)


def test_a_server_deaf_to_ctrl_c_is_killed_with_its_stacks_in_its_log(tmp_path: Path) -> None:
    server = started(DEAF, tmp_path / "server.log")
    with pytest.warns(ServerDidNotStopWarning, match="did not stop within 1 s") as warned:
        stop(server, timeout=1.0)
    assert server.process.returncode == -9  # killed
    assert str(server.log_path) in str(warned[0].message)
    log = server.log()
    assert log.startswith("serving\n")
    assert "still running after Ctrl+C" in log
    assert "wait_deaf_to_ctrl_c (" in log  # the frame it was stuck in (py-spy: "function (file:line)")


def test_a_server_stuck_in_a_task_logs_its_tasks_before_it_is_killed(tmp_path: Path) -> None:
    server = started(DEAF_IN_A_TASK, tmp_path / "server.log")
    with pytest.warns(ServerDidNotStopWarning, match="did not stop within 1 s"):
        stop(server, timeout=1.0)
    assert server.process.returncode == -9  # killed after the dump, not ended by its signal
    log = server.log()
    assert "asyncio tasks (SIGUSR1)" in log
    assert "name='deaf-job' coro=<wait_deaf_to_ctrl_c()" in log  # the task it waits in
    assert log.index("asyncio tasks") < log.index("still running after Ctrl+C")


def test_a_server_that_stops_on_ctrl_c_is_not_killed_nor_warned_about(tmp_path: Path) -> None:
    server = started(OBEDIENT, tmp_path / "server.log")
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        assert stop(server, timeout=10.0) == 0
    assert not [warning for warning in warned if warning.category is ServerDidNotStopWarning]
    assert server.log() == "serving\n"
