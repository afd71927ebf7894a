"""``KeyRead``: one row by its primary key (or a unique column), into the current session, for the
least work.

The framework's one way around SQLAlchemy, kept for speed alone: ``make bench`` measures it in
every run against ``AsyncSession.get`` and the ORM's select (``bench/key_reads.py``, the
"Reads by key" table); drop it when that table shows SQLAlchemy's own way as fast.

A handler's first read is most often one row by its key: the user it acts on, the note it
opens. Through the ORM that read costs about 170 µs of Python on top of asyncpg's own 55 µs on
the benchmark machine (an execution context, a cursor result, the loader), the largest part of
a click (see ``docs/benchmarks.md``). So, in a session that holds nothing yet, ``KeyRead``
sends the SELECT that SQLAlchemy compiles for the model to the session's own asyncpg
connection (asyncpg keeps it prepared) and makes the row an instance as the ORM's loader does:
each column type's result processor applied, the values loaded without history, the instance
persistent in the session's identity map (or, in a ``UnitSession`` nothing has used yet, kept
aside until its first use: ``heavy.data.unit_session``). Changing it flushes an UPDATE, as after
``Session.get``.

It takes that short way only where the result cannot differ from the ORM's (``skips_the_orm``):

- the model: asyncpg, one key column, one table's plain columns (no inheritance, no deferred
  or SQL-expression attributes), no relationship loaded eagerly, no ``load`` listener;
- the session: no row and nothing pending (autoflush would have nothing to do), no listener of
  the session events that a load or an attach fires;
- the connection: before the unit's first write, where reads run alone
  (``runs_reads_alone``: no BEGIN would be sent; nothing else listens to its statements and SQL
  logging is off, so every statement shows wherever the ORM's would).

When the read is the unit's first statement (the session has begun nothing), it needs no
connection of the session's: it takes one from the pool for this statement alone and gives it
back at once (``reads_alone_on_its_pool``: an engine of ``begin_on_first_write`` at READ
COMMITTED, where the read would run without BEGIN anyway, with nothing else listening to its
connections). That skips the session's connection and transaction machinery, about a third of
the read's CPU, and the unit holds no pooled connection while it works; if it writes later, its
transaction begins on a connection of its own, as it would have.

Everywhere else the same SELECT runs through the ORM. A failure that leaves the connection in
doubt (a timeout, a lost socket) closes it and renews the pool, as SQLAlchemy does for its own
statements (``lose_connection``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

import asyncpg
from heavy.data.db_connection import (
    is_unavailable,
    lose_connection,
    lose_pooled_connection,
    reads_alone_on_its_pool,
    runs_reads_alone,
    takes_its_own_snapshots,
)
from heavy.data.held_connection import hold_connection, take_held_connection
from heavy.data.unit_session import UnitSession
from sqlalchemy import Column, UniqueConstraint, bindparam, inspect, select
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.event import registry as _event_registry
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_dict, instance_state
from sqlalchemy.pool import Pool, PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn
from sqlmodel import SQLModel
from sqlmodel import select as orm_select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

ModelT = TypeVar("ModelT", bound=SQLModel)

_KEY = "heavy_key"

# Relationship loading that happens after the row is read, lazily or never: the row alone is
# what the ORM loads too.
_LOADED_LATER = frozenset(("select", "raise", "raise_on_sql", "noload", "write_only", "dynamic"))
# Session events that loading or attaching a row fires: where any is listened to, the ORM runs.
_SESSION_EVENTS = (
    "do_orm_execute",
    "loaded_as_persistent",
    "detached_to_persistent",
    "before_attach",
    "after_attach",
)

Processor = Callable[[Any], Any]


@dataclass
class KeyRead(Generic[ModelT]):
    """The SELECT by key of one model, built once, and how to run it (see the module docstring)."""

    model: type[ModelT]
    mapper: Mapper[ModelT]
    # The ORM's statement, for sessions where the short way is not taken.
    statement: SelectOfScalar[ModelT]
    # The short way's parts (None: this model always goes through the ORM).
    columns: tuple[Column[Any], ...] | None
    attributes: tuple[str, ...]
    key_attribute: str  # the attribute of the primary key column (the row's identity)
    # The column the SELECT compares with the value: the primary key, or a unique column.
    where: Column[Any]
    # Found at the first short read, for its connection's dialect and the server's column types.
    _sql: str | None = field(default=None, init=False)
    _bind_key: Processor | None = field(default=None, init=False)
    _processors: tuple[Processor | None, ...] | None = field(default=None, init=False)
    # Whether a read in an unused session of a class, on an engine, can skip the ORM, and the
    # ``listeners_version`` it was found at.
    _verdicts: WeakKeyDictionary[Engine, dict[type[Session], tuple[ListenersVersion, bool]]] = field(
        default_factory=WeakKeyDictionary, init=False, repr=False
    )

    @classmethod
    def of(cls, model: type[ModelT], unique: Column[Any] | None = None) -> KeyRead[ModelT] | None:
        """The read of ``model`` by its primary key, or by the ``unique`` column of its table;
        None when its primary key has more than one column. ValueError if ``unique`` is not a
        column of the table that only one row can hold a value of."""
        mapper: Mapper[ModelT] = inspect(model)
        if unique is not None and not _holds_unique_values(mapper, unique):
            raise ValueError(f"{unique} is not a unique column of {model.__name__}'s table: give one that is")
        if len(mapper.primary_key) != 1:
            return None
        where: Column[Any] = mapper.primary_key[0] if unique is None else unique  # type: ignore[assignment]
        statement = orm_select(model).where(where == bindparam(_KEY))
        plain = _plain_columns(mapper)
        attributes = tuple(key for key, _column in plain) if plain else ()
        columns = tuple(column for _key, column in plain) if plain else None
        key_attribute = mapper.get_property_by_column(mapper.primary_key[0]).key
        return cls(model, mapper, statement, columns, attributes, key_attribute, where)

    def skips_the_orm(self, session: AsyncSession, connection: Connection) -> bool:
        """Whether reading on ``connection`` for ``session`` now can skip the ORM."""
        return (
            self.columns is not None
            and connection.dialect.driver == "asyncpg"
            and self._session_allows(session.sync_session)
            and runs_reads_alone(connection)
        )

    def _session_allows(self, sync: Session) -> bool:
        # Nothing in the session that the ORM's read would flush or find, and nobody listening
        # to what loading or attaching the row fires.
        return not sync.identity_map and not sync.new and self._nobody_listens(sync)

    def _nobody_listens(self, sync: Session) -> bool:
        return not any(getattr(sync.dispatch, name) for name in _SESSION_EVENTS) and not (
            self.mapper.class_manager.dispatch.load
        )

    def _nobody_listens_to_its_class(self, session_class: type[Session]) -> bool:
        # A session nothing has used has no listeners of its own: its class's are all it has.
        return not any(_class_listeners(session_class)) and not self.mapper.class_manager.dispatch.load

    async def run(self, session: AsyncSession, key: Any) -> ModelT | None:
        """The row with primary key ``key`` as ``Session.get`` would return it, in ``session``
        (or, in a ``UnitSession`` nothing has used yet, kept aside to be attached on its first
        use: ``heavy.data.unit_session``)."""
        engine = self._engine_of_its_first_read(session)
        if engine is not None:
            pool = engine.pool
            pooled = take_held_connection(pool)
            if pooled is None:
                pooled = await greenlet_spawn(engine.raw_connection)
            if takes_its_own_snapshots(pooled.dbapi_connection, engine.dialect):
                row = self._loaded(await self._fetch_alone(pooled, engine, pool, key))
                if row is not None:
                    self._keep_or_attach(session, row)
                return row
            await greenlet_spawn(pooled.close)  # a unit at another isolation level: the ORM's way
        connection = await session.connection()
        sync = connection.sync_connection
        if sync is None or not self.skips_the_orm(session, sync):
            return await self.through_the_orm(session, key)
        row = self._loaded(await self._fetch(connection, sync.connection.driver_connection, key))
        if row is not None:
            session.add(row)
        return row

    async def through_the_orm(self, session: AsyncSession, key: Any) -> ModelT | None:
        """The same read as the ORM's select (what ``run`` does where it cannot skip the ORM)."""
        return (await session.exec(self.statement, params={_KEY: key})).first()

    def _engine_of_its_first_read(self, session: AsyncSession) -> Engine | None:
        """The engine to read on when ``session`` has no connection yet (nothing begun) and the
        read can skip the ORM: it then needs no connection of the session's, only one of the
        pool's for this statement (``reads_alone_on_its_pool``), which saves the session's
        connection and transaction machinery (about a third of a read's CPU)."""
        if self.columns is None:
            return None
        if isinstance(session, UnitSession) and session.is_unused and session.unused_bind is not None:
            # Nothing used it: nothing begun, found or added; listeners only its class's.
            return self._engine_for_an_unused_session(session.sync_session_class, session.unused_bind)
        sync = session.sync_session
        if sync.in_transaction() or not self._session_allows(sync):
            return None
        bind = sync.get_bind(self.mapper)
        if isinstance(bind, Engine) and bind.dialect.driver == "asyncpg" and reads_alone_on_its_pool(bind):
            return bind
        return None

    def _engine_for_an_unused_session(self, session_class: type[Session], engine: Engine) -> Engine | None:
        # What the listeners say is kept until a listener is added or removed anywhere
        # (``listeners_version``): asking them is a dozen calls into SQLAlchemy's event
        # collections, which every click's read made (about 8 % of a click's server CPU). SQL
        # logging can be switched on at any time without a listener: asked each read.
        if engine.logger.isEnabledFor(logging.INFO):
            return None
        version = listeners_version()
        known = self._verdicts.get(engine)
        if known is None:
            known = self._verdicts[engine] = {}
        verdict = known.get(session_class)
        if verdict is None or verdict[0] != version:
            skips = (
                self._nobody_listens_to_its_class(session_class)
                and engine.dialect.driver == "asyncpg"
                and reads_alone_on_its_pool(engine)
            )
            verdict = known[session_class] = (version, skips)
        return engine if verdict[1] else None

    @staticmethod
    def _keep_or_attach(session: AsyncSession, row: ModelT) -> None:
        if isinstance(session, UnitSession) and session.is_unused:
            session.keep_aside(row)  # attached if anything uses the session (its first read)
        else:
            session.add(row)

    def _loaded(self, row: Sequence[Any] | None) -> ModelT | None:
        # The row made an instance as the ORM's loader makes a new one (``loading._instance``):
        # its values set without history, its identity key, relationships left unloaded (loaded
        # on first access); detached until it is added. ``make_transient_to_detached`` did the
        # same and more (a third of the read's own CPU): it works the key out through the
        # attributes and marks the unloaded relationships expired.
        if row is None:
            return None
        instance: ModelT = self.mapper.class_manager.new_instance()
        assert self._processors is not None  # found by the first fetch
        values = instance_dict(instance)
        for attribute, processor, value in zip(self.attributes, self._processors, row, strict=True):
            values[attribute] = value if processor is None else processor(value)
        instance_state(instance).key = self.mapper.identity_key_from_primary_key(
            (values[self.key_attribute],)
        )
        return instance

    async def _fetch(
        self, connection: AsyncConnection, driver: asyncpg.Connection, key: Any
    ) -> Sequence[Any] | None:
        try:
            return await self._select(driver, connection.dialect, key)
        except asyncio.CancelledError as error:
            # Cut off mid-statement: this connection is in doubt, not the others (as SQLAlchemy).
            await lose_connection(connection, error, whole_pool=False)
            raise
        except Exception as error:
            if is_unavailable(error):
                await lose_connection(connection, error, whole_pool=True)
            raise

    async def _fetch_alone(
        self, pooled: PoolProxiedConnection, engine: Engine, pool: Pool, key: Any
    ) -> Sequence[Any] | None:
        # On a connection of the pool's for this one statement, kept for the next read by key
        # or given back as soon as it ends (``heavy.data.held_connection``); lost as in ``_fetch``.
        try:
            row = await self._select(pooled.driver_connection, engine.dialect, key)
        except asyncio.CancelledError as error:
            await lose_pooled_connection(pooled, pool, error, whole_pool=False)
            raise
        except Exception as error:
            if is_unavailable(error):
                await lose_pooled_connection(pooled, pool, error, whole_pool=True)
            else:
                await greenlet_spawn(pooled.close)
            raise
        if engine.pool is pool:
            await hold_connection(pool, pooled)
        else:  # the engine was disposed meanwhile: its old pool takes it back
            await greenlet_spawn(pooled.close)
        return row

    async def _select(self, driver: asyncpg.Connection, dialect: Dialect, key: Any) -> Sequence[Any] | None:
        if self._processors is None:
            return await self._first_fetch(driver, dialect, key)
        bound = key if self._bind_key is None else self._bind_key(key)
        record: asyncpg.Record | None = await driver.fetchrow(self._sql, bound)
        return record

    async def _first_fetch(
        self, driver: asyncpg.Connection, dialect: Dialect, key: Any
    ) -> asyncpg.Record | None:
        # The column types' processors depend on the types the server reports, as the ORM's do.
        assert self.columns is not None
        query = select(*self.columns).where(self.where == bindparam(_KEY))
        sql = str(query.compile(dialect=dialect))
        bind_key = self.where.type.dialect_impl(dialect).bind_processor(dialect)
        prepared = await driver.prepare(sql)
        record: asyncpg.Record | None = await prepared.fetchrow(key if bind_key is None else bind_key(key))
        server_types = [attribute.type.oid for attribute in prepared.get_attributes()]
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, server_type)
            for column, server_type in zip(self.columns, server_types, strict=True)
        )
        self._sql, self._bind_key, self._processors = sql, bind_key, processors
        return record


