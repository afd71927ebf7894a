"""Every table of the SQL database: each module of this folder is imported here, so metadata,
migrations and paving see a new table by its module being here (no line to add)."""

from heavy import import_submodules

from heavy_stack.backend.data.sql_models.base import HeavyModel

import_submodules(__name__)

__all__ = ["HeavyModel"]
