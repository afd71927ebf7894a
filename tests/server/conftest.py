from __future__ import annotations

from collections.abc import Iterator

import pytest

from heavy_stack.testing.live_server import LiveServer, live_server


@pytest.fixture(scope="session")
def server(
    database_urls: tuple[str, str], database: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The real server, in its own process, on the test databases (tables already paved)."""
    sql_url, vector_url = database_urls
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    with live_server({"SQL_DB_URL": sql_url, "VECTOR_DB_URL": vector_url}, log_path) as running:
        yield running
