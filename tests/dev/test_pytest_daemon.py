"""``make test-daemon`` on a copy of the project: runs tests on request and keeps up with edits.

Run with ``-s`` to see a single database test's wall time cold and through the daemon.
"""

from __future__ import annotations

import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from heavy.testing.scratch import make_scratch_database

from heavy_stack_dev.pytest_daemon_client import DaemonAddress, DaemonUnavailableError, run_in_daemon

from tests.dev.editing import LOG_TIMEOUT, save_like_an_editor, wait_for_log
from tests.tooling.project_copy import copy_env, copy_project, output, run_in

pytestmark = pytest.mark.tooling

PROBE_MODULE = Path("heavy_stack/daemon_probe.py")
PROBE_TEST = Path("tests/test_daemon_probe.py")
PROBE_MODULE_SOURCE = "def answer() -> int:\n    return 1\n"
PROBE_TEST_SOURCE = """\
from sqlalchemy import literal
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.daemon_probe import answer


async def test_the_answer_matches_the_database(db_session: AsyncSession) -> None:
    expected = (await db_session.exec(select(literal(1)))).one()
    assert answer() == expected
"""
START_TIMEOUT = 90.0


@dataclass
class Daemon:
    process: subprocess.Popen[bytes]
    root: Path
    log_path: Path

    @classmethod
    def start(cls, root: Path, env: dict[str, str], log_path: Path, *args: str) -> Daemon:
        """``python -m heavy_stack_dev.pytest_daemon ARGS`` in ``root``, its output in ``log_path``."""
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "heavy_stack_dev.pytest_daemon", *args],
                cwd=root,
                env=env,
                stdout=log,
                stderr=log,
            )
        return cls(process, root, log_path)

    @property
    def address_file(self) -> Path:
        return self.root / ".data" / "pytest-daemon.json"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = LOG_TIMEOUT) -> None:
        wait_for_log(self.log, text, timeout, self.process)

    def stop(self) -> None:
        # SIGTERM: SIGINT may be ignored when the suite itself runs in the background.
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("daemon") / "project")
    (root / PROBE_MODULE).write_text(PROBE_MODULE_SOURCE)
    (root / PROBE_TEST).write_text(PROBE_TEST_SOURCE)
    return root


@pytest.fixture(scope="module")
async def daemon_database(database_urls: tuple[str, str]) -> AsyncIterator[str]:
    # Its own database: each run paves it, which must not touch this suite's tables.
    async for url in make_scratch_database(database_urls, "daemon"):
        yield url


@pytest.fixture(scope="module")
def client_env(project: Path, daemon_database: str, database_urls: tuple[str, str]) -> dict[str, str]:
    return copy_env(
        project,
        HEAVY_STACK_TEST_SQL_DB_URL=daemon_database,
        HEAVY_STACK_TEST_VECTOR_DB_URL=database_urls[1],
    )


@pytest.fixture(scope="module")
def daemon(project: Path, client_env: dict[str, str]) -> Iterator[Daemon]:
    running = Daemon.start(project, client_env, project.parent / "daemon.log", "--poll", "0.2")
    try:
        running.wait_for_log("Pytest daemon ready", timeout=START_TIMEOUT)
        yield running
    finally:
        running.stop()


