"""Engines, session factories and the context variable that carries the current session.

Two databases, as in the seed: the app's SQL database and a vector database (pgvector) on a
second connection. ``Database`` owns both; the app opens it in a server start-up listener.

**Outages are bounded.** A database that is down refuses connections; one that hangs (a
stopped process, a lost network) accepts them and never answers. So every wait has a limit:
connecting, waiting for a pooled connection, and each statement (asyncpg's
``command_timeout``). A statement that times out is treated as a lost connection: SQLAlchemy
closes that connection and discards every pooled one opened before, so the app recovers by
itself when the database is back. Pooled connections are not pinged at each checkout (a round
trip per transaction); a stale one (after a database restart) fails its first statement, which
invalidates the pool the same way. ``is_unavailable`` tells such failures from the rest.

**A unit of work begins its transaction on its first write** (see ``begin_on_first_write``):
a unit that only reads sends no BEGIN and no COMMIT, one round trip per read; its first other
statement sends BEGIN first, so writes stay atomic, roll back on error, and a failing COMMIT
still raises ``CommitFailedError``.

**Behind a transaction pooler** (PgBouncer in transaction mode, ``transaction_pooler=True``),
each transaction, and each statement outside one, may run on another server connection. asyncpg
prepares a statement in one round trip and runs it in the next, so a statement prepared by
name on one server connection is missing (or, named by a counter, already taken) on the next.
There the engine keeps no prepared statements: each is prepared unnamed and, with asyncpg's
statement cache off, parsed again together with its parameters when it runs (asyncpg does so
for this very case), so a statement never depends on the connection it was described on. The
plain reads of ``begin_on_first_write`` stay safe without a transaction around them. What needs
one server connection for longer (LISTEN, the task queue, migrations) uses ``direct_sql_url``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any
from weakref import WeakKeyDictionary, WeakSet

import asyncpg
from heavy.data.held_connection import release_held_connection
from heavy.data.replicas import ReadReplicas, Replica, ReplicaUnavailableError, replica_name
from heavy.data.turns import Turns
from heavy.data.unit_session import UnitSession
from sqlalchemy import ColumnClause, CompoundSelect, Select, TextClause, UpdateBase, event, exc, text
from sqlalchemy.engine import Connection, Dialect, Engine, ExceptionContext, ExecutionContext, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor
from sqlalchemy.ext import asyncio as sqlalchemy_asyncio
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, Pool, PoolProxiedConnection
from sqlalchemy.sql import visitors
from sqlalchemy.sql.compiler import Compiled, SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import ForUpdateArg
from sqlalchemy.util import greenlet_spawn
from sqlmodel.ext.asyncio.session import AsyncSession

# The session of the handler, effect or test now running. Repositories read it; the heavy
# wrappers (and the ``db_session`` test fixture) set it.
db_session: ContextVar[AsyncSession] = ContextVar("db_session")
# The same for the vector database, set by ``Database.vector_transaction``.
vector_db_session: ContextVar[AsyncSession] = ContextVar("vector_db_session")

SessionMaker = async_sessionmaker[AsyncSession]

# The longest a handler waits on the database before telling the user it is unavailable:
# for a connection, for a free pooled connection, and for each statement.
DB_TIMEOUT_SECONDS = 2.0
# Units of work at once on an engine whose pool has no size (a pool that opens a connection each).
UNPOOLED_TURNS = 20


class CommitFailedError(RuntimeError):
    """The work of a transaction was done but COMMIT failed: nothing (or, when the connection
    was lost during the commit, perhaps nothing) was stored. The cause is chained."""


_ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    # sqlalchemy-cockroachdb's default driver is sync (psycopg2).
    "cockroachdb": "cockroachdb+asyncpg",
}


def async_url(url: str) -> str:
    """Give a plain ``postgresql://`` URL the asyncpg driver; leave explicit drivers alone."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    timeout: float = DB_TIMEOUT_SECONDS,
    application_name: str | None = None,
    transaction_pooler: bool = False,
) -> AsyncEngine:
    """An async engine with the pool settings the app uses everywhere.

    ``timeout`` bounds connecting, waiting for a pooled connection and every statement
    (see the module docstring); give a longer one to engines that run long statements.
    ``application_name`` names its connections in ``pg_stat_activity``.
    ``transaction_pooler``: ``url`` goes through a pooler in transaction mode (see the module
    docstring): no statement is kept prepared.
    """
    connect_args: dict[str, object] = {"timeout": timeout, "command_timeout": timeout}
    if application_name is not None:
        # A startup parameter PgBouncer passes on (it keeps application_name per client).
        connect_args["server_settings"] = {"application_name": application_name}
    if transaction_pooler:
        connect_args |= UNPREPARED_STATEMENTS
    # Through the module: OpenTelemetry's SQLAlchemy instrumentation (heavy.telemetry) wraps the
    # function there, and so traces the statements of every engine made once it is on.
    engine = sqlalchemy_asyncio.create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=timeout,
        connect_args=connect_args,
        # A failing statement's error names its SQL, never its parameters: they are user data
        # (a note's text, an owner's id) and would otherwise land in every log line about it.
        hide_parameters=True,
    )
    event.listen(engine.sync_engine, "handle_error", _timeouts_lose_the_connection)
    _engines.add(engine)
    return engine


