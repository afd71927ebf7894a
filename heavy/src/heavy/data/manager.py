"""``BaseManager``: business logic around one repository, returning what its munger makes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from heavy.data.generics import generic_argument
from heavy.data.munger import ModelMunger
from heavy.data.repository import SQLRepositoryBase

TargetT = TypeVar("TargetT")
RepositoryT = TypeVar("RepositoryT", bound=SQLRepositoryBase[Any, Any])
RowT = TypeVar("RowT")


class NotFoundError(LookupError):
    """No row with that key (or none the caller may see). Managers name their own subclass."""


class BaseManager(Generic[RepositoryT, TargetT]):
    """Business rules around one repository; every result goes out through the munger.

    Name the repository once, in the generic arguments; the manager stays generic in what it
    returns, so the caller picks the shape by the munger it passes::

        class InvoiceManager(BaseManager[InvoiceRepository, TargetT]):
            not_found = InvoiceNotFoundError

            async def pay(self, invoice_id: InvoiceId) -> TargetT:
                row = await self.require_row(invoice_id)
                return self.output(await self.repository.update(row, paid=True))

    The munger must convert from the repository's model: another is refused when the manager is
    built, not on the first query. ``get``, ``require`` and ``list`` come with the base.
    """

    repository_type: ClassVar[type[SQLRepositoryBase[Any, Any]]]
    not_found: ClassVar[type[LookupError]] = NotFoundError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if (repository := generic_argument(cls, 0, SQLRepositoryBase)) is not None:
            cls.repository_type = repository

    def __init__(self, munger: ModelMunger[TargetT, Any]) -> None:
        if not isinstance(munger, ModelMunger):
            raise TypeError(f"{type(self).__name__} needs a ModelMunger instance, got {munger!r}")
        model = self.repository_type.model
        source = type(munger).source_type
        if source is not None and not issubclass(model, source):
            raise TypeError(
                f"{type(self).__name__} manages {model.__name__}, but "
                f"{type(munger).__name__} converts from {source.__name__}"
            )
        self.munger = munger
        self.repository: RepositoryT = self.repository_type()  # type: ignore[assignment]

    async def get(self, id_: Any) -> TargetT | None:
        """The row with this key, converted; None if there is none."""
        return self.output_or_none(await self.repository.get(id_))

    async def require(self, id_: Any) -> TargetT:
        """The row with this key, converted; ``not_found`` if there is none."""
        return self.output(await self.require_row(id_))

    async def list(self, *, offset: int = 0, limit: int = 100) -> Sequence[TargetT]:
        return self.outputs(await self.repository.list(offset=offset, limit=limit))

    async def require_row(self, id_: Any) -> Any:
        """The row itself, for a change; ``not_found`` if there is none."""
        return self.found(await self.repository.get(id_), f"{self.repository_type.model.__name__} {id_}")

    def found(self, row: RowT | None, what: str) -> RowT:
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
