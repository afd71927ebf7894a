"""``python -m heavy_stack``: serve the app (what ``make run`` does)."""

from __future__ import annotations

import argparse
import logging

from sanic import Sanic
from sanic.worker.loader import AppLoader

from heavy_stack.app import create_app
from heavy_stack.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m heavy_stack", description=__doc__)
    parser.add_argument("--single-process", action="store_true", help="serve in this process (for debuggers)")
    parser.add_argument("--debug", action="store_true", help="Sanic debug mode")
    args = parser.parse_args(argv)

    settings = Settings()
    _log_to_stderr(settings.log_level)
    # One worker runs in this process: no second interpreter to import the app into, so the
    # server answers in half the time. Several workers need Sanic's worker processes.
    single_process = args.single_process or settings.workers == 1
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


def _log_to_stderr(level: str) -> None:
    # Sanic configures its own loggers; this gives the app's loggers the same destination.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    app_logger = logging.getLogger("heavy_stack")
    app_logger.addHandler(handler)
    app_logger.setLevel(level)
    app_logger.propagate = False


if __name__ == "__main__":
    main()
