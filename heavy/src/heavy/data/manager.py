"""``Manager`` and ``CrudManager``: business logic around one model, returning what its munger makes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast, overload

from heavy.data.generics import generic_argument
from heavy.data.munger import ModelMunger, munger_for
from heavy.data.repository import Condition, Ordering, Repository
from sqlmodel import SQLModel

TargetT = TypeVar("TargetT")
RowT = TypeVar("RowT", bound=SQLModel)
FoundT = TypeVar("FoundT")


class NotFoundError(LookupError):
    """No row with that key (or none the caller may see). Managers name their own subclass."""


class Manager(Generic[RowT, TargetT]):
    """Business rules around one model; every result goes out through the munger.

    Name the model once, in the generic arguments, and stay generic in what is returned, so the
    caller picks the shape by what it passes: a munger, or an output model whose fields the
    row has under the same names (``FieldsMunger``), or the model itself (the rows)::

        class InvoiceManager(Manager[SQLInvoice, TargetT]):
            not_found = InvoiceNotFoundError
            repository = InvoiceRepository()  # only for queries of its own

            async def pay(self, invoice_id: InvoiceId) -> TargetT:
                row = await self.require_row(invoice_id)
                return self.output(await self.repository.update(row, paid=True))

        invoices = InvoiceManager(Invoice)

    Reads come with the base: ``get`` and ``require`` by key, ``list`` by any columns. Writes
    are the subclass's, where its rules are (``CrudManager`` adds them by key for a table with
    no rules). A munger for another model is refused when the manager is built, not on the
    first query. ``Manager(SQLInvoice, Invoice)`` makes one for a model with no class of its own.
    """

    model: type[Any]  # the model of the generic arguments (a subclass's) or of the constructor
    # The model's generic repository unless a subclass names one of its own (a class attribute).
    repository: Repository[RowT, Any]
    not_found: ClassVar[type[LookupError]] = NotFoundError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if (model := generic_argument(cls, 0, SQLModel)) is not None:
            cls.model = model

    @overload
    def __init__(self, output: ModelMunger[TargetT, Any] | type[TargetT], /) -> None: ...

    @overload
    def __init__(self, model: type[RowT], output: ModelMunger[TargetT, Any] | type[TargetT], /) -> None: ...

    def __init__(self, *arguments: Any) -> None:
        if len(arguments) == 2:
            model, output = arguments
        elif len(arguments) == 1 and hasattr(self, "model"):
            model, output = self.model, arguments[0]
        else:
            raise TypeError(f"{type(self).__name__} needs (model, output) or a model in its generics")
        if not (isinstance(model, type) and issubclass(model, SQLModel)):
            raise TypeError(f"{type(self).__name__} manages SQL models, not {model!r}")
        source = getattr(type(output), "source_type", None) if isinstance(output, ModelMunger) else None
        if source is not None and not issubclass(model, source):
            raise TypeError(
                f"{type(self).__name__} manages {model.__name__}, but "
                f"{type(output).__name__} converts from {source.__name__}"
            )
        if not isinstance(output, ModelMunger | type):
            raise TypeError(f"{type(self).__name__} needs a ModelMunger or an output model, got {output!r}")
        self.model = model
        self.munger: ModelMunger[TargetT, Any] = munger_for(output, model)
        if not hasattr(self, "repository"):
            self.repository = Repository(cast("type[RowT]", model))
        elif self.repository.model is not model:
            raise TypeError(f"{type(self).__name__}.repository reads {self.repository.model.__name__}")

    async def get(self, id_: Any) -> TargetT | None:
        """The row with this key, converted; None if there is none."""
        return self.output_or_none(await self.repository.get(id_))

    async def require(self, id_: Any) -> TargetT:
        """The row with this key, converted; ``not_found`` if there is none."""
        return self.output(await self.require_row(id_))

    async def list(
        self, *where: Condition, order_by: Ordering = (), offset: int = 0, limit: int | None = 100
    ) -> Sequence[TargetT]:
        """The rows that meet every condition (``SQLNote.owner_id == owner_id``), converted."""
        rows = await self.repository.list(*where, order_by=order_by, offset=offset, limit=limit)
        return self.outputs(rows)

    async def require_row(self, id_: Any) -> RowT:
        """The row itself, for a change; ``not_found`` if there is none."""
        return self.found(await self.repository.get(id_), f"{self.model.__name__} {id_}")

    def found(self, row: FoundT | None, what: str) -> FoundT:
        """``row``, or ``not_found`` naming ``what`` was looked for: the one "or raise"."""
        if row is None:
            raise self.not_found(f"No {what}")
        return row

    def output(self, row: Any) -> TargetT:
        return self.munger.to_model(row)

    def output_or_none(self, row: Any | None) -> TargetT | None:
        return None if row is None else self.munger.to_model(row)

    def outputs(self, rows: Iterable[Any]) -> Sequence[TargetT]:
        return self.munger.to_models(rows)


class CrudManager(Manager[RowT, TargetT]):
    """A ``Manager`` that also writes by key, for a table whose writes follow no rule of its own::

        invoices = CrudManager(SQLInvoice, Invoice)
        created = await invoices.add(SQLInvoice(name="First"))
        await invoices.update(created.id, name="Second")
        await invoices.delete(created.id)

    ``update`` and ``delete`` raise the manager's ``not_found`` for a key with no row.
    """

    async def add(self, row: RowT) -> TargetT:
        """Insert ``row`` (database defaults and errors show now); it converted."""
        return self.output(await self.repository.add(row))

    async def update(self, id_: Any, **changes: Any) -> TargetT:
        """Set these columns of the row with this key; the row converted."""
        return self.output(await self.repository.update(await self.require_row(id_), **changes))

    async def delete(self, id_: Any) -> None:
        await self.repository.delete(await self.require_row(id_))
