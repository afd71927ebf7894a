"""``VectorModel``: the base class of tables in the vector database (pgvector)."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from heavy_stack.backend.data.sql_models.base import NAMING_CONVENTION, HeavyModelMeta


class VectorModel(SQLModel, metaclass=HeavyModelMeta):
    """Like ``HeavyModel`` (``table=True`` and ``__tablename__`` required), on its own metadata:
    these tables live in the vector database, and alembic's migrations leave them alone."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
