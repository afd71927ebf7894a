"""``Repository``: the only kind of code that touches a database session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeAlias, TypeVar, overload

from heavy.data.db_connection import db_session, vector_db_session
from heavy.data.generics import generic_argument
from heavy.data.key_read import KeyRead
from heavy.data.unit_session import holds_rows
from sqlalchemy import SQLColumnExpression
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm.attributes import instance_state
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

ModelT = TypeVar("ModelT", bound=SQLModel)
IdT = TypeVar("IdT")


class NoDatabaseSessionError(RuntimeError):
    """Database code ran where no session is set."""

    def __init__(self) -> None:
        super().__init__(
            "No database session is set (the db_session context variable is empty). Database "
            "access belongs inside an async function passed to heavy_use_effect or heavy_event "
            "(it receives a HeavyContext and runs with a fresh session), or in a test that takes "
            "the `db_session: AsyncSession` fixture. Rendering code and sync handlers must not "
            "touch the database."
        )


class NoVectorDatabaseSessionError(RuntimeError):
    """Vector database code ran where no vector session is set."""

    def __init__(self) -> None:
        super().__init__(
            "No vector database session is set (the vector_db_session context variable is empty). "
            "Open one with `async with database.vector_transaction():` around the calls that use "
            "the vector database."
        )


def current_db_session() -> AsyncSession:
    """The session set for the running handler, effect or test."""
    try:
        return db_session.get()
    except LookupError:
        raise NoDatabaseSessionError() from None


# The read by primary key (column None) or by a unique column of each model (None: a composite
# primary key, left to ``Session.get`` and the ORM's select).
_key_reads: dict[tuple[type[Any], Any], Any] = {}

# What ``list``, ``get_by`` and ``delete_where`` take: conditions on the model's columns,
# ``SQLNote.owner_id == owner_id`` (SQLModel types those as bool).
Condition: TypeAlias = "SQLColumnExpression[bool] | bool"
Ordering: TypeAlias = "SQLColumnExpression[Any] | tuple[SQLColumnExpression[Any], ...]"


class Repository(Generic[ModelT, IdT]):
    """Create, read, update and delete one SQL model, in the current session.

    A table with no query of its own needs no class: ``Repository(SQLInvoice)`` reads by key,
    lists by any columns (``list(SQLInvoice.owner_id == owner_id, order_by=...)``), adds,
    updates and deletes. Queries of its own go in a subclass, which names the model and its
    key type once, in the generic arguments::

        class InvoiceRepository(Repository[SQLInvoice, InvoiceId]):
            async def total_unpaid(self) -> Decimal: ...

    Repositories hold no state (the session comes from the context variable), so one instance
    serves every request. Writes are flushed, not committed: the heavy wrappers commit once the
    handler returns.
    """

    model: type[Any]  # the model of the generic arguments (a subclass's) or of the constructor

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if (model := generic_argument(cls, 0, SQLModel)) is not None:
            cls.model = model

    @overload
    def __init__(self: Repository[ModelT, Any], model: type[ModelT]) -> None: ...

    @overload
    def __init__(self) -> None: ...

    def __init__(self, model: type[ModelT] | None = None) -> None:
        if model is not None:
            self.model = model
        elif not hasattr(self, "model"):
            raise TypeError(f"{type(self).__name__}() needs a model: Repository(SQLInvoice)")

    @property
    def db_session(self) -> AsyncSession:
        return current_db_session()

    async def get(self, id_: IdT) -> ModelT | None:
        """The row with this primary key, or None; as ``AsyncSession.get``, for less work.

        A session that holds rows already (and a composite key) goes through
        ``AsyncSession.get``, which looks in its identity map first. In a session that holds
        nothing yet (the usual case: a handler's first read) the model's ``KeyRead`` runs
        instead (``key_read.py``): the same SELECT, sent past the ORM's per-statement work where
        that returns the same; ``make bench`` prints what it saves per unit of work. The row is
        in the session as after ``AsyncSession.get``.
        """
        session = self.db_session
        read = self._key_read()
        if read is None or holds_rows(session):
            return await session.get(self.model, id_)
        return await read.run(session, id_)

    # ``column``: SQLModel types a model's class attribute as its value's type (``str``).
    async def get_unique(self, column: Any, value: Any) -> ModelT | None:
        """The row whose ``column`` holds ``value``, or None: ``get`` by a column that no two
        rows share (``unique=True``, or a unique constraint or index of that column alone),
        such as ``get_unique(SQLUser.email, email)``. It takes ``get``'s short way in a session
        that holds nothing yet (the ORM's select otherwise); ValueError if the column is not
        unique, as another row could hold the same value."""
        # The table's own column (not the class attribute's annotated copy): the cache's key.
        read = self._key_read(column.property.columns[0] if hasattr(column, "property") else column)
        if read is None:  # a composite primary key
            return await self.get_by(column == value)
        session = self.db_session
        if holds_rows(session):
            return await read.through_the_orm(session, value)
        return await read.run(session, value)

    def _key_read(self, unique: Any = None) -> KeyRead[ModelT] | None:
        # Built on first use (the mapper is complete by then), once per model and column.
        if (self.model, unique) not in _key_reads:
            _key_reads[self.model, unique] = KeyRead.of(self.model, unique)
        read: KeyRead[ModelT] | None = _key_reads[self.model, unique]
        return read

    async def get_by(self, *where: Condition) -> ModelT | None:
        """The first row that meets every condition, or None (``get_unique`` is faster where
        one unique column decides)."""
        return (await self.db_session.exec(select(self.model).where(*where).limit(1))).first()

    async def list(
        self, *where: Condition, order_by: Ordering = (), offset: int = 0, limit: int | None = 100
    ) -> Sequence[ModelT]:
        """The rows that meet every condition (all rows when none is given), in ``order_by``'s
        order; ``limit=None`` for all of them."""
        ordering = order_by if isinstance(order_by, tuple) else (order_by,)
        statement = select(self.model).where(*where).order_by(*ordering).offset(offset).limit(limit)
        return (await self.db_session.exec(statement)).all()

    async def add(self, row: ModelT) -> ModelT:
        """Insert (or update) ``row`` and flush, so database defaults and errors show now.

        What the database sets itself (a ``server_default`` on insert, a ``server_onupdate``)
        SQLAlchemy marks expired at the flush; those are read back at once, as an async session
        cannot load them on access. An update that expires nothing (no such column) needs no
        read back: one round trip less. A column that a trigger sets must say so
        (``server_onupdate=FetchedValue()``) to be read back.
        """
        self.db_session.add(row)
        await self.db_session.flush()
        if instance_state(row).expired_attributes:
            await self.db_session.refresh(row)
        return row

    async def update(self, row: ModelT, **changes: Any) -> ModelT:
        for field, value in changes.items():
            setattr(row, field, value)
        return await self.add(row)

    async def delete(self, row: ModelT) -> None:
        await self.db_session.delete(row)
        await self.db_session.flush()

    async def delete_where(self, *where: Condition) -> int:
        """Delete every row that meets the conditions in one statement; how many there were.

        Rows of this model already in the session are not told (as with any bulk DELETE): use
        it for rows the unit has not loaded, or ``delete`` them one by one.
        """
        if not where:
            raise ValueError("delete_where() needs a condition: it would delete every row")
        # SQLModel types a column comparison as bool, which SQLAlchemy's delete() does not take.
        statement = sql_delete(self.model).where(*where)  # type: ignore[arg-type]
        result = await self.db_session.exec(statement)
        return int(getattr(result, "rowcount", 0))


class VectorRepository(Repository[ModelT, IdT]):
    """A repository of a ``VectorModel``: the same methods, on the vector database's session."""

    @property
    def db_session(self) -> AsyncSession:
        try:
            return vector_db_session.get()
        except LookupError:
            raise NoVectorDatabaseSessionError() from None
