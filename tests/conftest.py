"""The suite runs on the fixtures of the ``heavy_stack_testing`` plugin (a real PostgreSQL, pages in
this process, the real server, a real Chromium): see ``heavy_stack_testing/plugin.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from heavy import Database
from heavy.testing.cluster import Cluster, cluster, instance_settings, redis_server
from heavy.testing.pgbouncer import PgBouncer, max_client_connections, pgbouncer
from heavy.testing.product import ProductUnderTest

# pytester: tests of the suite's own plugin run a suite of their own (tests/heavy/test_server_logs_in_reports.py).
pytest_plugins = ("heavy_stack_testing.plugin", "pytester")


# The cluster's PgBouncer: server connections per database (a few, so that the bound shows).
CLUSTER_PGBOUNCER_POOL_SIZE = 5


@pytest.fixture(scope="session")
def cluster_pgbouncer(
    database_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PgBouncer]:
    """The PgBouncer (transaction mode) that ``two_instances`` reach the test databases through.
    A test that kills it starts it again before it returns (``PgBouncer.start``)."""
    runtime_dir = tmp_path_factory.mktemp("pgbouncer")
    with pgbouncer(
        runtime_dir,
        database_urls,
        pool_size=CLUSTER_PGBOUNCER_POOL_SIZE,
        max_client_conn=max_client_connections(2, 10),
    ) as bouncer:
        yield bouncer


@pytest.fixture(scope="session")
def two_instances(
    heavy_product: ProductUnderTest,
    database_urls: tuple[str, str],
    database: Database,
    cluster_pgbouncer: PgBouncer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    """Two instances on the test databases (already paved), their SQL through PgBouncer, and a
    fresh Redis, behind nginx, as ``make cluster`` runs them (``database`` paves the tables
    first). One cluster serves every test that asks (starting one costs seconds): a test that
    kills an instance restarts it before it returns (``Cluster.restart``)."""
    runtime_dir = tmp_path_factory.mktemp("cluster")
    with redis_server(runtime_dir / "redis") as redis_url:
        settings = {
            **heavy_product.server_settings,
            **instance_settings(*database_urls, redis_url),
            **cluster_pgbouncer.instance_settings(*database_urls),
            # The re-index task takes a moment per note and a killed instance's run is picked
            # again soon, so the task tests can watch both (tests/e2e/test_reindex_in_browser.py).
            "REINDEX_PAUSE_SECONDS": "0.5",
            "TASK_HEARTBEAT_SECONDS": "2",
        }
        with cluster(heavy_product, settings, runtime_dir, instances=2) as running:
            yield running
