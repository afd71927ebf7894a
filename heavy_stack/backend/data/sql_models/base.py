"""``HeavyModel``: the base class of every table, which refuses a table it cannot see."""

from __future__ import annotations

from typing import Any

from heavy import utc_now
from sqlalchemy import DateTime, MetaData
from sqlmodel import Field, SQLModel
from sqlmodel.main import SQLModelMetaclass

# Named constraints keep migrations reviewable and portable (PostgreSQL and CockroachDB).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class HeavyModelDefinitionError(TypeError):
    """A ``HeavyModel`` subclass is missing ``table=True`` or ``__tablename__``."""


class HeavyModelMeta(SQLModelMetaclass):
    """Checks every table class of ``HeavyModel`` (and ``VectorModel``) when it is defined."""

    def __new__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> Any:
        if any(isinstance(base, HeavyModelMeta) for base in bases):
            _check_table_definition(name, namespace, kwargs)
        return super().__new__(cls, name, bases, namespace, **kwargs)


def _check_table_definition(name: str, namespace: dict[str, Any], kwargs: dict[str, Any]) -> None:
    if kwargs.get("table") is not True:
        wrong = [key for key in kwargs if key.lower() == "table" and key != "table"]
        hint = f" (found {wrong[0]}=..., which SQLModel ignores)" if wrong else ""
        raise HeavyModelDefinitionError(
            f"{name} subclasses HeavyModel but is not a table{hint}: declare it as "
            f"`class {name}(HeavyModel, table=True)`. For a model that is not a table, "
            "subclass pydantic.BaseModel or SQLModel instead."
        )
    if "__tablename__" not in namespace:
        raise HeavyModelDefinitionError(
            f"{name} has no __tablename__: set it explicitly (plural snake_case, e.g. "
            '`__tablename__ = "invoices"`) so renaming the class never renames the table.'
        )


class HeavyModel(SQLModel, metaclass=HeavyModelMeta):
    """Base class of the app's tables in the SQL database.

    Subclasses must say ``table=True`` and set ``__tablename__``; anything else is refused when
    the class is defined. Values that are stored encrypted are encrypted and decrypted here, in
    the SQL model, and nowhere else.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def created_at_field() -> Any:
    """A timezone-aware creation timestamp, set by Python so every database agrees."""
    return Field(default_factory=utc_now, sa_type=DateTime(timezone=True), nullable=False)
