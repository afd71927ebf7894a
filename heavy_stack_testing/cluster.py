"""``make cluster``: this product's scale-out layout on one machine (``heavy.testing.cluster``),
on the configured PostgreSQL and Redis or on throwaway ones.

    python -m heavy_stack_testing.cluster --instances 2 --port 8080 [--pgbouncer-pool-size 10 | --no-pgbouncer] [--replicas 1]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from heavy.data.embedded_postgres import ensure_app_databases
from heavy.testing.cluster import (
    MissingProgramError,
    cluster,
    instance_settings,
    redis_server,
    serve_until_interrupted,
    tcp_postgres,
)
from heavy.testing.pgbouncer import DEFAULT_POOL_SIZE, max_client_connections, pgbouncer
from heavy.testing.replica import StreamingReplica, streaming_replica
from sqlalchemy.engine import make_url

from heavy_stack.backend.data import migrations
from heavy_stack.settings import Settings
from heavy_stack_testing.product import PRODUCT


async def prepare_databases(admin_url: str) -> tuple[str, str]:
    """Create the app's two databases on ``admin_url``'s server and migrate them; their URLs."""
    sql_url, vector_url = await ensure_app_databases(admin_url, Settings.database_names())
    engine = migrations.migration_engine(sql_url)
    try:
        await migrations.bring_to_head(engine)
    finally:
        await engine.dispose()
    return sql_url, vector_url


def start_replicas(
    stack: ExitStack, primary_url: str, runtime_dir: Path, count: int
) -> list[StreamingReplica]:
    """``count`` streaming replicas of ``primary_url``'s server, stopped with ``stack``."""
    return [
        stack.enter_context(streaming_replica(primary_url, runtime_dir / f"replica-{index}"))
        for index in range(count)
    ]


def read_urls_setting(replicas: Sequence[StreamingReplica], sql_url: str) -> dict[str, str]:
    """The instances' SQL_READ_URLS: the SQL database on each replica (none: no setting)."""
    database = make_url(sql_url).database or "postgres"
    return {"SQL_READ_URLS": ",".join(replica.url(database) for replica in replicas)} if replicas else {}


def main(argv: Sequence[str] | None = None) -> int:
    """``make cluster``: serve the scale-out layout until Ctrl+C (see docs/deployment.md)."""
    parser = argparse.ArgumentParser(prog="make cluster", description=main.__doc__)
    parser.add_argument("--instances", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port on 127.0.0.1 (default 8080)")
    parser.add_argument(
        "--pgbouncer-pool-size",
        type=int,
        default=DEFAULT_POOL_SIZE,
        help=f"PgBouncer's server connections per database (default {DEFAULT_POOL_SIZE})",
    )
    parser.add_argument(
        "--no-pgbouncer", action="store_true", help="instances connect to PostgreSQL directly"
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=0,
        help="streaming read replicas of the throwaway PostgreSQL (default 0)",
    )
    options = parser.parse_args(argv)
    configured = Settings()
    try:
        with tempfile.TemporaryDirectory(prefix="heavy-stack-cluster-") as folder, ExitStack() as stack:
            runtime_dir = Path(folder)
            replicas: list[StreamingReplica] = []
            if configured.sql_db_url:
                sql_url, vector_url = configured.sql_db_url, configured.vector_db_url or configured.sql_db_url
                where = "the configured PostgreSQL (migrate it first: make migrate)"
                if options.replicas:
                    print(
                        "REPLICAS starts replicas of the throwaway PostgreSQL only: set SQL_READ_URLS instead"
                    )
            else:
                admin_url = stack.enter_context(tcp_postgres(runtime_dir / "postgres"))
                sql_url, vector_url = asyncio.run(prepare_databases(admin_url))
                where = f"a throwaway embedded PostgreSQL on {admin_url.rsplit('@', 1)[1]}"
                replicas = start_replicas(stack, admin_url, runtime_dir, options.replicas)
            redis_url = configured.redis_url or stack.enter_context(redis_server(runtime_dir / "redis"))
            settings = instance_settings(sql_url, vector_url, redis_url)
            database_tier = "Instances connect to PostgreSQL directly."
            if not options.no_pgbouncer:
                bouncer = stack.enter_context(
                    pgbouncer(
                        runtime_dir / "pgbouncer",
                        [sql_url, vector_url],
                        pool_size=options.pgbouncer_pool_size,
                        max_client_conn=max_client_connections(options.instances, configured.db_pool_size),
                    )
                )
                settings |= bouncer.instance_settings(sql_url, vector_url)
                database_tier = bouncer.summary()
            settings |= read_urls_setting(replicas, sql_url)
            running = stack.enter_context(
                cluster(PRODUCT, settings, runtime_dir, instances=options.instances, proxy_port=options.port)
            )
            print(f"Sessions in Redis at {redis_url.split('//', 1)[1]}, data in {where}.")
            print(database_tier)
            for index, replica in enumerate(replicas):
                print(
                    f"Read replica {index}: 127.0.0.1:{replica.port} (streaming from the primary; SQL_READ_URLS)"
                )
            for index, instance in enumerate(running.instances):
                print(f"Instance {index}: {instance.base_url} (pid {instance.process.pid})")
            print(
                f"Open {running.base_url} (nginx, pid {running.proxy.process.pid}); Ctrl+C stops everything."
            )
            sys.stdout.flush()
            serve_until_interrupted(running)
    except MissingProgramError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
