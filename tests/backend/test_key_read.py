"""Reads by primary key: the short way past the ORM gives what ``Session.get`` gives.

On a scratch database of each test's own, with a table that has a column of each kind of type
(a type decorator too, like an encrypted column), read through a repository as the app does.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from heavy.data.db_connection import Database, is_unavailable
from heavy.data.key_read import KeyRead, listeners_version
from heavy.data.repository import Repository
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Date,
    DateTime,
    Dialect,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
    inspect,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import QueuePool
from sqlmodel import Field, Relationship, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.sql_models.base import HeavyModel
from heavy_stack.backend.data.vector_models.base import VectorModel

from tests.backend.test_unit_of_work import plain_url


class Reversed(TypeDecorator[str]):
    """Stored reversed, read back the right way round: a stand-in for an encrypted column."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else value[::-1]

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else value[::-1]


class Mood(enum.Enum):
    CALM = "calm"
    BUSY = "busy"


class SampleBase(SQLModel):
    metadata = MetaData()  # not the app's: nothing else sees this table


class Sample(SampleBase, table=True):
    __tablename__ = "key_read_samples"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str
    note: str | None = None
    body: str = Field(default="", sa_type=Text)
    count: int = 0
    big: int = Field(default=0, sa_type=BigInteger)
    price: Decimal = Field(default=Decimal("0"), sa_type=Numeric(12, 2))
    ratio: float = 0.0
    flag: bool = False
    at: datetime = Field(default_factory=lambda: datetime.now(UTC), sa_type=DateTime(timezone=True))
    day: date = Field(default_factory=date.today, sa_type=Date)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    tags: list[str] = Field(default_factory=list, sa_type=ARRAY(String))
    mood: Mood = Mood.CALM
    secret: str = Field(default="", sa_type=Reversed)
    # Unique, and stored through a bind processor: read by ``get_unique``.
    handle: str | None = Field(default=None, sa_type=Reversed, unique=True)


class SampleRepository(Repository[Sample, uuid.UUID]):
    pass


class Shelf(SampleBase, table=True):
    __tablename__ = "key_read_shelves"

    id: int | None = Field(default=None, primary_key=True)
    label: str


class Book(SampleBase, table=True):
    __tablename__ = "key_read_books"

    id: int | None = Field(default=None, primary_key=True)
    title: str
    shelf_id: int | None = Field(default=None, foreign_key="key_read_shelves.id")
    shelf: Shelf = Relationship()  # loaded lazily: the row alone is read


class BookRepository(Repository[Book, int]):
    pass


FIELDS = [attribute.key for attribute in inspect(Sample).column_attrs]

SAMPLES = {
    "typical": {"name": "Ada", "count": 3, "price": Decimal("12.50"), "data": {"a": [1, 2]}, "tags": ["x"]},
    "empty and null": {"name": "", "note": None, "body": "", "data": {}, "tags": [], "secret": ""},
    "long and non-ASCII": {
        "name": "Zoë " * 50,
        "body": "ü" * 100_000,
        "secret": "clé secrète ✓",
        "tags": ["ß", "日本"],
        "mood": Mood.BUSY,
    },
    "extremes": {
        "name": "z",
        "count": -(2**31),
        "big": 2**63 - 1,
        "price": Decimal("-9999999999.99"),
        "ratio": 1e-300,
        "flag": True,
        "at": datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC),  # datetime.max is stored as infinity
        "day": date(1, 1, 1),
    },
}


@pytest.fixture
async def scratch(scratch_url: str) -> AsyncIterator[Database]:
    database = Database.connect(scratch_url, scratch_url, pool_size=2)
    async with database.engine.begin() as connection:
        await connection.run_sync(SampleBase.metadata.create_all)
    yield database
    await database.close()


async def store(database: Database, **values: Any) -> Sample:
    async with database.transaction() as session:
        row = Sample(**values)
        session.add(row)
    return row


def read() -> KeyRead[Sample]:
    found = KeyRead.of(Sample)
    assert found is not None
    return found


async def skips_the_orm_now(session: AsyncSession) -> bool:
    connection = (await session.connection()).sync_connection
    assert connection is not None
    return read().skips_the_orm(session, connection)


def values_of(row: Sample | None) -> dict[str, tuple[type, Any]]:
    assert row is not None
    return {name: (type(getattr(row, name)), getattr(row, name)) for name in FIELDS}


