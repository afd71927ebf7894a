"""Every table of the SQL database. Import a new model here so metadata and migrations see it."""

from heavy_stack.backend.data.sql_models.base import HeavyModel
from heavy_stack.backend.data.sql_models.user import SQLUser

__all__ = ["HeavyModel", "SQLUser"]