ListenersVersion = tuple[int, object]


def listeners_version() -> ListenersVersion:
    """A value that changes whenever a SQLAlchemy event listener is added or removed, on any
    target (a class or an instance): how many listen() keys SQLAlchemy's event registry holds,
    and the newest of them. Removing one listener and adding another changes the newest key;
    anything else that touches the registry only makes the next read ask the listeners again.

    The registry is SQLAlchemy's private bookkeeping (``sqlalchemy.event.registry``), used here
    for speed alone; ``tests/backend/test_key_read.py`` fails if it stops following listeners
    (the version must change on every listen and remove, and a listener added after reads must
    hear the next one)."""
    keys = _listen_keys
    return len(keys), next(reversed(keys), None)


_listen_keys: dict[Any, Any] = _event_registry._key_to_collection


def _class_listeners(session_class: type[Session]) -> tuple[Any, ...]:
    """The listeners of ``_SESSION_EVENTS`` that every session of ``session_class`` without
    listeners of its own calls, found once per class. Asking a fresh session instead builds its
    event table (about 4 µs of a click's key read); these collections are the ones SQLAlchemy
    shares between that class's sessions, and they follow listeners added to the class (or to a
    base class, or to its sessionmaker) afterwards."""
    found = _listeners_of_class.get(session_class)
    if found is None:
        dispatch: Any = session_class.dispatch
        shared = dispatch._for_class(session_class)  # what a new session's dispatch starts from
        found = _listeners_of_class[session_class] = tuple(getattr(shared, name) for name in _SESSION_EVENTS)
    return found


