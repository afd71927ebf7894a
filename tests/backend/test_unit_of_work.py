"""A unit of work begins its transaction on its first write: checked on what PostgreSQL saw.

Each test opens a ``Database`` of its own on the test server, with one pooled connection, so
the backend it watches (in ``pg_stat_activity`` or in the statement log) is the units' own.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
import pytest
from heavy.data.db_connection import CommitFailedError, Database, is_plain_read
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Sequence,
    Table,
    UniqueConstraint,
    event,
    func,
    insert,
    literal_column,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import col, select

from heavy_stack.backend.data.model_managers.registry import managers
from heavy_stack.backend.data.sql_models.user import SQLUser
from heavy_stack.shared_models.user import User


def plain_url(url: str) -> str:
    """The URL for asyncpg itself (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def new_email() -> str:
    return f"unit-{uuid.uuid4().hex[:12]}@example.com"


@dataclass
class Watched:
    """A database whose pooled connections log every statement, and an observer beside it.

    Its pool keeps one connection (``pool_size=1``) and may open one more: the one a unit's
    first read by key keeps for the next such read (``heavy.data.held_connection``).
    """

    database: Database
    observer: asyncpg.Connection
    pids: list[int] = field(default_factory=list)

    async def activity(self) -> tuple[str, object]:
        """The ``state`` and ``xact_start`` PostgreSQL shows for the units' connections now:
        one's in a transaction if any is, else the first's."""
        rows = await self.observer.fetch(
            "SELECT state, xact_start FROM pg_stat_activity WHERE pid = ANY($1::int[])", self.pids
        )
        assert rows, "the units' connections are open"
        in_transaction = [row for row in rows if row["xact_start"] is not None]
        row = (in_transaction or rows)[0]
        return row["state"], row["xact_start"]

    async def log_size(self) -> int:
        return int(await self.observer.fetchval("SELECT (pg_stat_file('log')).size"))

    async def statements_since(self, offset: int) -> list[str]:
        """What the units' connections ran since ``offset`` of the server log, in order."""
        logged = await self.observer.fetchval("SELECT pg_read_file('log', $1, 10000000)", offset)
        markers = [f"[{pid}] LOG:  " for pid in self.pids]
        found = []
        for line in logged.splitlines():
            for marker in markers:
                if marker not in line:
                    continue
                message = line.split(marker, 1)[1]
                if message.startswith(("statement: ", "execute ")):
                    found.append(message.split(": ", 1)[1])
        # Not the units': what the fixture runs as it opens a connection.
        return [statement for statement in found if statement not in _SETUP_STATEMENTS]


_SETUP_STATEMENTS = ("SELECT pg_backend_pid()", "SET log_statement = 'all'")


@pytest.fixture
async def watched(database_urls: tuple[str, str], database: Database) -> AsyncIterator[Watched]:
    """``database`` (already paved) is requested for its tables only."""
    sql_url, vector_url = database_urls
    own = Database.connect(sql_url, vector_url, pool_size=1)
    observer = await asyncpg.connect(plain_url(sql_url))
    result = Watched(own, observer)

    def log_this_connection(adapter: object, _record: ConnectionPoolEntry) -> None:
        async def setup(connection: asyncpg.Connection) -> None:
            # Without the privilege, the statement-log tests skip themselves (see ``logged``).
            with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
                await connection.execute("SET log_statement = 'all'")
            result.pids.append(await connection.fetchval("SELECT pg_backend_pid()"))

        adapter.run_async(setup)  # type: ignore[attr-defined]

    event.listen(own.engine.sync_engine.pool, "connect", log_this_connection)
    try:
        yield result
    finally:
        await own.close()
        await observer.close()


@pytest.fixture
async def logged(watched: Watched) -> Watched:
    """``watched``, where the server's statement log can be read (the embedded server's own)."""
    try:
        is_superuser = await watched.observer.fetchval(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        )
        has_log = await watched.observer.fetchval("SELECT (pg_stat_file('log', true)).size IS NOT NULL")
    except asyncpg.PostgresError:
        is_superuser = has_log = False
    if not (is_superuser and has_log):
        pytest.skip("needs the embedded PostgreSQL's statement log (a superuser and its 'log' file)")
    return watched


async def make_user(database: Database) -> User:
    async with database.transaction():
        return await managers().users.create(new_email(), "Unit")


async def test_a_unit_that_only_reads_sends_no_begin_and_no_commit(logged: Watched) -> None:
    user = await make_user(logged.database)
    start = await logged.log_size()

    async with logged.database.transaction():
        assert await managers().users.get(user.id) == user
        assert await managers().users.get_by_email(user.email) == user

    statements = await logged.statements_since(start)
    assert len(statements) == 2, statements
    assert all(statement.startswith("SELECT users.id") for statement in statements), statements


async def test_a_unit_that_only_reads_is_never_inside_a_transaction(watched: Watched) -> None:
    user = await make_user(watched.database)

    async with watched.database.transaction():
        await managers().users.get(user.id)
        # "idle", not "idle in transaction": nothing holds a snapshot or locks between clicks' reads.
        assert await watched.activity() == ("idle", None)
        await managers().users.get_by_email(user.email)
        assert await watched.activity() == ("idle", None)


async def test_the_first_write_begins_one_transaction_for_the_rest(logged: Watched) -> None:
    user = await make_user(logged.database)
    start = await logged.log_size()

    async with logged.database.transaction() as session:
        await managers().users.get(user.id)
        assert (await logged.activity())[0] == "idle"
        first = await managers().users.create(new_email(), "First")
        assert (await logged.activity())[0] == "idle in transaction"
        second = await managers().users.create(new_email(), "Second")
        connection = await session.connection()
        in_transaction = await connection.scalar(text("SELECT txid_current_if_assigned()"))

    statements = await logged.statements_since(start)
    kinds = [statement.split()[0].rstrip(";") for statement in statements]
    # The read ran alone; BEGIN came right before the first INSERT; one COMMIT ended both.
    assert kinds[:3] == ["SELECT", "BEGIN", "INSERT"], statements
    assert kinds.count("BEGIN") == 1, statements
    assert kinds[-1] == "COMMIT", statements
    assert kinds.count("COMMIT") == 1, statements
    # Both rows were written by the one transaction (their xmin) that was open at the end.
    writers = await logged.observer.fetch(
        "SELECT DISTINCT xmin::text::bigint AS xid FROM users WHERE id = ANY($1::uuid[])",
        [first.id, second.id],
    )
    assert [row["xid"] for row in writers] == [in_transaction]


async def test_two_writes_where_the_second_fails_leave_neither_stored(watched: Watched) -> None:
    taken = await make_user(watched.database)
    first_email = new_email()

    async def write_twice() -> None:
        async with watched.database.transaction():
            await managers().users.get(taken.id)  # a read first: autocommit until the write
            await managers().users.create(first_email, "Stored first")
            await managers().users.create(taken.email, "Same address")

    with pytest.raises(IntegrityError):
        await write_twice()

    async with watched.database.transaction():
        assert await managers().users.get_by_email(first_email) is None


async def test_a_read_then_a_write_in_one_unit_is_stored(watched: Watched) -> None:
    user = await make_user(watched.database)

    async with watched.database.transaction():
        found = await managers().users.get(user.id)
        assert found is not None
        await managers().users.rename(found.id, f"{found.display_name} Renamed")

    async with watched.database.transaction():
        assert (await managers().users.require(user.id)).display_name == "Unit Renamed"
    assert (await watched.activity())[0] == "idle"  # committed, not left open


async def test_a_commit_that_fails_raises_commit_failed_error_and_stores_nothing(scratch_url: str) -> None:
    # A deferred constraint is checked at COMMIT: every statement succeeds, the COMMIT fails.
    metadata = MetaData()
    table = Table(
        "deferred_pairs",
        metadata,
        Column("value", Integer, nullable=False),
        UniqueConstraint("value", name="uq_deferred_value", deferrable=True, initially="DEFERRED"),
    )
    database = Database.connect(scratch_url, scratch_url, pool_size=1)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

        async def insert_twice() -> None:
            async with database.transaction() as session:
                await session.exec(insert(table).values(value=1))
                await session.exec(insert(table).values(value=1))  # accepted until COMMIT

        with pytest.raises(CommitFailedError) as raised:
            await insert_twice()
        assert isinstance(raised.value.__cause__, IntegrityError)

        async with database.transaction() as session:
            assert (await session.exec(select(func.count()).select_from(table))).one() == 0
    finally:
        await database.close()


async def test_select_for_update_holds_its_lock_until_commit(watched: Watched) -> None:
    user = await make_user(watched.database)
    locked = asyncio.Event()
    release = asyncio.Event()

    async def lock_the_row() -> None:
        async with watched.database.transaction() as session:
            await session.exec(select(SQLUser).where(col(SQLUser.id) == user.id).with_for_update())
            locked.set()
            await release.wait()

    holder = asyncio.create_task(lock_the_row())
    try:
        await locked.wait()
        with pytest.raises(asyncpg.LockNotAvailableError):
            async with watched.observer.transaction():
                await watched.observer.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE NOWAIT", user.id)
    finally:
        release.set()
        await holder
    async with watched.observer.transaction():
        await watched.observer.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE NOWAIT", user.id)


async def test_a_select_of_a_function_that_locks_runs_in_the_transaction(watched: Watched) -> None:
    # pg_advisory_xact_lock is a SELECT that is not a plain read: it holds its lock until COMMIT.
    key = uuid.uuid4().int % 2**62
    locked = asyncio.Event()
    release = asyncio.Event()

    async def take_the_lock() -> None:
        async with watched.database.transaction() as session:
            await session.exec(select(func.pg_advisory_xact_lock(key)))
            locked.set()
            await release.wait()

    holder = asyncio.create_task(take_the_lock())
    try:
        await locked.wait()
        assert await watched.observer.fetchval("SELECT pg_try_advisory_lock($1)", key) is False
    finally:
        release.set()
        await holder
    assert await watched.observer.fetchval("SELECT pg_try_advisory_lock($1)", key) is True
    await watched.observer.execute("SELECT pg_advisory_unlock($1)", key)


async def test_a_pooled_connection_is_transactional_again_for_other_code(watched: Watched) -> None:
    # The units' connection went back to the pool after a read-only unit; the engine's own
    # connections (migrations, scripts) still get a real transaction that rolls back.
    user = await make_user(watched.database)
    async with watched.database.transaction():
        await managers().users.get(user.id)

    async with watched.database.engine.connect() as connection:
        await connection.execute(
            text("UPDATE users SET display_name = 'Rolled back' WHERE id = :id"), {"id": user.id}
        )
        await connection.rollback()

    async with watched.database.transaction():
        assert (await managers().users.require(user.id)).display_name == "Unit"


def _statements() -> list[tuple[str, object, bool]]:
    users = SQLUser.__table__  # type: ignore[attr-defined]
    by_id = select(SQLUser).where(col(SQLUser.id) == uuid.uuid4())
    written = insert(users).values(email="x", display_name="x").returning(users.c.id).cte("written")
    return [
        ("a select by key", by_id, True),
        ("a count with a filter", select(func.count()).select_from(users).where(users.c.email == "x"), True),
        ("a union of selects", select(users.c.id).union(select(users.c.id)), True),
        ("lower() in a filter", select(users.c.id).where(func.lower(users.c.email) == "x"), True),
        ("a locking select", by_id.with_for_update(), False),
        ("a select sharing a lock", by_id.with_for_update(read=True), False),
        ("the transaction's clock", select(func.now()), False),
        ("CURRENT_TIMESTAMP", select(func.current_timestamp()), False),
        ("an advisory lock", select(func.pg_advisory_xact_lock(1)), False),
        ("a sequence's next value", select(Sequence("some_sequence").next_value()), False),
        ("a function of a schema", select(func.accounting.close_books()), False),
        ("a data-modifying WITH", select(written.c.id), False),
        ("raw SQL in a column", select(literal_column("nextval('s')")), False),
        ("text()", text("SELECT 1"), False),
        ("an INSERT", insert(users).values(email="x", display_name="x"), False),
    ]


@pytest.mark.parametrize(("what", "statement", "plain"), _statements(), ids=lambda value: value)
def test_which_statements_are_plain_reads(what: str, statement: object, plain: bool) -> None:
    # Decided on the statement SQLAlchemy builds, not its SQL text: a string literal that
    # mentions INTO or FOR UPDATE changes nothing.
    assert is_plain_read(statement) is plain, what


def test_words_in_a_string_literal_do_not_make_a_read_a_write() -> None:
    statement = select(SQLUser).where(col(SQLUser.display_name) == "SELECT INTO x FOR UPDATE; now()")
    assert is_plain_read(statement)


async def test_a_read_of_the_transactions_clock_begins_the_transaction(watched: Watched) -> None:
    async with watched.database.transaction() as session:
        first = (await session.exec(select(func.now()))).one()
        assert (await watched.activity())[0] == "idle in transaction"
        second = (await session.exec(select(func.now()))).one()
    assert first == second  # one transaction, one clock


# Read-only units (``Database.transaction(read_only=True)``, what ``reads_only`` handlers run in).


async def test_a_read_only_unit_reads_alone_and_sends_no_commit(logged: Watched) -> None:
    user = await make_user(logged.database)
    start = await logged.log_size()

    async with logged.database.transaction(read_only=True):
        assert await managers().users.get(user.id) == user
        assert (await logged.activity())[0] == "idle"  # no transaction held between reads
        assert await managers().users.get_by_email(user.email) == user

    statements = await logged.statements_since(start)
    assert len(statements) == 2, statements
    assert all(statement.startswith("SELECT users.id") for statement in statements), statements


async def test_a_write_in_a_read_only_unit_is_refused_by_postgresql(logged: Watched) -> None:
    email = new_email()
    start = await logged.log_size()

    with pytest.raises(DBAPIError) as refused:
        async with logged.database.transaction(read_only=True):
            await managers().users.create(email, "Never Stored")
    assert isinstance(refused.value.orig, Exception)
    assert "read-only transaction" in str(refused.value)

    statements = await logged.statements_since(start)
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN READ ONLY;"], statements
    assert not any(s.startswith("COMMIT") for s in statements), statements
    async with logged.database.transaction():
        assert await managers().users.get_by_email(email) is None


async def test_only_the_read_only_unit_is_read_only_on_its_pooled_connection(watched: Watched) -> None:
    show = text("SHOW transaction_read_only")
    async with watched.database.transaction(read_only=True) as session:
        assert await session.scalar(show) == "on"
    # The same (only) pooled connection, given back: other units write as before.
    async with watched.database.transaction() as session:
        assert await session.scalar(show) == "off"
        await managers().users.create(new_email(), "Writes")
    assert (await watched.activity())[0] == "idle"
