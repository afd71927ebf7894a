"""``ModelMunger``: turns what a repository returns into what the caller wants."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar, Generic, TypeVar

from heavy.data.generics import generic_argument

TargetT = TypeVar("TargetT")
SourceT = TypeVar("SourceT")


class ModelMunger(ABC, Generic[TargetT, SourceT]):
    """Convert a SQL model (``SourceT``) into an output model (``TargetT``).

    Subclass with concrete types, ``class UserMunger(ModelMunger[User, SQLUser])``; the source
    type is recorded so a manager can check it was given a munger for its own model.

    A row's values were checked when they were written (the manager's checks, the column
    types), so ``to_model`` may build its output without validating them again, with
    ``Model.model_construct`` (as ``UserMunger`` does: an ``EmailStr`` check per read costs
    more than the rest of the munger). Validate what no write checked.
    """

    source_type: ClassVar[type[Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if (source := generic_argument(cls, -1, object)) is not None:
            cls.source_type = source

    @abstractmethod
    def to_model(self, source: SourceT) -> TargetT: ...

    def to_models(self, sources: Iterable[SourceT]) -> list[TargetT]:
        return [self.to_model(source) for source in sources]


class IdentityMunger(ModelMunger[SourceT, SourceT]):
    """Hands the SQL model back unchanged, for callers that want the row itself."""

    def to_model(self, source: SourceT) -> SourceT:
        return source
