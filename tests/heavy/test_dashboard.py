"""The development dashboard's routes: served outside PRODUCTION, not even registered in it;
what each process reports fits in one pub/sub message however long its handler names are."""

from __future__ import annotations

import json

from heavy import MAX_PAYLOAD_BYTES, LiveFigures
from heavy.telemetry.dashboard import DASHBOARD_PATH, report
from heavy.telemetry.figures import StatementClock
from sanic import Sanic

from heavy_stack.app import create_app
from heavy_stack.frontend.app_root import PAGES
from heavy_stack.settings import Settings


def _dashboard_routes(app: Sanic) -> list[str]:  # type: ignore[type-arg]
    return [route.path for route in app.router.routes if "dashboard" in route.path]


def test_dev_serves_the_dashboard_and_production_does_not_even_register_it() -> None:
    development = create_app(settings=Settings(_env_file=None), name="dashboard_dev")
    assert "/" + DASHBOARD_PATH.strip("/") in [
        "/" + path.strip("/") for path in _dashboard_routes(development)
    ]
    settings = Settings(
        _env_file=None, environment="PRODUCTION", sql_db_url="postgresql://db/app", secret_key="k" * 48
    )
    production = create_app(settings=settings, name="dashboard_production")
    assert _dashboard_routes(production) == []
    # Its address is then a page no route has: the product's not-found page, status 404.
    assert PAGES.page_for(DASHBOARD_PATH).status == 404


def test_a_process_report_fits_in_one_message_with_many_long_handler_names() -> None:
    figures = LiveFigures()
    for number in range(40):
        figures.event_done(
            "C" * 300, f"handler_{number}_" + "x" * 300, 0.01 * number, StatementClock(0.001, 2)
        )
    payload = report(figures)
    assert len(json.dumps(payload).encode()) < MAX_PAYLOAD_BYTES
    assert payload["handlers"][0]["handler"].startswith("handler_39_")  # the slowest first
    assert payload["events"] == 40
