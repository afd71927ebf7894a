"""``BaseManager``: business logic around one SQL model, returning what its munger makes."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from heavy_stack.backend.data.model_mungers.base import ModelMunger

TargetT = TypeVar("TargetT")


class BaseManager(Generic[TargetT]):
    """Holds the munger that shapes every result; subclasses own their repositories.

    ``sql_model`` names the model the munger must convert from; a munger for another model is
    refused when the manager is built, not on the first query.
    """

    sql_model: ClassVar[type[Any]]

    def __init__(self, munger: ModelMunger[TargetT, Any]) -> None:
        if not isinstance(munger, ModelMunger):
            raise TypeError(f"{type(self).__name__} needs a ModelMunger instance, got {munger!r}")
        source = type(munger).source_type
        if source is not None and not issubclass(self.sql_model, source):
            raise TypeError(
                f"{type(self).__name__} manages {self.sql_model.__name__}, but "
                f"{type(munger).__name__} converts from {source.__name__}"
            )
        self.munger = munger
