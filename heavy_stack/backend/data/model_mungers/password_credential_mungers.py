from __future__ import annotations

from heavy import IdentityMunger

from heavy_stack.backend.data.sql_models.password_credential import SQLPasswordCredential


class SQLPasswordCredentialMunger(IdentityMunger[SQLPasswordCredential]):
    """The row itself: a password hash never leaves the backend in a shared model."""