_engines: WeakSet[AsyncEngine] = WeakSet()

# The connect arguments for a URL behind a transaction pooler: SQLAlchemy's adapter keeps no
# statements and names none (an empty name is PostgreSQL's unnamed statement); asyncpg keeps
# none either, so it parses each unnamed one again in the same message as its parameters.
# Named statements, even uniquely named ones, fail there outside a transaction: "prepared
# statement ... does not exist" when the run lands on another server connection.
UNPREPARED_STATEMENTS: dict[str, object] = {
    "prepared_statement_cache_size": 0,
    "prepared_statement_name_func": lambda: "",
    "statement_cache_size": 0,
}


def made_engines() -> list[AsyncEngine]:
    """The engines ``create_engine`` made in this process that are still in use (their pools
    are what telemetry and the development dashboard show)."""
    return list(_engines)


def _timeouts_lose_the_connection(context: ExceptionContext) -> None:
    # A statement that timed out leaves its connection mid-protocol; SQLAlchemy closes a
    # connection it takes as lost (no ROLLBACK that would wait again) and renews the pool.
    if not isinstance(context.original_exception, TimeoutError):
        return
    context.is_disconnect = True
    if context.connection is not None and not context.connection.invalidated:
        _close_socket(context.connection.connection)


def _close_socket(connection: PoolProxiedConnection) -> None:
    # Now: SQLAlchemy's polite close would wait up to 2 s more for a server that does not answer.
    driver = connection.driver_connection
    if isinstance(driver, asyncpg.Connection):
        driver.terminate()


async def lose_connection(connection: AsyncConnection, error: BaseException, *, whole_pool: bool) -> None:
    """Close ``connection`` and take it out of the pool, for statements sent past SQLAlchemy.

    ``whole_pool``: also renew the pooled connections opened before it, as SQLAlchemy does when
    one of its own statements finds the connection lost (after a database restart they are all
    stale). A cancelled statement leaves only its own connection in doubt.
    """
    if connection.sync_connection is not None:
        _give_up(connection.sync_connection.connection, connection.sync_engine.pool, error, whole_pool)
    await connection.invalidate(error)


async def lose_pooled_connection(
    proxied: PoolProxiedConnection, pool: Pool, error: BaseException, *, whole_pool: bool
) -> None:
    """``lose_connection`` for a connection taken from ``pool`` directly (``raw_connection``):
    closed, and given back to the pool as invalid."""
    _give_up(proxied, pool, error, whole_pool)
    await greenlet_spawn(proxied.invalidate, error)


