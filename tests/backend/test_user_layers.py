"""The worked User example through every layer: repository, mungers, manager; and the generic
layers (a repository, a manager and a munger no table has to write)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from heavy import CrudManager, FieldsMunger, IdentityMunger, ModelMunger, NotFoundError, Repository
from heavy.data.db_connection import Database
from heavy.data.repository import NoDatabaseSessionError
from pydantic import BaseModel, ConfigDict
from sqlalchemy import FetchedValue, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.model_managers.user_manager import DEMO_USER_EMAIL, UserManager
from heavy_stack.backend.data.model_mungers.user_mungers import UserMunger
from heavy_stack.backend.data.repositories.user_repository import UserRepository
from heavy_stack.backend.data.sql_models.user import SQLUser
from heavy_stack.shared_models.user import User, UserId


class _Scratch(SQLModel, registry=registry()):
    """Models of tables made inside a test's transaction (not the app's metadata)."""


class Stamped(_Scratch, table=True):
    id: int | None = Field(default=None, primary_key=True)
    label: str
    number: int = Field(
        default=None, sa_column_kwargs={"server_default": "7", "server_onupdate": FetchedValue()}
    )


@contextmanager
def statements_sent(session: AsyncSession) -> Iterator[list[str]]:
    """The SQL the session's connection sends meanwhile."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    engine = session.bind.engine.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


class TestUserRepository:
    async def test_add_then_get_reads_the_row_back(self, db_session: AsyncSession) -> None:
        users = UserRepository()
        added = await users.add(SQLUser(email="ada@example.com", display_name="Ada"))

        assert await users.get(added.id) == added
        assert await users.get_by(SQLUser.email == "ada@example.com") == added

    async def test_update_and_delete(self, db_session: AsyncSession) -> None:
        users = UserRepository()
        row = await users.add(SQLUser(email="bob@example.com", display_name="Bob"))

        await users.update(row, display_name="Robert")
        assert (await users.get(row.id)).display_name == "Robert"  # type: ignore[union-attr]
        await users.delete(row)
        assert await users.get(row.id) is None

    async def test_an_update_is_one_statement_with_no_read_back(self, db_session: AsyncSession) -> None:
        # users has no column the database sets itself: what was flushed is what is stored.
        users = UserRepository()
        row = await users.add(SQLUser(email="carol@example.com", display_name="Carol"))
        with statements_sent(db_session) as sent:
            await users.update(row, display_name="Caroline")
        assert [statement.split()[0] for statement in sent] == ["UPDATE"]
        db_session.expunge_all()
        assert (await users.get(row.id)).display_name == "Caroline"  # type: ignore[union-attr]

    @pytest.mark.parametrize("display_name", ["", "Ω" * 120])
    async def test_what_the_database_sets_itself_shows_at_once(
        self, db_session: AsyncSession, display_name: str
    ) -> None:
        # A column with a server default (and one a trigger would set, server_onupdate) is
        # expired by the flush: add reads it back, as an async session cannot load on access.
        connection = await db_session.connection()
        await connection.run_sync(Stamped.metadata.create_all)
        stamps = Repository(Stamped)
        row = await stamps.add(Stamped(label=display_name))
        assert (row.label, row.number) == (display_name, 7)
        await connection.exec_driver_sql("UPDATE stamped SET number = 8")
        with statements_sent(db_session) as sent:
            await stamps.update(row, label="again")
        assert [statement.split()[0] for statement in sent] == ["UPDATE", "SELECT"]
        assert (row.label, row.number) == ("again", 8)

    async def test_list_pages_through_rows(self, db_session: AsyncSession) -> None:
        users = UserRepository()
        for number in range(3):
            await users.add(SQLUser(email=f"list{number}@example.com", display_name=f"L{number}"))

        page = await users.list(offset=0, limit=2)
        assert len(page) == 2

    async def test_duplicate_email_is_refused_by_the_database(self, db_session: AsyncSession) -> None:
        users = UserRepository()
        await users.add(SQLUser(email="twice@example.com", display_name="One"))
        with pytest.raises(IntegrityError):
            await users.add(SQLUser(email="twice@example.com", display_name="Two"))

    async def test_without_a_session_the_error_says_where_database_access_belongs(self) -> None:
        with pytest.raises(NoDatabaseSessionError, match="heavy_use_effect or heavy_event"):
            await UserRepository().get(UserId(uuid.uuid4()))


class TestUserMungers:
    def test_user_munger_makes_the_shared_model(self) -> None:
        row = SQLUser(email="cy@example.com", display_name="Cy")
        user = UserMunger().to_model(row)

        assert user == User(
            id=row.id, email="cy@example.com", display_name="Cy", member_since=row.created_at.date()
        )

    def test_identity_munger_returns_the_row(self) -> None:
        row = SQLUser(email="cy@example.com", display_name="Cy")
        assert IdentityMunger[SQLUser]().to_model(row) is row


