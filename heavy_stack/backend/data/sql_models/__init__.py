"""Every table of the SQL database. Import a new model here so metadata and migrations see it."""

from heavy_stack.backend.data.sql_models.base import HeavyModel
from heavy_stack.backend.data.sql_models.note import SQLNote
from heavy_stack.backend.data.sql_models.password_credential import SQLPasswordCredential
from heavy_stack.backend.data.sql_models.rate_limit_counter import SQLRateLimitCounter
from heavy_stack.backend.data.sql_models.user import SQLUser
from heavy_stack.backend.data.sql_models.user_session import SQLUserSession

__all__ = [
    "HeavyModel",
    "SQLNote",
    "SQLPasswordCredential",
    "SQLRateLimitCounter",
    "SQLUser",
    "SQLUserSession",
]
