"""``python -m heavy_stack``: serve the app (what ``make run`` does)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import socket
import sys
from pathlib import Path

from sanic import Sanic
from sanic.worker.loader import AppLoader

from heavy_stack.app import create_app, prepare_embedded_database
from heavy_stack.backend.data.migrations import SchemaStateError
from heavy_stack.settings import (
    ENV_PREFIX,
    Settings,
    StartupError,
    load_settings,
    unknown_variable_warnings,
)

PACKAGE_DIR = Path(__file__).resolve().parent


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

    for warning in unknown_variable_warnings():
        print(f"Warning: {warning}", file=sys.stderr)
    try:
        settings = load_settings()
        _refuse_a_busy_port(settings)
    except StartupError as error:
        sys.exit(f"Cannot start:\n{error}")
    if args.hot_reload and settings.is_production:
        parser.error("--hot-reload is for development; HEAVY_STACK_ENVIRONMENT is PRODUCTION")
    _log_to_stderr(settings.log_level)
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
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        single_process=single_process,
        debug=args.debug,
        access_log=args.debug,
        motd=False,
    )
    if single_process:
        Sanic.serve_single(app)
    else:
        Sanic.serve(primary=app, app_loader=loader)


async def _migrate_the_embedded_database(settings: Settings) -> None:
    # Before Sanic starts, so a schema it cannot use is one line, not a listener's traceback.
    # The handle stays attached: the server's listeners find it prepared and get the same PostgreSQL.
    await prepare_embedded_database(settings)


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


def _log_to_stderr(level: str) -> None:
    # Sanic configures its own loggers; this gives the app's loggers the same destination.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # The app's loggers, and the development tools' (hot reload) when they run in this process.
    for name in ("heavy_stack", "heavy_stack_dev"):
        app_logger = logging.getLogger(name)
        app_logger.addHandler(handler)
        app_logger.setLevel(level)
        app_logger.propagate = False


if __name__ == "__main__":
    main()