def _give_up(proxied: PoolProxiedConnection, pool: Pool, error: BaseException, whole_pool: bool) -> None:
    _close_socket(proxied)
    if whole_pool:
        # SQLAlchemy's own step for a lost connection; it has no public name.
        pool._invalidate(proxied, error, _checkin=False)


_UNAVAILABLE = (
    TimeoutError,  # asyncpg's command or connect timeout (asyncio.TimeoutError is TimeoutError)
    OSError,  # refused or reset connections
    exc.TimeoutError,  # no pooled connection free in time
    asyncpg.PostgresConnectionError,  # e.g. the server is starting up or shutting down
    asyncpg.InterfaceError,  # e.g. the connection was closed mid-operation
    # The protocol is out of step, so the connection is in doubt. Seen when the server ends a
    # connection (a restart): asyncpg has read the server's last message but not yet its end,
    # and the next statement fails with "cannot switch to state 12; another operation (2)".
    asyncpg.exceptions.InternalClientError,
)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) means the database could not be reached in time."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _UNAVAILABLE):
            return True
        current = current.__cause__ or current.__context__
    return False


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    """Sessions whose transactions begin on their first write (``begin_on_first_write``)."""
    # expire_on_commit=False: objects stay readable after the handler's transaction commits.
    return async_sessionmaker(begin_on_first_write(engine), class_=UnitSession, expire_on_commit=False)


# The execution option that marks the connections of ``begin_on_first_write`` engines.
BEGIN_ON_FIRST_WRITE = "heavy_begin_on_first_write"


def begin_on_first_write(engine: AsyncEngine) -> AsyncEngine:
    """The engine, for units of work that send BEGIN only before their first write.

    SQLAlchemy's asyncpg adapter sends no BEGIN of its own accord: it opens the transaction
    right before the first statement it runs on a connection that is not in autocommit. So
    each transaction of this engine puts its connection in autocommit, and plain reads run
    alone, one round trip each. At READ COMMITTED that is what they would see in a transaction
    too: each statement takes its own snapshot. The first statement that is not a plain read
    takes the connection out of autocommit just before it runs; the adapter then sends BEGIN
    and the statement, and the rest of the unit (reads too) runs in that one transaction,
    committed or rolled back as before. A unit that never wrote has nothing to commit.

    Which statements are plain reads is decided on the statement SQLAlchemy compiled, not on
    its SQL text (``is_plain_read``): a ``select()`` that locks nothing, writes nothing and
    calls only functions that change nothing, run once (not ``executemany``). Everything else
    begins the transaction: a flush, INSERT/UPDATE/DELETE, SAVEPOINT, ``text()`` or driver SQL,
    a locking SELECT, a SELECT of ``now()``, ``nextval`` or ``pg_advisory_xact_lock``. The
    answer is kept per compiled statement, which SQLAlchemy's compiled cache reuses, so a
    statement's elements are walked once. A function with side effects behind a view cannot
    be seen: query such a view with ``text()``.

    Only at READ COMMITTED (READ UNCOMMITTED is the same in PostgreSQL): at REPEATABLE READ or
    SERIALIZABLE (CockroachDB's default) a unit's reads must share its snapshot, so its
    transaction begins as usual; other drivers than asyncpg are left alone too. A connection
    leaves autocommit when it goes back to the pool: other users of the engine never see it.
    """
    if engine.dialect.driver != "asyncpg":
        return engine
    lazy = engine.execution_options(**{BEGIN_ON_FIRST_WRITE: True})
    event.listen(lazy.sync_engine, "begin", _start_in_autocommit)
    event.listen(lazy.sync_engine, "before_cursor_execute", _begin_before_other_statements)
    pool = engine.sync_engine.pool
    if not event.contains(pool, "checkin", _leave_autocommit):
        event.listen(pool, "checkin", _leave_autocommit)
    if not event.contains(engine.sync_engine, "begin", _begin_as_usual):
        event.listen(engine.sync_engine, "begin", _begin_as_usual)
    return lazy


