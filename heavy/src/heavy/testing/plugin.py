"""The framework's pytest plugin: fixtures on real parts, never mocks.

A product's own plugin loads it (``pytest_plugins = ("heavy.testing.plugin", ...)``) and
answers its hook with the product under test::

    def pytest_heavy_testing_product() -> ProductUnderTest:
        return ProductUnderTest(module="my_app", settings=Settings, root=PROJECT_ROOT)

It then provides:

- ``database_urls``: the embedded PostgreSQL started once per run in a temporary folder (or
  ``<PREFIX>TEST_SQL_DB_URL`` and ``<PREFIX>TEST_VECTOR_DB_URL``, a PostgreSQL of your own);
  ``db_session``, a session in a transaction rolled back after the test, on the product's
  ``database`` fixture (the product paves its tables); ``scratch_url``, an empty database of
  the test's own; ``embedded_data_dir``, for a server that starts its own embedded PostgreSQL.
- ``server``: the product's real server in a subprocess, on the test databases.
- ``browser``: a headless Chromium (``<PREFIX>TEST_CHROMIUM`` names another build);
  ``browser_page``, a page on ``server`` whose screenshot, console and requests are saved
  under ``test-artifacts/e2e/<test>/`` when the test fails.
- A failed test's report shows what each server started by ``live_server`` (the ``server``
  fixture's, a cluster's, a test's own) wrote during the test, saved under
  ``test-artifacts/servers/<test>/`` (``heavy.testing.server_logs``).
- ``clean_env``: no ``<PREFIX>*`` variable from the developer's shell in a settings test.

The suite does not depend on the machine it runs on: settings exported in the developer's
shell are dropped for the run (``pytest_configure``), servers it starts run in a folder of
their own (so the project's ``.env`` is not theirs) on free ports, and its databases live in
temporary folders.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from heavy.data.db_connection import Database
from heavy.data.db_connection import db_session as db_session_var
from heavy.data.embedded_postgres import EmbeddedPostgres, _postmaster
from heavy.testing import hookspecs
from heavy.testing.browser import TIMEZONE, NoChromiumError, launch_chromium
from heavy.testing.live_server import LiveServer, live_server
from heavy.testing.product import ProductUnderTest
from heavy.testing.scratch import make_scratch_database
from heavy.testing.server_logs import LogMark, artifacts_folder, logs_since, mark_logs, report_sections
from playwright.async_api import Browser, Page, Request, async_playwright
from sqlmodel.ext.asyncio.session import AsyncSession

NO_PRODUCT = (
    "heavy.testing.plugin needs the product under test: implement the hook "
    "pytest_heavy_testing_product() in the product's pytest plugin (see heavy/testing/plugin.py)"
)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def product_of(config: pytest.Config) -> ProductUnderTest:
    """The product the run tests (the answer to ``pytest_heavy_testing_product``)."""
    product: ProductUnderTest | None = config.hook.pytest_heavy_testing_product()
    if product is None:
        raise pytest.UsageError(NO_PRODUCT)
    return product


def pytest_configure(config: pytest.Config) -> None:
    """Drop the shell's settings (a developer's ``<PREFIX>PORT`` or database URL) for this run;
    the suite's own variables (``<PREFIX>TEST_*``) stay."""
    product = product_of(config)
    prefix = product.env_prefix
    kept = tuple(prefix + name for name in product.settings.not_settings_prefixes)
    for name in list(os.environ):
        if name.startswith(prefix) and not name.startswith(kept):
            del os.environ[name]


@pytest.fixture(scope="session")
def heavy_product(pytestconfig: pytest.Config) -> ProductUnderTest:
    """The product under test."""
    return product_of(pytestconfig)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
async def database_urls(heavy_product: ProductUnderTest) -> AsyncIterator[tuple[str, str]]:
    """``(sql_url, vector_url)`` of the test databases."""
    configured = os.environ.get(heavy_product.test_variable("SQL_DB_URL"))
    if configured:
        yield configured, os.environ.get(heavy_product.test_variable("VECTOR_DB_URL"), configured)
        return
    # Not under pytest's base temp: a second pytest run resets that folder's permissions, which
    # would kill this run's server (it runs as another user when the tests run as root).
    data_dir = Path(tempfile.mkdtemp(prefix="heavy-test-db-"))
    embedded = await EmbeddedPostgres.start(data_dir, heavy_product.settings)
    try:
        yield embedded.sql_url, embedded.vector_url
    finally:
        await embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def db_session(database: Database) -> AsyncIterator[AsyncSession]:
    """A session set as the current ``db_session``, inside a transaction rolled back after the test.

    ``database`` is the product's fixture (its tables paved on ``database_urls``). Code under
    test may commit: its commits become savepoints of the outer transaction, so nothing a test
    writes outlives it.
    """
    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        token = db_session_var.set(session)
        try:
            yield session
        finally:
            db_session_var.reset(token)
            await session.close()
            await transaction.rollback()


