"""The suite runs on the fixtures of the ``heavy_stack_testing`` plugin (a real PostgreSQL, pages in
this process, the real server, a real Chromium): see ``heavy_stack_testing/plugin.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from heavy import Database
from heavy.testing.cluster import Cluster, cluster, instance_settings, redis_server
from heavy.testing.product import ProductUnderTest

pytest_plugins = ("heavy_stack_testing.plugin",)


@pytest.fixture(scope="session")
def two_instances(
    heavy_product: ProductUnderTest,
    database_urls: tuple[str, str],
    database: Database,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    """Two instances on the test databases (already paved) and a fresh Redis, behind nginx, as
    ``make cluster`` runs them (``database`` paves the tables first). One cluster serves every test that asks (starting one costs seconds):
    a test that kills an instance restarts it before it returns (``Cluster.restart``)."""
    runtime_dir = tmp_path_factory.mktemp("cluster")
    with redis_server(runtime_dir / "redis") as redis_url:
        settings = {
            **heavy_product.server_settings,
            **instance_settings(*database_urls, redis_url),
            # The re-index task takes a moment per note and a killed instance's run is picked
            # again soon, so the task tests can watch both (tests/e2e/test_reindex_in_browser.py).
            "REINDEX_PAUSE_SECONDS": "0.5",
            "TASK_HEARTBEAT_SECONDS": "2",
        }
        with cluster(heavy_product, settings, runtime_dir, instances=2) as running:
            yield running
