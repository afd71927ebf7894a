"""Health endpoints: is the process up (liveness), and can it serve (readiness)?

- ``GET /livez``: the process answers; touches no database. A container orchestrator restarts
  the app when this fails, so it must not fail because a database is away (a restart would
  not bring the database back).
- ``GET /readyz``: both databases answer ``SELECT 1`` within ``READY_TIMEOUT_SECONDS``;
  503 otherwise, also when a database hangs. A load balancer sends no traffic while it fails.
- ``GET /healthz``: the same as ``/readyz`` (kept for existing checks).
"""

from __future__ import annotations

from sanic import Request, json
from sanic.response import JSONResponse

from heavy_stack.backend.web.app_state import app_state

# Both databases are asked at once, so /readyz answers within about this long.
READY_TIMEOUT_SECONDS = 1.5


async def livez(request: Request) -> JSONResponse:
    return json({"app": "up"})


async def readyz(request: Request) -> JSONResponse:
    reachable = await app_state(request).services.database.is_reachable(within=READY_TIMEOUT_SECONDS)
    body = {
        "app": "up",
        "database": "up" if reachable["sql"] else "down",
        "vector_database": "up" if reachable["vector"] else "down",
    }
    return json(body, status=200 if all(reachable.values()) else 503)