class TestUserManager:
    async def test_create_normalises_the_email_and_returns_the_munged_model(
        self, db_session: AsyncSession
    ) -> None:
        manager = UserManager(UserMunger())
        user = await manager.create("  Dee@Example.COM ", " Dee ")

        assert isinstance(user, User)
        assert (user.email, user.display_name) == ("dee@example.com", "Dee")
        assert await manager.get_by_email("DEE@example.com") == user

    async def test_an_address_that_is_not_one_is_refused_before_it_is_stored(
        self, db_session: AsyncSession
    ) -> None:
        # Checked when written: the munger trusts stored rows and does not check them again.
        manager = UserManager(UserMunger())
        with pytest.raises(ValueError, match="Enter an e-mail address"):
            await manager.create("not-an-address", "Nobody")
        assert await manager.get_by_email("not-an-address") is None

    async def test_the_munger_decides_what_comes_back(self, db_session: AsyncSession) -> None:
        row = await UserManager(SQLUser).create("eve@example.com", "Eve")
        assert isinstance(row, SQLUser)

    async def test_rename(self, db_session: AsyncSession) -> None:
        manager = UserManager(UserMunger())
        user = await manager.create("fay@example.com", "Fay")

        renamed = await manager.rename(user.id, "Fay Wray")
        assert renamed.display_name == "Fay Wray"
        with pytest.raises(LookupError):
            await manager.rename(UserId(uuid.uuid4()), "Nobody")

    def test_a_munger_for_another_model_is_refused(self) -> None:
        class NotAUserMunger(ModelMunger[str, int]):
            def to_model(self, source: int) -> str:
                return str(source)

        with pytest.raises(TypeError, match="UserManager manages SQLUser, but NotAUserMunger"):
            UserManager(NotAUserMunger())

    def test_something_that_is_not_a_munger_is_refused(self) -> None:
        with pytest.raises(TypeError, match="needs a ModelMunger or an output model"):
            UserManager(lambda row: row)  # type: ignore[call-overload]

    async def test_demo_user_is_created_once_even_when_sessions_race(self, database: Database) -> None:
        async def fetch_demo_user() -> User:
            async with database.transaction():
                return await UserManager(UserMunger()).get_or_create_demo_user()

        users = await asyncio.gather(*(fetch_demo_user() for _ in range(5)))

        assert {user.id for user in users} == {users[0].id}
        assert users[0].email == DEMO_USER_EMAIL


class UserCard(BaseModel):
    """A shared model whose fields the row has under the same names: no munger to write."""

    model_config = ConfigDict(frozen=True)

    id: UserId
    display_name: str


class TestGenericLayers:
    async def test_a_crud_manager_needs_no_class_repository_or_munger(self, db_session: AsyncSession) -> None:
        cards = CrudManager(SQLUser, UserCard)

        card = await cards.add(SQLUser(email="gus@example.com", display_name="Gus"))
        assert card == UserCard(id=card.id, display_name="Gus")
        assert await cards.get(card.id) == card
        assert await cards.update(card.id, display_name="Gustav") == UserCard(
            id=card.id, display_name="Gustav"
        )
        await cards.delete(card.id)
        assert await cards.get(card.id) is None
        with pytest.raises(NotFoundError):
            await cards.delete(card.id)

    async def test_list_by_conditions_in_order(self, db_session: AsyncSession) -> None:
        cards = CrudManager(SQLUser, UserCard)
        for name in ("Hal B", "Hal A", "Ida"):
            await cards.add(SQLUser(email=f"{name.replace(' ', '.')}@example.com", display_name=name))

        hals = await cards.list(
            col(SQLUser.display_name).startswith("Hal"), order_by=col(SQLUser.display_name)
        )
        assert [card.display_name for card in hals] == ["Hal A", "Hal B"]
        assert len(await cards.list(col(SQLUser.display_name).startswith("Hal"), limit=1)) == 1

    async def test_delete_where_deletes_in_one_statement(self, db_session: AsyncSession) -> None:
        users = Repository(SQLUser)
        for number in range(2):
            await users.add(SQLUser(email=f"gone{number}@example.com", display_name="Gone"))

        assert await users.delete_where(SQLUser.display_name == "Gone") == 2
        assert await users.get_by(SQLUser.display_name == "Gone") is None
        with pytest.raises(ValueError, match="needs a condition"):
            await users.delete_where()

    def test_an_output_model_with_a_field_the_row_lacks_asks_for_a_munger(self) -> None:
        class Profile(BaseModel):
            id: UserId
            member_since: str

        with pytest.raises(TypeError, match="SQLUser has no member_since for Profile: write a ModelMunger"):
            CrudManager(SQLUser, Profile)

    def test_the_row_class_as_output_gives_the_rows(self) -> None:
        assert isinstance(CrudManager(SQLUser, SQLUser).munger, IdentityMunger)
        assert isinstance(CrudManager(SQLUser, UserCard).munger, FieldsMunger)