async def read_by_the_orm(database: Database, key: uuid.UUID) -> Sample | None:
    async with database.transaction() as session:
        return await session.get(Sample, key)


@pytest.mark.parametrize("first", [True, False], ids=["unit's first statement", "on the unit's connection"])
@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
async def test_the_short_way_reads_what_session_get_reads(
    scratch: Database, sample: dict[str, Any], first: bool
) -> None:
    stored = await store(scratch, **sample)

    async with scratch.transaction() as session:
        if not first:  # the unit has its connection already: the read goes on it
            assert await skips_the_orm_now(session)
        row = await SampleRepository().get(stored.id)
        # A unit's first read takes a pooled connection for its statement alone and keeps it for
        # the next read by key; a later read goes on the unit's own connection.
        assert pool_in_use(scratch) == 1

    assert values_of(row) == values_of(await read_by_the_orm(scratch, stored.id))  # types too
    assert row is not None
    assert {name: getattr(row, name) for name in FIELDS} == {name: getattr(stored, name) for name in FIELDS}


@pytest.mark.parametrize(
    "handle", ["ada lovelace", "", "Zoë ✓ " * 40], ids=["plain", "empty", "long and non-ASCII"]
)
async def test_a_read_by_a_unique_column_reads_what_the_orms_select_reads(
    scratch: Database, handle: str
) -> None:
    stored = await store(scratch, name="Ada", count=3, handle=handle)
    await store(scratch, name="Another", handle=f"{handle}x")
    repository = SampleRepository()

    async with scratch.transaction() as session:
        row = await repository.get_unique(Sample.handle, handle)
        assert pool_in_use(scratch) == 1  # the short way: a pooled connection for the statement
        assert await repository.get_unique(Sample.handle, f"{handle}?") is None
        assert await repository.get(stored.id) is row  # the one instance of that row
        row.name = "Changed"  # type: ignore[union-attr]
        # The session holds a row now: the same read goes through the ORM, to that instance.
        assert await repository.get_unique(Sample.handle, handle) is row
        assert session.identity_map

    async with scratch.transaction() as session:
        by_the_orm = (await session.exec(select(Sample).where(Sample.handle == handle))).one()
    assert values_of(row) == values_of(by_the_orm)
    assert by_the_orm.name == "Changed"


def test_a_read_by_a_column_that_rows_may_share_is_refused() -> None:
    with pytest.raises(ValueError, match=r"key_read_samples.name is not a unique column of Sample"):
        KeyRead.of(Sample, Sample.__table__.c.name)  # type: ignore[attr-defined]


async def test_the_row_is_in_the_session_and_a_change_to_it_is_stored(scratch: Database) -> None:
    stored = await store(scratch, name="Before", secret="hidden")
    repository = SampleRepository()

    async with scratch.transaction() as session:
        row = await repository.get(stored.id)
        assert row is not None
        state = inspect(row)
        # Kept aside while nothing else uses the session; its first use attaches it, no SELECT.
        assert state.detached
        assert state.has_identity
        assert row in session
        assert state.persistent
        assert not session.dirty
        assert await repository.get(stored.id) is row  # from the identity map
        row.name = "After"
        row.tags = ["changed"]

    again = await read_by_the_orm(scratch, stored.id)
    assert again is not None
    assert (again.name, again.tags, again.secret) == ("After", ["changed"], "hidden")


@pytest.mark.parametrize("then", ["nothing", "a query", "a flush", "another read by key"])
async def test_a_change_before_the_session_is_used_is_stored(scratch: Database, then: str) -> None:
    stored = await store(scratch, name="Before", count=1)
    other = await store(scratch, name="Other")
    repository = SampleRepository()
    async with scratch.transaction() as session:
        row = await repository.get(stored.id)
        assert row is not None
        assert inspect(row).detached
        row.name, row.count = "After", 2
        if then == "a query":  # autoflush sends the change first: the query sees it
            found = (await session.exec(select(Sample).where(col(Sample.name) == "After"))).all()
            assert found == [row]
        elif then == "a flush":
            await session.flush()
            assert inspect(row).persistent
            assert not session.dirty
        elif then == "another read by key":
            assert await repository.get(other.id) is not None
            assert await repository.get(stored.id) is row  # the same instance, from the session
    again = await read_by_the_orm(scratch, stored.id)
    assert again is not None
    assert (again.name, again.count) == ("After", 2)


