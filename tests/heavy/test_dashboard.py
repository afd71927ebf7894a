"""The development dashboard's routes: served outside PRODUCTION, not even registered in it;
what each process reports fits in one pub/sub message however long its handler names are; the
jobs section reads the task queue's runs."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from heavy import MAX_PAYLOAD_BYTES, Database, LiveFigures
from heavy.tasks.schema import TASK_PROGRESS
from heavy.telemetry.dashboard import (
    DASHBOARD_PATH,
    STYLESHEET_PATH,
    install_dashboard,
    recent_task_runs,
    report,
)
from heavy.telemetry.figures import StatementClock
from sanic import Sanic
from sqlalchemy import delete, insert

from heavy_stack.frontend.app_root import PAGES
from heavy_stack.settings import Settings


def _new_app() -> Sanic:  # type: ignore[type-arg]
    # Sanic keeps every app by name for the process's life (a warm pytest daemon runs this again).
    return Sanic(f"dashboard_{uuid4().hex}")


def _routes(app: Sanic) -> set[str]:  # type: ignore[type-arg]
    return {"/" + route.path.strip("/") for route in app.router.routes}


def test_dev_serves_the_dashboard_and_production_does_not_even_register_it() -> None:
    development = _new_app()
    install_dashboard(development, Settings(_env_file=None), lambda title: f"<title>{title}</title>")
    assert {DASHBOARD_PATH, STYLESHEET_PATH} <= _routes(development)
    production = _new_app()
    settings = Settings(
        _env_file=None, environment="PRODUCTION", sql_db_url="postgresql://db/app", secret_key="k" * 48
    )
    with pytest.raises(ValueError, match="PRODUCTION never serves it"):
        install_dashboard(production, settings, lambda title: title)
    assert not {DASHBOARD_PATH, STYLESHEET_PATH} & _routes(production)
    # create_app does not call it in PRODUCTION: the address is a page no route has, the product's
    # not-found page (a real PRODUCTION server answers 404: tests/server/test_mail.py).
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


async def test_the_jobs_section_lists_the_task_queue_s_latest_runs_with_their_progress(
    database: Database,
) -> None:
    async with database.transaction() as session:
        connection = await session.connection()
        for job_id, state, done in ((9_000_001, "running", 3), (9_000_002, "done", 10)):
            await connection.execute(
                insert(TASK_PROGRESS).values(
                    job_id=job_id,
                    task="reindex_notes",
                    owner="someone",
                    state=state,
                    done=done,
                    total=10,
                    message=f"{done} of 10 notes",
                )
            )
    try:
        runs = {run.id: run for run in await recent_task_runs(database)}
        assert (runs["9000001"].state, runs["9000001"].percent, runs["9000001"].detail) == (
            "running",
            30,
            "3 of 10 notes",
        )
        assert (runs["9000002"].state, runs["9000002"].percent) == ("done", 100)
    finally:
        async with database.transaction() as session:
            await (await session.connection()).execute(
                delete(TASK_PROGRESS).where(TASK_PROGRESS.c.job_id.in_((9_000_001, 9_000_002)))
            )
