"""``GET /healthz``: is the app up, and can it reach its databases?"""

from __future__ import annotations

from sanic import Request, json
from sanic.response import JSONResponse


async def healthz(request: Request) -> JSONResponse:
    reachable = await request.app.ctx.services.database.is_reachable()
    healthy = all(reachable.values())
    body = {
        "app": "up",
        "database": "up" if reachable["sql"] else "down",
        "vector_database": "up" if reachable["vector"] else "down",
    }
    return json(body, status=200 if healthy else 503)
