"""Password hashing with argon2id (``argon2-cffi``), run off the event loop.

A hash costs tens of milliseconds of CPU on purpose; done on the event loop it would freeze
every other connection meanwhile, so hashing and checking run in a worker thread.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from heavy import gettext as t

MIN_PASSWORD_LENGTH = 10
# Long enough for any passphrase or password manager; short enough to bound the work per try.
MAX_PASSWORD_LENGTH = 256


# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 50 ms of one
# core per hash. argon2-cffi's default (RFC 9106's 64 MiB, 3 passes, 4 lanes) costs 10 times
# that on a 2-core server, where every sign-in would then hold a core for most of a second.
# The parameters are written into each hash: raise them later and each password is rehashed
# at its next sign-in.
HASH_TIME_COST = 2
HASH_MEMORY_KIB = 19 * 1024
HASH_PARALLELISM = 1


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=HASH_TIME_COST, memory_cost=HASH_MEMORY_KIB, parallelism=HASH_PARALLELISM)


@cache
def _stand_in_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, for the person choosing it; None if it will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return t("Choose a password of at least {count} characters.").format(count=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return t("Choose a password of at most {count} characters.").format(count=MAX_PASSWORD_LENGTH)
    return None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher().hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; a malformed hash is a mismatch, not an error."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    return await asyncio.to_thread(_verify, password_hash, password)


async def spend_a_verification(password: str) -> None:
    """Check ``password`` against a stand-in hash, for an e-mail without an account.

    Answering "no such account" faster than "wrong password" would tell an attacker which
    e-mail addresses have accounts; this makes both answers cost the same.
    """
    await asyncio.to_thread(lambda: _verify(_stand_in_hash(), password[:MAX_PASSWORD_LENGTH]))


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    return _hasher().check_needs_rehash(password_hash)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
