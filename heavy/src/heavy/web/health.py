"""Health endpoints: is the process up (liveness), and can it serve (readiness)?

- ``GET /livez``: the process answers; touches no database. A container orchestrator restarts
  the app when this fails, so it must not fail because a database is away (a restart would
  not bring the database back).
- ``GET /readyz``: both databases answer ``SELECT 1`` within ``READY_TIMEOUT_SECONDS``;
  503 otherwise, also when a database hangs. A load balancer sends no traffic while it fails.
- ``GET /healthz``: the same as ``/readyz`` (kept for existing checks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from heavy.data.db_connection import Database
from sanic import Request, Sanic, json
from sanic.response import JSONResponse

# Both databases are asked at once, so /readyz answers within about this long.
READY_TIMEOUT_SECONDS = 1.5


def install_health_routes(app: Sanic[Any, Any], database_of: Callable[[Request], Database]) -> None:
    """``/livez``, ``/readyz`` and ``/healthz``; ``database_of`` gives the app's databases (open
    once the server has started)."""

    async def livez(request: Request) -> JSONResponse:
        return json({"app": "up"})

    async def readyz(request: Request) -> JSONResponse:
        reachable = await database_of(request).is_reachable(within=READY_TIMEOUT_SECONDS)
        body = {
            "app": "up",
            "database": "up" if reachable["sql"] else "down",
            "vector_database": "up" if reachable["vector"] else "down",
        }
        return json(body, status=200 if all(reachable.values()) else 503)

    app.add_route(livez, "/livez", name="livez")
    app.add_route(readyz, "/readyz", name="readyz")
    app.add_route(readyz, "/healthz", name="healthz")