_listeners_of_class: WeakKeyDictionary[type[Session], tuple[Any, ...]] = WeakKeyDictionary()


def _holds_unique_values(mapper: Mapper[Any], column: Column[Any]) -> bool:
    """Whether ``column`` is one of the mapped table's columns that no two rows share."""
    table = mapper.local_table
    if not isinstance(column, Column) or column.table is not table:
        return False
    if column.primary_key:
        return len(mapper.primary_key) == 1
    return bool(column.unique) or any(
        len(constraint.columns) == 1 and next(iter(constraint.columns)) is column
        for constraint in (*getattr(table, "constraints", ()), *getattr(table, "indexes", ()))
        if isinstance(constraint, UniqueConstraint) or getattr(constraint, "unique", False)
    )


def _plain_columns(mapper: Mapper[Any]) -> list[tuple[str, Column[Any]]] | None:
    """Each attribute's key and column, when the row of one table is the whole load."""
    if mapper.inherits is not None or mapper.polymorphic_on is not None or mapper.with_polymorphic:
        return None
    if any(relationship.lazy not in _LOADED_LATER for relationship in mapper.relationships):
        return None
    found = []
    for attribute in mapper.column_attrs:
        columns = attribute.columns
        if (
            len(columns) != 1
            or not isinstance(columns[0], Column)
            or columns[0].table is not mapper.local_table
            or attribute.deferred
        ):
            return None
        found.append((attribute.key, columns[0]))
    return found
