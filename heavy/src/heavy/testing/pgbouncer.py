"""PgBouncer in transaction mode between app instances and PostgreSQL, as ``make cluster`` runs it.

Each database the instances use gets an entry of the same name, so an instance's URL only
changes its host and port (``PgBouncer.pooled_url``). PgBouncer keeps at most ``pool_size``
server connections per database, whatever the number of instances and of their pooled client
connections, and hands one to a client for a transaction at a time (``pool_mode =
transaction``): the instances run with ``<PREFIX>DB_POOLER=transaction`` and reach the database
directly (``<PREFIX>SQL_DIRECT_URL``) for what needs a session (see docs/database-tier.md).

Runs as any user, in the foreground, its config and auth file in a folder of the caller's
choosing, its log there too (it logs to stderr). Started as root, it drops to the owner of the
server's socket folder (or ``nobody``): PgBouncer refuses to run as root.
"""

from __future__ import annotations

import csv
import io
import os
import pwd
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from heavy.data.embedded_postgres import bundled_program
from heavy.testing.cluster import MissingProgramError, _terminate, _wait_for_port, find_program
from heavy.testing.live_server import free_port
from sqlalchemy.engine import URL, make_url

# Server connections per database: enough for the short transactions of a few instances on a
# small machine (PostgreSQL does best with a few connections per core); a parameter of ``pgbouncer``.
DEFAULT_POOL_SIZE = 10
# Client connections an instance may open: its pool and overflow, for each of its two databases.
ENGINES_PER_INSTANCE = 2
# Beyond the instances' pools: the admin console, tools, a test's own connections.
SPARE_CLIENT_CONNECTIONS = 20
ADMIN_DATABASE = "pgbouncer"


def max_client_connections(instances: int, app_pool_size: int) -> int:
    """``max_client_conn`` for ``instances`` whose engines hold up to twice ``app_pool_size``
    connections each (SQLAlchemy's pool plus as much overflow, see ``create_engine``)."""
    return instances * ENGINES_PER_INSTANCE * 2 * app_pool_size + SPARE_CLIENT_CONNECTIONS


@dataclass(frozen=True)
class BouncedDatabase:
    """One ``[databases]`` entry: what PgBouncer connects to for a database of that name."""

    name: str
    host: str  # a name, an address, or a unix socket folder
    port: int
    user: str
    password: str

    @classmethod
    def of(cls, url: str) -> BouncedDatabase:
        parsed = make_url(url)
        # libpq's form for a unix socket: no host, and the folder as the "host" query argument.
        socket_folder = parsed.query.get("host")
        host = parsed.host or (socket_folder if isinstance(socket_folder, str) else None)
        if not parsed.database or not host or not parsed.username:
            raise ValueError(f"PgBouncer needs a database URL with a host, a user and a database: {url!r}")
        return cls(parsed.database, host, parsed.port or 5432, parsed.username, parsed.password or "")

    def entry(self) -> str:
        return f"{self.name} = host={self.host} port={self.port} dbname={self.name}"


def render_pgbouncer_config(
    databases: Sequence[BouncedDatabase],
    *,
    port: int,
    pool_size: int,
    max_client_conn: int,
    auth_file: Path,
    run_as: str | None,
) -> str:
    """pgbouncer.ini for ``databases``, on 127.0.0.1:``port``, in transaction mode."""
    users = sorted({database.user for database in databases})
    lines = [
        "[databases]",
        *(database.entry() for database in databases),
        "",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        # A server connection serves one transaction, then the next client's.
        "pool_mode = transaction",
        f"default_pool_size = {pool_size}",
        f"max_client_conn = {max_client_conn}",
        # Local clients only (127.0.0.1), as the embedded PostgreSQL trusts its own; the users
        # must still be listed in the auth file, whose passwords log in to the server.
        "auth_type = trust",
        f"auth_file = {auth_file}",
        f"admin_users = {', '.join(users)}",
        f"stats_users = {', '.join(users)}",
        # No reset query: the instances' statements are unnamed (heavy's DB_POOLER=transaction)
        # and set nothing outside a transaction, so a server connection has nothing to forget.
        # A client that waits this long for a server connection is told so (the app's own
        # statement timeout is shorter and ends the wait first).
        "query_wait_timeout = 30",
        "log_connections = 0",
        "log_disconnections = 0",
        "stats_period = 10",
    ]
    if run_as is not None:
        lines.append(f"user = {run_as}")
    return "\n".join(lines) + "\n"


def auth_file_text(databases: Sequence[BouncedDatabase]) -> str:
    """The auth file: each user and its password (PgBouncer logs in to the server with it)."""
    users = {database.user: database.password for database in databases}
    return "".join(f'"{_quoted(user)}" "{_quoted(password)}"\n' for user, password in sorted(users.items()))


def _quoted(value: str) -> str:
    return value.replace('"', '""')


