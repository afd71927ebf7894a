from __future__ import annotations

from heavy import SQLRepositoryBase

from heavy_stack.backend.data.sql_models.password_credential import SQLPasswordCredential
from heavy_stack.shared_models.user import UserId


class PasswordCredentialRepository(SQLRepositoryBase[SQLPasswordCredential, UserId]):
    """``password_credentials`` rows, by user id: get, add and update come from the base."""
