"""``ModelMunger``: turns what a repository returns into what the caller wants.

Write one only where the shared model differs from the row; ``FieldsMunger`` (same names) and
``IdentityMunger`` (the row itself) cover the rest, and a ``Manager`` picks them by itself.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar, Generic, TypeVar

from heavy.data.generics import generic_argument
from pydantic import BaseModel

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


class FieldsMunger(ModelMunger[TargetT, Any]):
    """The output model read from the row's attributes of the same names, and validated.

    What a ``Manager`` uses when it is given an output model (``Manager(SQLInvoice, Invoice)``)
    instead of a munger: a munger is written only where the shared model differs from the row
    (a field named otherwise, a value computed). Validation converts what the model asks for
    (a stored string to an enum); a munger that must be faster can use ``model_construct``.
    """

    def __init__(self, target: type[TargetT], source: type[Any]) -> None:
        if not (isinstance(target, type) and issubclass(target, BaseModel)):
            raise TypeError(f"{target!r} is not a pydantic model: write a ModelMunger for it")
        missing = [name for name in target.model_fields if not hasattr(source, name)]
        if missing:
            raise TypeError(
                f"{source.__name__} has no {', '.join(missing)} for {target.__name__}: write a "
                f"ModelMunger[{target.__name__}, {source.__name__}] that says where they come from"
            )
        self.target = target
        self.source = source

    def to_model(self, source: Any) -> TargetT:
        made: TargetT = self.target.model_validate(source, from_attributes=True)  # type: ignore[attr-defined]
        return made


def munger_for(
    output: ModelMunger[TargetT, Any] | type[TargetT], model: type[Any]
) -> ModelMunger[TargetT, Any]:
    """``output`` itself if it is a munger; the row itself if it is the model (or a base of it);
    else a ``FieldsMunger`` to it."""
    if isinstance(output, ModelMunger):
        return output
    if isinstance(output, type) and issubclass(model, output):
        return IdentityMunger()
    return FieldsMunger(output, model)