def run_client(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_in(project, "-m", "heavy_stack_dev.pytest_daemon_client", *args, env=env)


def timed(label: str, started: float) -> None:
    print(f"\n{label}: {time.monotonic() - started:.2f} s wall")


def test_without_a_daemon_the_client_says_how_to_start_one(project: Path, client_env: dict[str, str]) -> None:
    result = run_client(project, client_env, str(PROBE_TEST))

    assert result.returncode == 2, output(result)
    assert "make test-daemon" in result.stderr


def test_without_a_daemon_the_plugin_lets_pytest_run_here(project: Path) -> None:
    # A cold run, as `uv run pytest tests/...` would be: the embedded PostgreSQL starts too.
    started = time.monotonic()
    result = run_in(
        project, "-m", "pytest", "-q", "-p", "heavy_stack_dev.pytest_daemon_plugin", str(PROBE_TEST)
    )
    timed("one database test, cold pytest", started)

    assert result.returncode == 0, output(result)
    assert "1 passed" in result.stdout
    assert "ran in the pytest daemon" not in result.stderr


def test_the_daemon_runs_a_database_test(daemon: Daemon, client_env: dict[str, str]) -> None:
    started = time.monotonic()
    result = run_client(daemon.root, client_env, str(PROBE_TEST), "-q")
    timed("one database test, through the daemon", started)

    assert result.returncode == 0, output(result)
    assert "1 passed" in result.stdout
    assert "warning" not in result.stdout  # none about modules a warm process already has


def test_the_plugin_hands_the_run_to_the_daemon(daemon: Daemon, client_env: dict[str, str]) -> None:
    started = time.monotonic()
    result = run_in(
        daemon.root,
        "-m",
        "pytest",
        "-q",
        "-p",
        "heavy_stack_dev.pytest_daemon_plugin",
        str(PROBE_TEST),
        env=client_env,
    )
    timed("one database test, pytest with the daemon plugin", started)

    assert result.returncode == 0, output(result)
    assert "1 passed" in result.stdout
    assert "ran in the pytest daemon" in result.stderr


def test_saved_changes_apply_without_a_restart(daemon: Daemon, client_env: dict[str, str]) -> None:
    save_like_an_editor(daemon.root / PROBE_MODULE, "return 1", "return 2")
    daemon.wait_for_log("Update heavy_stack.daemon_probe.answer")

    failed = run_client(daemon.root, client_env, str(PROBE_TEST), "-q")
    assert failed.returncode == 1, output(failed)
    assert "1 failed" in failed.stdout

    save_like_an_editor(daemon.root / PROBE_TEST, "literal(1)", "literal(2)")
    daemon.wait_for_log("Update tests.test_daemon_probe.test_the_answer_matches_the_database")

    passed = run_client(daemon.root, client_env, str(PROBE_TEST), "-q")
    assert passed.returncode == 0, output(passed)


def test_only_the_daemons_owner_can_ask_it_to_run(daemon: Daemon) -> None:
    address = DaemonAddress.load(daemon.address_file)
    assert address is not None
    assert stat.S_IMODE(daemon.address_file.stat().st_mode) == 0o600

    stranger = DaemonAddress(address.host, address.port, "not-the-token", address.pid)
    with pytest.raises(DaemonUnavailableError, match="wrong token"):
        run_in_daemon(["--version"], out=sys.stdout, address=stranger)


def test_stopping_the_daemon_removes_its_address(daemon: Daemon) -> None:
    daemon.stop()

    assert daemon.process.returncode == 0, daemon.log()
    assert not daemon.address_file.exists()
    assert "Pytest daemon stopped" in daemon.log()


# --- stopping at any moment, on its own embedded PostgreSQL -----------------------------------

# The wheel's lock shared by every process that starts an embedded PostgreSQL on this machine
# (in XDG_RUNTIME_DIR, else the temporary folder): not the daemon's to remove.
SHARED_LOCK_FILE = ".lockfile"
# A log line of each moment: the database starting (a fresh folder gets its databases made),
# the warm-up (right after the database is ready), and serving.
MOMENTS = {
    "starting-the-database": "Created database heavy_stack_vector",
    "warming-up": "Embedded PostgreSQL ready",
    "serving": "Pytest daemon ready",
}


@pytest.fixture
def temp_dir() -> Iterator[Path]:
    """An empty folder for the daemon's TMPDIR, outside pytest's (see ``embedded_data_dir``)."""
    folder = Path(tempfile.mkdtemp(prefix="heavy-stack-daemon-tmp-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def processes_using(folder: Path) -> list[str]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if str(folder) in command:
            found.append(command)
    return found


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_stop_at_any_moment_is_one_line_and_leaves_nothing_behind(
    project: Path, temp_dir: Path, stop_signal: signal.Signals, moment: str
) -> None:
    # No test database URL: the daemon starts an embedded PostgreSQL in a temporary folder.
    env = copy_env(project, TMPDIR=str(temp_dir))
    log_path = temp_dir.parent / f"{temp_dir.name}.log"
    running = Daemon.start(project, env, log_path)
    process = running.process
    try:
        running.wait_for_log(MOMENTS[moment], timeout=START_TIMEOUT)
        process.send_signal(stop_signal)
        returncode = process.wait(30)
    finally:
        running.stop()  # only if the test failed before the process ended
        log_text = running.log()
        log_path.unlink(missing_ok=True)

    assert returncode == 0, log_text
    assert log_text.count("Pytest daemon stopped") == 1, log_text
    assert "Traceback" not in log_text
    assert "KeyboardInterrupt" not in log_text
    assert [path.name for path in temp_dir.iterdir() if path.name != SHARED_LOCK_FILE] == []
    assert processes_using(temp_dir) == []  # its PostgreSQL stopped too
    assert not running.address_file.exists()


SLOW_TEST = Path("tests/test_daemon_slow_probe.py")
SLOW_TEST_SOURCE = "import time\n\n\ndef test_takes_a_while() -> None:\n    time.sleep(120)\n"


def test_a_stop_during_a_run_ends_the_run_then_the_daemon(project: Path, temp_dir: Path) -> None:
    (project / SLOW_TEST).write_text(SLOW_TEST_SOURCE)
    env = copy_env(project, TMPDIR=str(temp_dir))
    log_path, client_path = temp_dir.parent / f"{temp_dir.name}.log", temp_dir.parent / f"{temp_dir.name}.out"
    running = Daemon.start(project, env, log_path)
    process = running.process
    try:
        running.wait_for_log("Pytest daemon ready", timeout=START_TIMEOUT)
        with client_path.open("wb") as out:
            client = subprocess.Popen(
                [sys.executable, "-m", "heavy_stack_dev.pytest_daemon_client", "-v", str(SLOW_TEST)],
                cwd=project,
                env=env,
                stdout=out,
                stderr=out,
            )
        wait_for_log(
            lambda: client_path.read_text(errors="replace"), "test_takes_a_while", LOG_TIMEOUT, client
        )
        process.send_signal(signal.SIGINT)
        client_code, returncode = client.wait(30), process.wait(30)
    finally:
        running.stop()
        log_text, client_text = running.log(), client_path.read_text(errors="replace")
        log_path.unlink(missing_ok=True)
        client_path.unlink(missing_ok=True)
        (project / SLOW_TEST).unlink()  # the other tests' daemons would collect it

    assert client_code == int(pytest.ExitCode.INTERRUPTED), client_text  # told, not left hanging
    assert returncode == 0, log_text
    assert log_text.count("Pytest daemon stopped") == 1, log_text
    assert "Traceback" not in log_text
    assert [path.name for path in temp_dir.iterdir() if path.name != SHARED_LOCK_FILE] == []