@pytest.fixture(scope="session")
def server(
    heavy_product: ProductUnderTest,
    database_urls: tuple[str, str],
    database: Database,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """The product's real server (``python -m <module>``) in its own process, on the test
    databases (paved by the product's ``database`` fixture)."""
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    with live_server(heavy_product, suite_server_settings(heavy_product, database_urls), log_path) as running:
        yield running


def suite_server_settings(
    heavy_product: ProductUnderTest, database_urls: tuple[str, str], **more: str
) -> dict[str, str]:
    """The settings of a server the suite starts on the test databases (``more`` on top)."""
    sql_url, vector_url = database_urls
    return {
        **heavy_product.server_settings,
        "SQL_DB_URL": sql_url,
        "VECTOR_DB_URL": vector_url,
        # Servers a suite starts beside this one on the same databases (a cluster on Redis) share
        # its task queue: they run the tasks, so a run's progress goes out on the pub/sub the
        # pages following it listen on (this server's is LISTEN/NOTIFY).
        "RUN_TASKS": "false",
        **more,
    }


@pytest.fixture
async def scratch_url(database_urls: tuple[str, str]) -> AsyncIterator[str]:
    """The URL of an empty database, dropped after the test."""
    async for url in make_scratch_database(database_urls, "test"):
        yield url


@pytest.fixture
def clean_env(heavy_product: ProductUnderTest, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ``<PREFIX>*`` variable from the developer's shell leaks into a settings test."""
    for name in list(os.environ):
        if name.startswith(heavy_product.env_prefix):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def embedded_data_dir() -> Iterator[Path]:
    """A data folder for an embedded PostgreSQL that the test's server starts; never left running.

    Not under pytest's base temp: another pytest run starting meanwhile makes that folder
    private again, and PostgreSQL (another user when the tests run as root) loses its files.
    """
    top = Path(tempfile.mkdtemp(prefix="heavy-embedded-test-"))
    folder = top / "data"
    yield folder
    postmaster = _postmaster(folder / "pgdata")
    if postmaster is not None:  # whatever the test did
        postmaster.kill()
        postmaster.wait(10)
    shutil.rmtree(top, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the test's fixtures start: how far the running servers' logs have got."""
    item.stash[_server_logs_mark] = mark_logs()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed phase's report shows what the servers wrote during the test (saved under
    ``test-artifacts/servers/``: ``heavy.testing.server_logs``)."""
    report = yield
    if report.when == "call":
        item.stash[_call_failed] = report.failed
    mark = item.stash.get(_server_logs_mark, None)
    if report.failed and mark is not None:
        folder = artifacts_folder(product_of(item.config).artifacts_dir, item.nodeid)
        report.sections.extend(report_sections(logs_since(mark), folder))
    return report


_call_failed = pytest.StashKey[bool]()
_server_logs_mark = pytest.StashKey[LogMark]()


@pytest.fixture(scope="session")
async def browser(heavy_product: ProductUnderTest) -> AsyncIterator[Browser]:
    """A headless Chromium for the whole run (``heavy.testing.browser`` says which one)."""
    async with async_playwright() as playwright:
        try:
            browser = await launch_chromium(playwright, heavy_product.test_variable("CHROMIUM"))
        except NoChromiumError as error:
            pytest.fail(f"{error} Deselect the tests marked `browser` to run everything else.")
        yield browser
        await browser.close()


@dataclass
class BrowserPage:
    """A page on the server, with what the browser logged and requested."""

    page: Page
    base_url: str
    product: ProductUnderTest
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    async def open(self, path: str = "/") -> None:
        """Load ``path`` and wait until the product's page is live (``product.page_ready``)."""
        await self.page.goto(self.base_url + path)
        if self.product.page_ready is not None:
            await self.product.page_ready(self.page)


@pytest.fixture
async def browser_page(
    heavy_product: ProductUnderTest, browser: Browser, server: LiveServer, request: pytest.FixtureRequest
) -> AsyncIterator[BrowserPage]:
    """A page in its own browser context (time zone ``TIMEZONE``) on the ``server``."""
    context = await browser.new_context(timezone_id=TIMEZONE, base_url=server.base_url)
    page = await context.new_page()
    session = BrowserPage(page, server.base_url, heavy_product)
    page.on("console", lambda message: session.console.append(f"{message.type}: {message.text}"))

    def remember(sent: Request) -> None:
        session.requests.append(sent.url)

    page.on("request", remember)
    yield session
    if request.node.stash.get(_call_failed, False):
        await _save_artifacts(session, heavy_product.artifacts_dir / "e2e" / request.node.name)
    await context.close()


async def _save_artifacts(session: BrowserPage, folder: Path) -> None:
    await asyncio.to_thread(_write_logs, folder, session.console, session.requests)
    await session.page.screenshot(path=folder / "screenshot.png", full_page=True)


def _write_logs(folder: Path, console: list[str], requests: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "console.txt").write_text("\n".join(console))
    (folder / "requests.txt").write_text("\n".join(requests))