# Isolation levels at which each statement sees its own snapshot (the adapter's names, and
# SQLAlchemy's for the server's default).
_EACH_STATEMENT_ITS_OWN_SNAPSHOT = frozenset(
    ("read_committed", "read_uncommitted", "READ COMMITTED", "READ UNCOMMITTED")
)


def _start_in_autocommit(connection: Connection) -> None:
    adapter = connection.connection.dbapi_connection
    if takes_its_own_snapshots(adapter, connection.dialect):
        adapter.autocommit = True  # type: ignore[union-attr]
    # A transaction it begins is READ ONLY for a read-only unit (the adapter says so when it
    # begins one), and for no other: set by each unit, not only cleared at checkin (a write
    # unit once met the flag a read-only unit had left on its connection, in a full CI run).
    adapter.readonly = bool(connection.get_execution_options().get(READ_ONLY_UNIT))  # type: ignore[union-attr]


# The execution option of ``read_only_units`` engines.
READ_ONLY_UNIT = "heavy_read_only_unit"


def read_only_units(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` for units that must not write: a transaction they begin is ``READ ONLY``, so
    PostgreSQL refuses their writes.

    On a ``begin_on_first_write`` engine this is a flag on the connection, set as the unit
    begins and cleared when the connection goes back to the pool: SQLAlchemy's own
    ``postgresql_readonly`` option does the same with a round of checks and resets on every
    checkout, which made a read-only unit's read cost a third more CPU than a plain one.
    Elsewhere it is ``postgresql_readonly``.
    """
    if not engine.get_execution_options().get(BEGIN_ON_FIRST_WRITE):
        return engine.execution_options(postgresql_readonly=True)
    return engine.execution_options(**{READ_ONLY_UNIT: True})


def _begin_before_other_statements(
    connection: Connection,
    _cursor: DBAPICursor,
    _statement: str,
    _parameters: object,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    adapter = connection.connection.dbapi_connection
    if not getattr(adapter, "autocommit", False):
        return  # in its transaction already (or never lazy)
    compiled = None if context is None else context.compiled
    if executemany or not isinstance(compiled, SQLCompiler) or getattr(context, "is_text", True):
        plain = False
    else:
        # Once per compiled statement: SQLAlchemy's compiled cache hands the same object back
        # each time a statement of that shape runs again.
        found = _plain_reads.get(compiled)
        if found is None:
            found = _plain_reads[compiled] = is_plain_read(compiled.statement)
        plain = found
    if not plain:
        # Leaving autocommit restores the connection's isolation level: the adapter sends
        # BEGIN before this statement.
        adapter.autocommit = False  # type: ignore[union-attr]


def runs_reads_alone(connection: Connection) -> bool:
    """Whether a plain read sent on ``connection`` now, past SQLAlchemy, is what SQLAlchemy
    would do: the unit has not written yet (``begin_on_first_write``: no BEGIN is due), no
    listener but that one's watches its statements, and SQL logging is off."""
    if not getattr(connection.connection.dbapi_connection, "autocommit", False):
        return False
    # The engines of begin_on_first_write carry its option and its one statement listener.
    ours = bool(connection.get_execution_options().get(BEGIN_ON_FIRST_WRITE))
    return _statements_unwatched(connection.dispatch, connection.engine, ours)


def reads_alone_on_its_pool(engine: Engine) -> bool:
    """Whether a plain read sent past SQLAlchemy, on a connection taken from ``engine``'s pool
    for it alone and given back at once, is what a unit of work's first statement on that
    engine would be: a ``begin_on_first_write`` engine (the read would run without BEGIN), no
    isolation level of its own, nothing else listening to its connections, transactions or
    statements, and SQL logging off. Then a read that runs before its unit has a connection
    needs none: the unit's transaction, if it writes later, begins on a connection of its own,
    as it would anyway (``begin_on_first_write``). Check the connection's isolation level too
    (``takes_its_own_snapshots``)."""
    options = engine.get_execution_options()
    listeners = engine.dispatch
    return (
        bool(options.get(BEGIN_ON_FIRST_WRITE))
        and "isolation_level" not in options
        and not listeners.engine_connect
        and all(listener in _BEGIN_LISTENERS for listener in listeners.begin)
        and _statements_unwatched(listeners, engine, True)
    )


def takes_its_own_snapshots(adapter: object, dialect: Dialect) -> bool:
    """Whether each statement on the DBAPI connection ``adapter`` sees its own snapshot
    (READ COMMITTED): where a unit of work's plain reads run alone."""
    # None: the server's default, which SQLAlchemy read when the engine first connected.
    level = getattr(adapter, "isolation_level", "unknown") or dialect.default_isolation_level
    return level in _EACH_STATEMENT_ITS_OWN_SNAPSHOT


def _statements_unwatched(listeners: Any, engine: Engine, ours: bool) -> bool:
    return (
        len(listeners.before_cursor_execute) == int(ours)
        and not listeners.after_cursor_execute
        and not engine.logger.isEnabledFor(logging.INFO)
    )


def _begin_as_usual(connection: Connection) -> None:
    # The engine's own transactions (migrations, scripts, engine.connect()) always get BEGIN,
    # even on a pooled connection a unit left in autocommit by a path that skipped the checkin
    # below (seen once in a full CI run, not reproduced since).
    if not connection.get_execution_options().get(BEGIN_ON_FIRST_WRITE):
        _leave_autocommit(connection.connection.dbapi_connection, None)


def _leave_autocommit(adapter: DBAPIConnection | None, _record: ConnectionPoolEntry | None) -> None:
    if adapter is not None and getattr(adapter, "autocommit", False):
        # A connection set to AUTOCOMMIT on purpose stays so: this restores its own level.
        adapter.autocommit = False
    if adapter is not None and getattr(adapter, "readonly", False):
        adapter.readonly = False  # set for a read-only unit (read_only_units)


# The listeners of "begin" that begin_on_first_write adds (the only ones a read past SQLAlchemy
# may skip: what they do concerns transactions, which such a read has none of).
_BEGIN_LISTENERS = (_start_in_autocommit, _begin_as_usual)


# Functions a plain read may call: they change nothing and do not read the transaction's
# clock (``now()`` and CURRENT_TIMESTAMP must give one value through a unit, so they begin it).
# fmt: off
_SAFE_FUNCTIONS = frozenset((
    "count", "sum", "min", "max", "avg", "array_agg", "string_agg", "json_agg", "jsonb_agg",
    "bool_and", "bool_or", "row_number", "rank", "dense_rank", "coalesce", "nullif", "greatest",
    "least", "lower", "upper", "length", "char_length", "abs", "round", "floor", "ceil",
    "date_trunc", "concat", "l2_distance", "cosine_distance", "inner_product", "l1_distance",
))
# fmt: on
# What each compiled statement was found to be (SQLAlchemy's compiled cache bounds how many).
_plain_reads: WeakKeyDictionary[Compiled, bool] = WeakKeyDictionary()


def is_plain_read(statement: object) -> bool:
    """Whether ``statement`` (a SQLAlchemy construct, not SQL text) only reads.

    A ``select()`` (or a UNION of them) is plain unless something in it writes or holds on:
    an INSERT/UPDATE/DELETE anywhere (a data-modifying WITH), a locking clause
    (``with_for_update``), a function outside ``_SAFE_FUNCTIONS`` or qualified by a schema
    (``nextval``, ``pg_advisory_xact_lock``, ``now()``, a function of the app's own), or SQL
    written as text (``text()``, ``literal_column`` other than ``*``), which cannot be seen
    into. Anything that is not a select is not plain. Found by walking the statement's
    elements with SQLAlchemy's visitors, never by reading its SQL.
    """
    if not isinstance(statement, Select | CompoundSelect):
        return False
    for element in visitors.iterate(statement):
        if isinstance(element, UpdateBase | ForUpdateArg | TextClause):
            return False
        if isinstance(element, FunctionElement) and (
            getattr(element, "packagenames", None)
            or str(getattr(element, "name", "")).lower() not in _SAFE_FUNCTIONS
        ):
            return False
        if isinstance(element, ColumnClause) and element.is_literal and element.name != "*":
            return False
    return True


@dataclass(frozen=True)
class Database:
    """The app's two connections: SQL data and vectors; and the SQL database's read replicas,
    if any (``heavy.data.replicas``)."""

    engine: AsyncEngine
    sessionmaker: SessionMaker
    vector_engine: AsyncEngine
    vector_sessionmaker: SessionMaker
    # The SQL database without a transaction pooler, when ``engine`` goes through one.
    direct_url: str | None = None
    replicas: ReadReplicas | None = None

    @classmethod
    def connect(
        cls,
        sql_url: str,
        vector_url: str,
        *,
        pool_size: int = 10,
        timeout: float = DB_TIMEOUT_SECONDS,
        application_name: str | None = None,
        transaction_pooler: bool = False,
        direct_sql_url: str | None = None,
        read_urls: Sequence[str] = (),
    ) -> Database:
        """Create engines (connections open lazily, on first use), their connections named
        ``application_name`` (how the product's tools tell its server's connections apart).

        ``transaction_pooler``: both URLs go through a pooler in transaction mode (see the
        module docstring); ``direct_sql_url`` is then the SQL database without it.
        ``read_urls``: read replicas of ``sql_url``, each with a pool of its own, a quarter
        of ``pool_size`` (at least 2): read-only units read there.
        """
        engines = [
            create_engine(
                url,
                pool_size=pool_size,
                timeout=timeout,
                application_name=application_name,
                transaction_pooler=transaction_pooler,
            )
            for url in (sql_url, vector_url)
        ]
        engine, vector_engine = engines
        sessionmakers = [create_sessionmaker(each) for each in engines]
        replicas = None
        if read_urls:
            replica_pool = max(2, pool_size // 4)
            replicas = ReadReplicas(
                [_replica(url, replica_pool, timeout, application_name) for url in read_urls]
            )
        return cls(engine, sessionmakers[0], vector_engine, sessionmakers[1], direct_sql_url, replicas)

    @property
    def direct_sql_url(self) -> str:
        """The SQL database's URL for what needs one server connection for longer than a
        transaction (LISTEN/NOTIFY, the task queue): ``direct_url``, else the engine's own."""
        if self.direct_url is not None:
            return self.direct_url
        return self.engine.url.render_as_string(hide_password=False)

    async def close(self) -> None:
        for engine in (self.engine, self.vector_engine):
            await release_held_connection(engine)
            await engine.dispose()
        if self.replicas is not None:
            await self.replicas.close()

    async def is_reachable(self, within: float = 1.5) -> dict[str, bool]:
        """Run ``SELECT 1`` on both databases at once; ``False`` where it fails or takes
        longer than ``within`` seconds."""
        sql, vector = await asyncio.gather(
            _answers(self.engine, within), _answers(self.vector_engine, within)
        )
        return {"sql": sql, "vector": vector}

    def transaction(self, *, read_only: bool = False) -> AbstractAsyncContextManager[AsyncSession]:
        """A unit of work: a session, set as the current ``db_session`` while it is open.

        Its transaction begins on its first write (``begin_on_first_write``): plain reads
        before it run without BEGIN. Commits when the block ends normally
        (``CommitFailedError`` if that fails), rolls back when it raises, always closes.

        ``read_only``: a unit that must not write. Its connection is read-only
        (SQLAlchemy's ``postgresql_readonly``, applied by asyncpg when a transaction begins,
        no round trip of its own): its plain reads run alone, and a transaction it opens (a
        write, a ``text()`` read) is ``READ ONLY``, so PostgreSQL refuses any write
        (``ReadOnlySQLTransactionError``). Nothing is committed at its end: a transaction it
        opened is rolled back. With read replicas it runs on one of them, or on the primary
        when none is up or has replayed the connection's last write (``heavy.data.replicas``);
        a replica that fails meanwhile raises ``ReplicaUnavailableError`` (run the unit again).
        """
        if read_only:
            if self.replicas is not None:
                return self._on_a_replica(self.replicas)
            return _current_session(self._read_only_sessionmaker, db_session, read_only=True)
        wrote = None if self.replicas is None else partial(self.replicas.wrote, self.engine)
        return _current_session(self.sessionmaker, db_session, after_write=wrote)

    @asynccontextmanager
    async def _on_a_replica(self, replicas: ReadReplicas) -> AsyncIterator[AsyncSession]:
        replica = await replicas.choose()
        chosen_at = time.monotonic()
        if replica is None:
            async with _current_session(self._read_only_sessionmaker, db_session, read_only=True) as session:
                yield session
            return
        failures = replica.failures
        try:
            async with _current_session(replica.sessionmaker, db_session, read_only=True) as session:
                yield session
        except Exception as error:
            # Only the replica's own failures (not, say, the vector database's in the same unit).
            if replica.failures == failures or not is_unavailable(error):
                raise
            replica.mark_down(error, replicas.down_seconds)
            raise ReplicaUnavailableError(f"Read replica {replica.name} failed: {error!r}") from error
        replica.answered(chosen_at)

    @cached_property
    def turns(self) -> Turns:
        """Turns at the SQL pool for pages' units of work (``heavy.data.turns``): as many at
        once as the pool's size, its overflow left to everything else.

        With read replicas, as many more as their pools' sizes (at most the primary's again):
        read-only units on a replica hold no connection of the primary's, and were they all to
        fall back on it (every replica down), its overflow still takes them.
        """
        size = getattr(self.engine.sync_engine.pool, "size", None)
        capacity = size() if callable(size) else UNPOOLED_TURNS
        if self.replicas is not None:
            capacity += min(self.replicas.pool_sizes, capacity)
        return Turns(capacity)

    @cached_property
    def _read_only_sessionmaker(self) -> SessionMaker:
        # The same sessions on the same pool, whose transactions are READ ONLY until their
        # connection goes back to it (read_only_units). Made once: each option engine carries
        # event listeners.
        bind = self.sessionmaker.kw.get("bind")
        if not isinstance(bind, AsyncEngine):
            return self.sessionmaker  # bound to one connection (a test's): left as it is
        read_only = read_only_units(bind)
        return async_sessionmaker(
            class_=self.sessionmaker.class_, **{**self.sessionmaker.kw, "bind": read_only}
        )

    def vector_transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """Like ``transaction``, on the vector database, set as the current ``vector_db_session``."""
        return _current_session(self.vector_sessionmaker, vector_db_session)

    def reads_by_target(self) -> dict[str, int]:
        """How many read-only units read on each replica and on the primary (none: no replicas)."""
        return {} if self.replicas is None else dict(self.replicas.reads)


def _replica(url: str, pool_size: int, timeout: float, application_name: str | None) -> Replica:
    engine = create_engine(url, pool_size=pool_size, timeout=timeout, application_name=application_name)
    # Its units begin on their first write (none: a replica refuses it) and run READ ONLY.
    reader = read_only_units(begin_on_first_write(engine))
    sessions = SessionMaker(reader, class_=UnitSession, expire_on_commit=False)
    # create_engine's pool: pool_size connections and as many again in overflow.
    replica = Replica(replica_name(url), engine, sessions, capacity=2 * pool_size)
    _count_failures(engine, replica)
    return replica


def _count_failures(engine: AsyncEngine, replica: Replica) -> None:
    """Tell ``replica`` each error of its engine: statements (``handle_error``), connecting
    (which SQLAlchemy leaves to the driver, so through ``do_connect``) and connections lost."""

    def connect(
        dialect: Dialect, _record: object, cargs: tuple[object, ...], cparams: dict[str, object]
    ) -> object:
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception:
            replica.failed()
            raise

    event.listen(engine.sync_engine, "handle_error", lambda _context: replica.failed())
    event.listen(engine.sync_engine, "do_connect", connect)
    # Statements sent past SQLAlchemy (key reads) lose their connection through the pool.
    event.listen(engine.sync_engine.pool, "invalidate", lambda *_args: replica.failed())


class _current_session:  # noqa: N801  (used as a function: a context manager per unit)
    """A unit of work's session, set as ``current`` while the block runs; committed (unless
    ``read_only``) if the block returns, closed in any case. A class, not an
    ``asynccontextmanager``: every unit of work goes through it, and an async generator costs a
    generator, the event loop's hooks on it and a wrapper (a few µs of a click's CPU)."""

    __slots__ = ("_after_write", "_current", "_read_only", "_session", "_sessionmaker", "_token")

    def __init__(
        self,
        sessionmaker: SessionMaker,
        current: ContextVar[AsyncSession],
        *,
        read_only: bool = False,
        after_write: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._current = current
        self._read_only = read_only
        self._after_write = after_write

    async def __aenter__(self) -> AsyncSession:
        # The session begins by itself on first use (no round trip: see begin_on_first_write).
        session = self._session = self._sessionmaker()
        self._token = self._current.set(session)
        return session

    async def __aexit__(
        self, error_type: type[BaseException] | None, error: BaseException | None, _traceback: object
    ) -> None:
        session, read_only, after_write = self._session, self._read_only, self._after_write
        self._current.reset(self._token)
        committed = False
        try:
            if error_type is not None or _unused(session, commits=not read_only):
                return
            if not read_only:  # a read-only unit has nothing to commit: closed (rolled back) below
                wrote = False
                try:
                    if after_write is not None:
                        await session.flush()  # what COMMIT would flush: then it is known whether it wrote
                        wrote = await _began_a_transaction(session)
                    await session.commit()
                except Exception as failure:
                    raise CommitFailedError(f"COMMIT failed: {failure}") from failure
                committed = True
                if wrote and after_write is not None:
                    await after_write()
        finally:
            if _unused(session, commits=False):
                pass  # nothing to roll back or give back either
            elif committed:
                # After a commit nothing is left to send: this close cannot stop halfway.
                await session.close()
            else:
                # SQLAlchemy's own exit: rolls back and gives the connection back to the pool even
                # if this task is cancelled meanwhile.
                async with session:
                    pass


def _unused(session: AsyncSession, *, commits: bool) -> bool:
    # A unit whose session nothing used holds no connection and has nothing to flush (rows
    # kept aside, unchanged, are detached as after a close): it ends with nothing sent.
    return isinstance(session, UnitSession) and session.has_nothing_to_end(commits=commits)


async def _began_a_transaction(session: AsyncSession) -> bool:
    """Whether the unit sent BEGIN (it wrote, see ``begin_on_first_write``): a unit that only
    read, or did nothing, has no write for its reads to wait for."""
    if not session.in_transaction():
        return False
    connection = await session.connection()  # the one it holds: nothing is sent
    raw = connection.sync_connection.connection.dbapi_connection if connection.sync_connection else None
    return not getattr(raw, "autocommit", False)


async def _answers(engine: AsyncEngine, within: float) -> bool:
    # Not asyncio.timeout: after a cancellation, giving the connection back can wait again.
    # The probe is left to end by itself (within the engine's own timeout).
    probe = asyncio.create_task(_select_one(engine))
    _probes.add(probe)
    probe.add_done_callback(_probes.discard)
    done, _pending = await asyncio.wait({probe}, timeout=within)
    return probe in done and probe.result()


_probes: set[asyncio.Task[bool]] = set()  # running probes (the loop keeps weak references only)


async def _select_one(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"
        return False
    return True