async def test_a_change_in_a_unit_that_fails_is_not_stored(scratch: Database) -> None:
    stored = await store(scratch, name="Before")

    async def rename_then_fail() -> None:
        async with scratch.transaction():
            row = await SampleRepository().get(stored.id)
            assert row is not None
            row.name = "After"
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError, match="handler failed"):
        await rename_then_fail()
    again = await read_by_the_orm(scratch, stored.id)
    assert again is not None
    assert again.name == "Before"


async def test_relationships_of_a_row_read_by_key_load_on_first_use(scratch: Database) -> None:
    async with scratch.transaction() as session:
        shelf = Shelf(label="Poetry")
        odes = Book(title="Odes", shelf=shelf)
        session.add_all([shelf, odes, Book(title="Elegies", shelf=shelf)])
        await session.flush()
        key = odes.id
    assert key is not None

    async with scratch.transaction() as session:
        book = await BookRepository().get(key)  # the short way: the row alone
        assert book is not None
        assert "shelf" in inspect(book).unloaded

        def its_shelf(_session: Session) -> str:
            return book.shelf.label  # a lazy load, in the unit's session

        assert await session.run_sync(its_shelf) == "Poetry"


async def test_a_missing_key_reads_none(scratch: Database) -> None:
    async with scratch.transaction() as session:
        assert await skips_the_orm_now(session)
        assert await SampleRepository().get(uuid.uuid4()) is None


async def test_a_row_added_but_not_flushed_is_found_through_the_orm(scratch: Database) -> None:
    async with scratch.transaction() as session:
        pending = Sample(name="Pending")
        session.add(pending)
        assert not await skips_the_orm_now(session)  # autoflush has work to do
        assert await SampleRepository().get(pending.id) is pending


async def test_after_the_first_write_reads_see_the_units_own_writes(scratch: Database) -> None:
    stored = await store(scratch, name="Stored")
    async with scratch.transaction() as session:
        connection = await session.connection()
        await connection.execute(update(Sample).where(col(Sample.id) == stored.id).values(name="Written"))
        assert not await skips_the_orm_now(session)  # in the unit's transaction now
        row = await SampleRepository().get(stored.id)
        assert row is not None
        assert row.name == "Written"


