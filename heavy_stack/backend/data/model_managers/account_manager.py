from __future__ import annotations

from heavy import Manager, Repository, TargetT, utc_now

from heavy_stack.backend.data.model_managers.user_manager import (
    UserNotFoundError,
    checked_email,
    clean_display_name,
    normalize_email,
)
from heavy_stack.backend.data.repositories.user_repository import UserRepository
from heavy_stack.backend.data.sql_models.password_credential import SQLPasswordCredential
from heavy_stack.backend.data.sql_models.user import SQLUser
from heavy_stack.shared_models.user import UserId


class AccountManager(Manager[SQLUser, TargetT]):
    """Users who sign in with a password: a ``users`` row and its ``password_credentials`` row.

    Hashing is not done here (it is slow on purpose and runs off the event loop, see
    ``backend/accounts/passwords.py``): this manager stores and finds hashes.
    """

    not_found = UserNotFoundError
    # Repositories hold no state: one serves every call. Credentials need no queries of their own.
    repository = UserRepository()
    credentials: Repository[SQLPasswordCredential, UserId] = Repository(SQLPasswordCredential)

    async def create(self, email: str, display_name: str, password_hash: str) -> TargetT | None:
        """A new user with this password hash; None if the e-mail already has an account."""
        row = SQLUser(email=checked_email(email), display_name=clean_display_name(display_name))
        user = await self.repository.add_if_email_free(row)
        if user is None:
            return None
        await self.credentials.add(SQLPasswordCredential(user_id=user.id, password_hash=password_hash))
        return self.output(user)

    async def find_with_password_hash(self, email: str) -> tuple[TargetT, str] | None:
        """The user with this e-mail and the hash to check a password against, if both exist."""
        user = await self.repository.get_unique(SQLUser.email, normalize_email(email))
        credential = None if user is None else await self.credentials.get(user.id)
        if user is None or credential is None:
            return None
        return self.output(user), credential.password_hash

    async def mark_email_verified(self, user_id: UserId, email: str) -> bool:
        """Record that the user opened a link sent to ``email``; False if their address has
        changed since (the link verified another address) or the user is gone."""
        user = await self.repository.get(user_id)
        if user is None or user.email != normalize_email(email):
            return False
        if user.email_verified_at is None:
            await self.repository.update(user, email_verified_at=utc_now())
        return True

    async def delete(self, user_id: UserId) -> None:
        """Delete the user and, by the foreign keys' ON DELETE CASCADE in the same statement,
        every row that references them: notes, password credentials, sessions, e-mailed tokens."""
        await self.repository.delete_where(SQLUser.id == user_id)

    async def replace_password_hash(self, user_id: UserId, password_hash: str) -> None:
        """Store a new hash (a new password, or the same one hashed with stronger parameters)."""
        credential = self.found(await self.credentials.get(user_id), f"password of user {user_id}")
        await self.credentials.update(credential, password_hash=password_hash, updated_at=utc_now())
