from __future__ import annotations

import hashlib
from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from heavy import Manager, NotFoundError, TargetT, current_language
from heavy import gettext as t
from sqlmodel import col

from heavy_stack.backend.data.model_managers.note_manager import IDS_PER_STATEMENT
from heavy_stack.backend.data.repositories.user_repository import UserRepository
from heavy_stack.backend.data.sql_models.user import DISPLAY_NAME_MAX_LENGTH, SQLUser
from heavy_stack.shared_models.user import UserId

DEMO_USER_EMAIL = "demo@example.com"
DEMO_USER_NAME = "Demo User"


class UserNotFoundError(NotFoundError):
    """No user with that id."""


class UserManager(Manager[SQLUser, TargetT]):
    """Users: lookup, creation and renaming, with e-mail addresses kept in one form."""

    not_found = UserNotFoundError
    repository = UserRepository()

    async def get_by_email(self, email: str) -> TargetT | None:
        return self.output_or_none(await self.repository.get_unique(SQLUser.email, normalize_email(email)))

    async def existing_ids(self, user_ids: Sequence[UserId]) -> set[UserId]:
        """Those of ``user_ids`` that still have an account."""
        found: set[UserId] = set()
        for start in range(0, len(user_ids), IDS_PER_STATEMENT):
            chunk = list(user_ids[start : start + IDS_PER_STATEMENT])
            rows = await self.repository.list(col(SQLUser.id).in_(chunk), limit=None)
            found.update(row.id for row in rows)
        return found

    async def create(self, email: str, display_name: str) -> TargetT:
        row = SQLUser(email=checked_email(email), display_name=clean_display_name(display_name))
        return self.output(await self.repository.add(row))

    async def rename(self, user_id: UserId, display_name: str) -> TargetT:
        """Give the user a new display name; ValueError (a message for the user) if it is unusable."""
        name = clean_display_name(display_name)
        row = await self.require_row(user_id)
        return self.output(await self.repository.update(row, display_name=name))

    async def get_or_create_demo_user(self, browser_binding: str | None = None) -> TargetT:
        """The demo user an anonymous visitor sees and may rename: one per browser (by its
        binding cookie), so no visitor can change what another sees; clients without the
        cookie (scripts, load tests) share the one at ``DEMO_USER_EMAIL``."""
        email = demo_user_email(browser_binding)
        row = await self.repository.get_unique(SQLUser.email, email)  # every visit after the first
        if row is None:
            new_row = SQLUser(email=email, display_name=DEMO_USER_NAME)
            row = await self.repository.add_unless_email_taken(new_row)
        return self.output(row)


def demo_user_email(browser_binding: str | None) -> str:
    """The address of a browser's own demo user (the binding itself is a secret: hashed)."""
    if browser_binding is None:
        return DEMO_USER_EMAIL
    digest = hashlib.sha256(browser_binding.encode()).hexdigest()[:20]
    local, _, domain = DEMO_USER_EMAIL.partition("@")
    return f"{local}+{digest}@{domain}"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def checked_email(email: str) -> str:
    """The address in its stored form; ValueError (a message for the user) if it is not one.

    The managers' writes of ``users.email`` go through here (a demo user's address is one by
    construction), so a row read back needs no check (``UserMunger``).
    """
    address = normalize_email(email)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(t("Enter an e-mail address such as ada@example.com.")) from None
    return address


def clean_display_name(display_name: str) -> str:
    """The name without surrounding spaces; ValueError (a message for the user) if unusable."""
    name = display_name.strip()
    if not name:
        raise ValueError(t("A display name cannot be empty."))
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        number = current_language().format_number
        raise ValueError(
            t("A display name has at most {limit} characters; this one has {length}.").format(
                limit=number(DISPLAY_NAME_MAX_LENGTH), length=number(len(name))
            )
        )
    return name
