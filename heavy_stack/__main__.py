"""``python -m heavy_stack``: serve the app (what ``make run`` does)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from heavy import LiveWebSocketProtocol, configure_logging
from sanic import Sanic
from sanic.worker.loader import AppLoader

from heavy_stack.app import create_app
from heavy_stack.backend.data import migrations
from heavy_stack.backend.data.migrations import SchemaStateError
from heavy_stack.settings import (
    ENV_PREFIX,
    LogFormat,
    Settings,
    StartupError,
    load_settings,
    unknown_variable_warnings,
)

PACKAGE_DIR = Path(__file__).resolve().parent
# A command stopped by Ctrl+C exits with 128 + SIGINT, as shells report it.
INTERRUPTED = 128 + signal.SIGINT
STOPPED_WHILE_STARTING = "Stopped while starting."
# Connections the kernel holds for the server to accept (see _serve).
LISTEN_BACKLOG = 1024
logger = logging.getLogger("heavy_stack.startup")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m heavy_stack", description=__doc__)
    parser.add_argument("--single-process", action="store_true", help="serve in this process (for debuggers)")
    parser.add_argument("--debug", action="store_true", help="Sanic debug mode")
    parser.add_argument(
        "--hot-reload",
        action="store_true",
        help="apply saved code changes without a restart; open pages re-render (make dev; one process)",
    )
    args = parser.parse_args(argv)

    warnings = unknown_variable_warnings()
    try:
        settings = load_settings()
    except StartupError as error:
        _print_warnings(warnings)  # the log format is a setting: unknown here
        sys.exit(f"Cannot start:\n{error}")
    configure_logging(settings)
    if settings.effective_log_format is LogFormat.JSON:
        for warning in warnings:
            logger.warning("%s", warning)
    else:
        _print_warnings(warnings)
    # Until Sanic takes over the stop signals, Ctrl+C or SIGTERM ends the start-up in one line
    # (not a KeyboardInterrupt traceback, nor an abrupt end leaving PostgreSQL running).
    signal.signal(signal.SIGTERM, _as_ctrl_c)
    try:
        _serve(args, parser, settings)
    except KeyboardInterrupt:
        # asyncio has cancelled what ran; detach from the embedded database (the last process
        # out stops it).
        asyncio.run(migrations.release_prepared_databases())
        print(STOPPED_WHILE_STARTING, file=sys.stderr)
        sys.exit(INTERRUPTED)


def _as_ctrl_c(_signum: int, frame: FrameType | None) -> None:
    # SIGINT's handler of the moment: inside asyncio.run, asyncio's own (it cancels the running
    # task, which ends cleanly), else Python's (KeyboardInterrupt).
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:
        signal.default_int_handler(signal.SIGINT, frame)


class _HeldStop:
    """Ctrl+C or SIGTERM while Sanic starts in this process, kept until it can stop cleanly.

    Before Sanic sets its own signal handlers, a stop would interrupt its start-up in the
    middle (an error and a traceback in the log). Held here, it is sent again once the server
    has started, to Sanic's handlers: the server stops as after any Ctrl+C.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._delivery: asyncio.Task[None] | None = None  # kept: the loop holds tasks weakly

    def hold(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._note)

    def _note(self, signum: int, _frame: FrameType | None) -> None:
        self.signum = signum

    def deliver(self, app: Sanic[Any, Any]) -> None:
        """``after_server_start`` listener: Sanic's handlers are set by then."""
        if self.signum is not None:
            self._delivery = asyncio.create_task(self._send_once_serving(app, self.signum))

    @staticmethod
    async def _send_once_serving(app: Sanic[Any, Any], signum: int) -> None:
        # Not from the listener itself: Sanic 25.12 loses a stop that comes while its
        # after_server_start listeners run. It serves right after them.
        while not app.state.is_running:  # noqa: ASYNC110 (Sanic sets a flag; it has no event for it)
            await asyncio.sleep(0.01)
        os.kill(os.getpid(), signum)


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser, settings: Settings) -> None:
    """Check the port, prepare the embedded database, then serve until stopped."""
    try:
        _refuse_a_busy_port(settings)
    except StartupError as error:
        sys.exit(f"Cannot start:\n{error}")
    if args.hot_reload and settings.is_production:
        parser.error("--hot-reload is for development; HEAVY_STACK_ENVIRONMENT is PRODUCTION")
    if settings.uses_embedded_db:
        # A StartupError here: the embedded database's wheel is missing, or its data folder
        # was made by another PostgreSQL version.
        try:
            asyncio.run(_migrate_the_embedded_database(settings))
        except (SchemaStateError, StartupError) as error:
            sys.exit(f"Cannot start:\n{error}")
    # One worker runs in this process: no second interpreter to import the app into, so the
    # server answers in half the time. Several workers need Sanic's worker processes.
    # Hot reload patches this process's code, so it serves here too, whatever the workers.
    single_process = args.single_process or args.hot_reload or settings.workers == 1
    if args.hot_reload:
        _start_hot_reload()
    loader = AppLoader(factory=create_app)
    if single_process:
        held = _HeldStop()
        held.hold()  # until Sanic sets its own handlers
    app = loader.load()
    if single_process:
        app.after_server_start(held.deliver)
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        single_process=single_process,
        debug=args.debug,
        access_log=settings.logs_access(debug=args.debug),
        motd=False,
        # Connections waiting to be accepted while the event loop is busy: Sanic's default of
        # 100 overflowed when hundreds of pages (re)connected at once, and their SYNs were
        # dropped (handshakes late by seconds, some reset); the kernel caps it at somaxconn.
        backlog=LISTEN_BACKLOG,
        protocol=LiveWebSocketProtocol,  # less memory per open page than Sanic's own
    )
    if single_process:
        Sanic.serve_single(app)
    else:
        Sanic.serve(primary=app, app_loader=loader)


async def _migrate_the_embedded_database(settings: Settings) -> None:
    # Before Sanic starts, so a schema it cannot use is one line, not a listener's traceback.
    # The handle stays attached: the server's listeners find it prepared and get the same PostgreSQL.
    await migrations.prepare_embedded_database(settings)


def _refuse_a_busy_port(settings: Settings) -> None:
    # Sanic would say "Address already in use" inside a long traceback, naming neither.
    with socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.host, settings.port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise StartupError(
                    f"{ENV_PREFIX}HOST={settings.host!r}: cannot listen there ({error.strerror})."
                ) from None
            raise StartupError(
                f"Port {settings.port} on {settings.host} is in use ({ENV_PREFIX}PORT): stop the other "
                f"server, or set {ENV_PREFIX}PORT={settings.port + 1}."
            ) from None


def _start_hot_reload() -> None:
    # Imported here: the dev tools (and jurigged) are not part of the wheel or production image.
    try:
        from heavy_stack_dev import hot_reload
    except ImportError as error:
        sys.exit(f"Cannot start: hot reload is a development tool, run it from a checkout ({error}).")

    hot_reload.start([PACKAGE_DIR])


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        print(f"Warning: {warning}", file=sys.stderr)


if __name__ == "__main__":
    main()
