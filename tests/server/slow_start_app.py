"""The app with a slow ``after_server_start`` listener, for ``sanic ... --factory`` in tests.

It widens the moment between a worker's start-up acknowledgement and its serving (when its
signal handlers are set), so a test can stop the server right inside it.
"""

from __future__ import annotations

import asyncio

from heavy import HeavyApp

from heavy_stack.app import create_app as create_heavy_app

SLOW_START_SECONDS = 1.5


def create_app() -> HeavyApp:
    """The app, each worker of which takes ``SLOW_START_SECONDS`` more to start serving."""
    app = create_heavy_app()

    async def start_slowly(_app: HeavyApp) -> None:
        await asyncio.sleep(SLOW_START_SECONDS)

    app.after_server_start(start_slowly)
    return app
