"""A product of a few lines on ``heavy.create_app``, for ``sanic ... --factory`` in tests.

What the framework does with it (services opened and closed, jobs run and stopped) is written
to ``TINY_EVENTS_PATH``, one line per event, so a test reads the order things happened in.
"""

from __future__ import annotations

import asyncio
import html as html_text
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import heavy
from heavy import Database, HeavyApp, HeavySettings, PageRoute, Pages
from pydantic_settings import SettingsConfigDict
from reactpy import component, html
from reactpy_router import browser_router, route
from sanic import Request


class TinySettings(HeavySettings):
    model_config = SettingsConfigDict(env_prefix="TINY_", env_file=None, extra="ignore")
    app_title: str = "Tiny"
    events_path: Path = Path("events.txt")


@dataclass(frozen=True)
class TinyServices:
    database: Database
    settings: TinySettings

    def note(self, event: str) -> None:
        with self.settings.events_path.open("a", encoding="utf-8") as events:
            events.write(event + "\n")


@asynccontextmanager
async def open_services(settings: TinySettings) -> AsyncIterator[TinyServices]:
    assert settings.sql_db_url is not None
    database = Database.connect(
        settings.sql_db_url, settings.sql_db_url, pool_size=1, application_name="tiny"
    )
    services = TinyServices(database, settings)
    services.note("services opened")
    try:
        yield services
    finally:
        await database.close()
        services.note("services closed")


async def tick(services: TinyServices) -> None:
    services.note("tick")


async def fail(services: TinyServices) -> None:
    raise RuntimeError("this round failed")


async def wait_for_the_stop(services: TinyServices) -> None:
    try:
        await asyncio.Event().wait()
    finally:
        services.note("job stopped")


async def visitor_of(request: Request, services: TinyServices) -> str:
    return request.headers.get("x-name", "stranger")


@component
def Home() -> Any:
    return html.h1("Home page")


@component
def NotFound() -> Any:
    return html.h1("No such page")


@component
def Holder() -> Any:
    """Each change holds one of the pool's connections for as many seconds as it says (the
    tiny app's pool has one), then counts itself done: a page that saturates the pool."""
    notice, show_notice = heavy.heavy_use_state(cast(str | None, None))
    heavy.provide_context(heavy.NoticeContext, show_notice)
    done, set_done = heavy.heavy_use_state(0)

    async def hold(context: heavy.HeavyContext[Any], event: heavy.Change) -> None:
        await context.db_session.connection()  # checked out of the pool: this unit's now
        await asyncio.sleep(float(event.value))
        set_done(lambda count: count + 1)

    return html.div(
        html.p({"id": "notice"}, notice or ""),
        html.input({"id": "hold", "onChange": heavy.heavy_event(hold)}),
        html.p({"id": "done"}, str(done)),
    )


PAGES = Pages(
    PageRoute("/", "Home", Home),
    PageRoute("/hold", "Hold", Holder),
    PageRoute("{path:any}", "Not found", NotFound, status=404),
)


@component
def Root(services: TinyServices, visitor: str) -> Any:
    heavy.provide_services(services)
    return html.div(
        html.p(f"Hello, {visitor}"), browser_router(*(route(page.path, page.content()) for page in PAGES))
    )


TINY_UPLOADS = heavy.UploadPolicy(max_bytes=1000, accept=(".txt",))


async def uploader_of(request: Request) -> str | None:
    return request.headers.get("x-name")


async def keep_upload(upload: heavy.Upload, uploader: str) -> heavy.UploadResult:
    """Stores nothing; ``unavailable.txt`` fails as a database away would, ``bug.txt`` as a bug."""
    if upload.name == "unavailable.txt":
        raise TimeoutError("the database did not answer")
    if upload.name == "bug.txt":
        raise RuntimeError("a bug in the product's store")
    return heavy.UploadResult.stored(f"{uploader} sent {len(upload.data)} bytes.")


def install_uploads(app: HeavyApp) -> None:
    heavy.install_upload_route(
        app, "/upload", TINY_UPLOADS, owner=uploader_of, store=keep_upload, name="upload"
    )


def create_app() -> HeavyApp:
    return heavy.create_app(
        TinySettings(),
        Root,
        name="tiny",
        pages=PAGES,
        page_head=lambda title: f"<title>{html_text.escape(title)}</title>",
        services=open_services,
        visitor=visitor_of,
        jobs=[
            heavy.every(0.05, tick, "Tick"),
            heavy.every(0.05, fail, "Failing round"),
            heavy.Job("Waiter", wait_for_the_stop),
        ],
        routes=[install_uploads],
    )
