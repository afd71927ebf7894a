"""``SQLRepositoryBase``: the only kind of code that touches a database session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from heavy.data.db_connection import db_session, vector_db_session
from heavy.data.generics import generic_argument
from heavy.data.key_read import KeyRead
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


# The read by primary key of each model (None: a composite key, left to ``Session.get``).
_key_reads: dict[type[Any], Any] = {}


class SQLRepositoryBase(Generic[ModelT, IdT]):
    """Create, read, update and delete one SQL model, in the current session.

    Name the model and its key type once, in the generic arguments, and add the queries the
    manager needs::

        class InvoiceRepository(SQLRepositoryBase[SQLInvoice, InvoiceId]):
            async def list_unpaid(self) -> Sequence[SQLInvoice]: ...

    Repositories hold no state (the session comes from the context variable), so one instance
    serves every request. Writes are flushed, not committed: the heavy wrappers commit once the
    handler returns.
    """

    model: ClassVar[type[Any]]  # the model of the generic arguments, set for each subclass

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if (model := generic_argument(cls, 0, SQLModel)) is not None:
            cls.model = model

    @property
    def db_session(self) -> AsyncSession:
        return current_db_session()

    async def get(self, id_: IdT) -> ModelT | None:
        """The row with this primary key, or None; as ``AsyncSession.get``, for less work.

        ``Session.get`` builds, annotates and keys a new SELECT at every call. When the session
        holds no row yet (the usual case: a handler's first read), the model's ``KeyRead``
        runs instead: a SELECT by key built once, sent past the ORM's per-statement work where
        that returns the same (see ``key_read.py``). The row is in the session as after
        ``Session.get``. A session that holds rows (and composite keys) goes through
        ``Session.get``, which looks in its identity map first.
        """
        session = self.db_session
        read = type(self)._key_read()
        if read is None or session.identity_map:
            return await session.get(self.model, id_)
        return await read.run(session, id_)

    @classmethod
    def _key_read(cls) -> KeyRead[ModelT] | None:
        # Built on first use (the mapper is complete by then), once per model.
        if cls.model not in _key_reads:
            _key_reads[cls.model] = KeyRead.of(cls.model)
        read: KeyRead[ModelT] | None = _key_reads[cls.model]
        return read

    async def list(self, *, offset: int = 0, limit: int = 100) -> Sequence[ModelT]:
        statement = select(self.model).offset(offset).limit(limit)
        return (await self.db_session.exec(statement)).all()

    async def add(self, row: ModelT) -> ModelT:
        """Insert (or update) ``row`` and flush, so database defaults and errors show now."""
        self.db_session.add(row)
        await self.db_session.flush()
        await self.db_session.refresh(row)
        return row

    async def update(self, row: ModelT, **changes: Any) -> ModelT:
        for field, value in changes.items():
            setattr(row, field, value)
        return await self.add(row)

    async def delete(self, row: ModelT) -> None:
        await self.db_session.delete(row)
        await self.db_session.flush()


class VectorRepositoryBase(SQLRepositoryBase[ModelT, IdT]):
    """A repository of a ``VectorModel``: the same methods, on the vector database's session."""

    @property
    def db_session(self) -> AsyncSession:
        try:
            return vector_db_session.get()
        except LookupError:
            raise NoVectorDatabaseSessionError() from None
