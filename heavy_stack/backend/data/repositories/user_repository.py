from __future__ import annotations

from heavy import Repository
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from heavy_stack.backend.data.sql_models.user import SQLUser
from heavy_stack.shared_models.user import UserId


class UserRepository(Repository[SQLUser, UserId]):
    """``users`` rows: inserts that race on the unique e-mail (the rest comes from the base)."""

    async def add_unless_email_taken(self, row: SQLUser) -> SQLUser:
        """Insert ``row`` unless its e-mail exists; return the stored row either way.

        Safe when two sessions race to create the same user (no unique-violation error). Where
        the row most often exists already, read it first (``get_unique``, no transaction): this
        insert, its BEGIN and COMMIT, only when it is missing.
        """
        statement = insert(SQLUser).values(row.model_dump()).on_conflict_do_nothing(index_elements=["email"])
        await self.db_session.exec(statement)
        stored = await self.get_unique(SQLUser.email, row.email)
        assert stored is not None, "the row exists: inserted now or by the other session"
        return stored

    async def add_if_email_free(self, row: SQLUser) -> SQLUser | None:
        """Insert ``row``; None if its e-mail is taken (no unique-violation error, even in a race)."""
        statement = (
            insert(SQLUser)
            .values(row.model_dump())
            .on_conflict_do_nothing(index_elements=["email"])
            .returning(col(SQLUser.id))
        )
        if (await self.db_session.exec(statement)).first() is None:
            return None
        return await self.get(row.id)