async def test_a_statement_listener_sees_every_read(scratch: Database) -> None:
    stored = await store(scratch, name="Watched")
    seen: list[str] = []

    def watch(_connection: Connection, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(scratch.engine.sync_engine, "after_cursor_execute", watch)
    async with scratch.transaction() as session:
        assert await SampleRepository().get(stored.id) is not None  # the unit's first statement
        assert not await skips_the_orm_now(session)
    assert any(statement.startswith("SELECT key_read_samples.id") for statement in seen), seen


async def test_sql_logging_shows_every_read(scratch: Database, caplog: pytest.LogCaptureFixture) -> None:
    stored = await store(scratch, name="Logged")
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine.Engine"):
        async with scratch.transaction() as session:
            assert await SampleRepository().get(stored.id) is not None  # the unit's first statement
            assert not await skips_the_orm_now(session)
    assert "FROM key_read_samples" in caplog.text


async def test_load_and_session_listeners_hear_the_read(scratch: Database) -> None:
    stored = await store(scratch, name="Heard")
    loaded: list[Sample] = []
    executed: list[ORMExecuteState] = []

    def on_load(target: Sample, _context: object) -> None:
        loaded.append(target)

    event.listen(Sample, "load", on_load)
    try:
        async with scratch.transaction():
            row = await SampleRepository().get(stored.id)
        assert loaded == [row]
    finally:
        event.remove(Sample, "load", on_load)

    async with scratch.transaction() as session:
        event.listen(session.sync_session, "do_orm_execute", executed.append)
        assert not await skips_the_orm_now(session)
        assert await SampleRepository().get(stored.id) is not None
    assert len(executed) == 1


async def test_a_session_class_listener_added_after_reads_hears_the_next_units_first_read(
    scratch: Database,
) -> None:
    stored = await store(scratch, name="Heard later")
    async with scratch.transaction():
        assert await SampleRepository().get(stored.id) is not None  # the short way, before anyone listens
    executed: list[ORMExecuteState] = []
    hear = executed.append
    event.listen(Session, "do_orm_execute", hear)  # every session class, from now on
    try:
        async with scratch.transaction():
            assert await SampleRepository().get(stored.id) is not None  # the unit's first statement
    finally:
        event.remove(Session, "do_orm_execute", hear)
    assert len(executed) == 1


async def test_units_that_have_read_do_not_hold_a_connection_while_they_work(scratch_url: str) -> None:
    # Two connections at most (pool_size=1 and as many overflow), waits of 0.5 s for one: units
    # that each read by key, then take a second to work, all go through at once.
    database = Database.connect(scratch_url, scratch_url, pool_size=1, timeout=0.5)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(SampleBase.metadata.create_all)
        stored = await store(database, name="Shared")

        async def read_then_work() -> str:
            async with database.transaction():
                row = await SampleRepository().get(stored.id)
                await asyncio.sleep(1)
                assert row is not None
                return row.name

        assert await asyncio.gather(*(read_then_work() for _ in range(4))) == ["Shared"] * 4
    finally:
        await database.close()


def pool_in_use(database: Database) -> int:
    pool = database.engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


async def test_connections_lost_meanwhile_fail_one_read_and_the_pool_is_renewed(
    scratch: Database, scratch_url: str
) -> None:
    stored = await store(scratch, name="Survivor")
    repository = SampleRepository()

    async def read_and_hold() -> None:
        async with scratch.transaction():
            await repository.get(stored.id)
            await asyncio.sleep(0.2)

    await asyncio.gather(read_and_hold(), read_and_hold())  # two pooled connections

    # Both backends ended by the server (as by a restart): the pool does not know yet.
    observer = await asyncpg.connect(plain_url(scratch_url))
    try:
        ended = await observer.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert ended == 2
        for _ in range(100):
            left = await observer.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if left == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        await observer.close()

    # "connection is closed", or "cannot switch to state 12" when asyncpg has read the server's
    # goodbye but not yet the end of the connection (test_db_connection.py): both are an outage.
    with pytest.raises((asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError)) as failure:
        async with scratch.transaction():
            await repository.get(stored.id)
    assert is_unavailable(failure.value)

    # The other stale connection is renewed too: no second user sees a failure.
    for _ in range(3):
        async with scratch.transaction():
            row = await repository.get(stored.id)
        assert row is not None
        assert row.name == "Survivor"


# Sorted and without repeats: the registries' mappers are a weak set (their order changes from
# one process to the next, and pytest-xdist's workers must collect the same list).
APP_MODELS = sorted(
    {mapper.class_ for base in (HeavyModel, VectorModel) for mapper in base._sa_registry.mappers},
    key=lambda model: model.__name__,
)


@pytest.mark.parametrize("model", APP_MODELS, ids=lambda model: model.__name__)
def test_every_app_model_with_one_key_column_can_take_the_short_way(model: type[SQLModel]) -> None:
    found = KeyRead.of(model)
    if len(inspect(model).primary_key) == 1:
        assert found is not None
        assert found.columns is not None
    else:
        assert found is None


async def test_an_engine_listener_added_after_reads_hears_the_next_read(scratch: Database) -> None:
    # What the listeners said is kept between reads (``listeners_version``): a listener added
    # since, to the engine or to every engine, must still hear the read.
    stored = await store(scratch, name="Heard by the engine")
    seen: list[str] = []

    def watch(_connection: Connection, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    async def read_in_a_unit() -> None:
        async with scratch.transaction(read_only=True):
            assert await SampleRepository().get(stored.id) is not None

    await read_in_a_unit()
    for target in (scratch.engine.sync_engine, Engine):
        event.listen(target, "after_cursor_execute", watch)
        try:
            await read_in_a_unit()
        finally:
            event.remove(target, "after_cursor_execute", watch)
        assert any("FROM key_read_samples" in statement for statement in seen), target
        seen.clear()
    await read_in_a_unit()
    assert seen == []


def test_the_listeners_version_follows_every_listen_and_remove() -> None:
    engine = create_engine("sqlite://")
    versions = [listeners_version()]

    def first(*_args: object) -> None: ...

    def second(*_args: object) -> None: ...

    event.listen(engine, "before_cursor_execute", first)
    versions.append(listeners_version())
    event.remove(engine, "before_cursor_execute", first)
    event.listen(engine, "before_cursor_execute", second)  # as many listeners as before
    versions.append(listeners_version())
    event.listen(Session, "do_orm_execute", first)
    versions.append(listeners_version())
    event.remove(Session, "do_orm_execute", first)
    versions.append(listeners_version())
    event.remove(engine, "before_cursor_execute", second)
    versions.append(listeners_version())

    assert all(before != after for before, after in itertools.pairwise(versions)), versions
    engine.dispose()