def _unprivileged_user(databases: Sequence[BouncedDatabase]) -> str | None:
    """Who PgBouncer runs as when started as root: the owner of the server's socket folder,
    so it can reach the socket (the embedded server's own user), else ``nobody``."""
    if os.geteuid() != 0:
        return None
    for database in databases:
        if database.host.startswith("/"):
            return pwd.getpwuid(Path(database.host).stat().st_uid).pw_name
    return "nobody"


@dataclass
class PgBouncer:
    """A PgBouncer of this machine: where it listens, its pool sizes, and its process."""

    program: str
    runtime_dir: Path
    port: int
    pool_size: int
    max_client_conn: int
    databases: tuple[BouncedDatabase, ...]
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def config_path(self) -> Path:
        return self.runtime_dir / "pgbouncer.ini"

    @property
    def log_path(self) -> Path:
        return self.runtime_dir / "pgbouncer.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def pooled_url(self, url: str) -> str:
        """``url`` (one of the databases it was given) through this PgBouncer."""
        parsed: URL = make_url(url)
        through = parsed.set(host="127.0.0.1", port=self.port, query={})
        return through.render_as_string(hide_password=False)

    def instance_settings(self, sql_url: str, vector_url: str) -> dict[str, str]:
        """What an instance is given to reach ``sql_url`` and ``vector_url`` through it: the
        pooled URLs, the pooler's mode, and the SQL database without it for sessions."""
        return {
            "SQL_DB_URL": self.pooled_url(sql_url),
            "VECTOR_DB_URL": self.pooled_url(vector_url),
            "DB_POOLER": "transaction",
            "SQL_DIRECT_URL": sql_url,
        }

    def start(self) -> None:
        """Start it (again, after ``kill``) on its port; returns once it accepts connections."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([self.program, str(self.config_path)], stdout=log, stderr=log)
        _wait_for_port(self.port, self.process, self.log)

    def kill(self) -> None:
        """SIGKILL it, as a crash would: clients and server connections are cut at once."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None:
            _terminate(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def show(self, what: str) -> list[dict[str, str]]:
        """A ``SHOW`` of its admin console (``POOLS``, ``STATS``, ``SERVERS``, ``CLIENTS``...),
        one dict per row. Through psql: the console speaks only the simple query protocol."""
        if what.upper() not in _SHOWABLE:
            raise ValueError(f"not a PgBouncer SHOW command: {what!r}")
        psql = bundled_program("psql")
        program = str(psql) if psql is not None else find_program("psql", "postgresql-client")
        user = self.databases[0].user
        result = subprocess.run(
            [program, "--csv", "-h", "127.0.0.1", "-p", str(self.port), "-U", user, ADMIN_DATABASE],
            input=f"SHOW {what.upper()};\n",
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
            env={**os.environ, "PGCONNECT_TIMEOUT": "5", "PGPASSWORD": self.databases[0].password},
        )
        return list(csv.DictReader(io.StringIO(result.stdout)))

    def summary(self) -> str:
        """One line for ``make cluster``'s start-up report."""
        names = ", ".join(database.name for database in self.databases)
        return (
            f"PgBouncer on {self.address} (transaction pooling, pid {self.process.pid if self.process else '-'}): "
            f"at most {self.pool_size} server connections per database ({names}), "
            f"{self.max_client_conn} client connections; log {self.log_path}"
        )


_SHOWABLE = frozenset(("POOLS", "STATS", "SERVERS", "CLIENTS", "DATABASES", "CONFIG", "LISTS"))


@contextmanager
def pgbouncer(
    runtime_dir: Path,
    database_urls: Sequence[str],
    *,
    pool_size: int = DEFAULT_POOL_SIZE,
    max_client_conn: int,
    port: int | None = None,
) -> Iterator[PgBouncer]:
    """PgBouncer on 127.0.0.1:``port`` (a free one by default) in front of ``database_urls``'
    databases (one server, or several), in transaction mode; stopped on exit.

    Raises ``MissingProgramError`` (with the package to install) when it is not installed.
    """
    program = find_program("pgbouncer", "pgbouncer")
    databases = tuple(
        {database.name: database for database in map(BouncedDatabase.of, database_urls)}.values()
    )
    runtime_dir.mkdir(parents=True, exist_ok=True)
    auth_file = runtime_dir / "userlist.txt"
    auth_file.write_text(auth_file_text(databases))
    auth_file.chmod(0o600)  # passwords
    bouncer = PgBouncer(program, runtime_dir, port or free_port(), pool_size, max_client_conn, databases)
    bouncer.config_path.write_text(
        render_pgbouncer_config(
            databases,
            port=bouncer.port,
            pool_size=pool_size,
            max_client_conn=max_client_conn,
            auth_file=auth_file,
            run_as=_unprivileged_user(databases),
        )
    )
    bouncer.start()
    try:
        yield bouncer
    finally:
        bouncer.stop()


__all__ = [
    "DEFAULT_POOL_SIZE",
    "BouncedDatabase",
    "MissingProgramError",
    "PgBouncer",
    "max_client_connections",
    "pgbouncer",
    "render_pgbouncer_config",
]
