"""The session and rate-limit stores: one contract, checked on PostgreSQL and on a real Redis.

The Redis half runs when a ``redis-server`` binary is installed (Debian: ``apt-get install -y
redis-server``); it starts a throwaway server on a free port. Without one it is skipped.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from heavy import utc_now
from heavy.testing.cluster import MissingProgramError, find_program, redis_server
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.model_managers.registry import managers
from heavy_stack.backend.services.accounts.stores import AccountStores
from heavy_stack.settings import Settings
from heavy_stack.shared_models.user import UserId
from heavy_stack.shared_models.user_session import SessionPurpose, UserSession


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        find_program("redis-server", "redis-server")
    except MissingProgramError:
        pytest.skip("no redis-server installed (apt-get install -y redis-server): Redis stores not tested")
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["postgresql", "redis"])
async def stores(request: pytest.FixtureRequest, db_session: AsyncSession) -> AsyncIterator[AccountStores]:
    if request.param == "postgresql":
        yield AccountStores()
        return
    url = request.getfixturevalue("redis_url")
    opened = AccountStores.open(Settings(_env_file=None, redis_url=url))
    for _ in range(50):  # the server may still be starting
        try:
            await opened.redis.ping()  # type: ignore[union-attr]
            break
        except OSError:
            await asyncio.sleep(0.1)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def user_id(db_session: AsyncSession) -> UserId:
    # Sessions reference users in PostgreSQL.
    return (await managers().users.create(f"{uuid.uuid4().hex}@example.com", "Ada")).id


def session_of(user_id: UserId, lifetime: timedelta = timedelta(hours=1)) -> UserSession:
    return UserSession(user_id=user_id, purpose=SessionPurpose.SIGNED_IN, expires_at=utc_now() + lifetime)


async def test_a_saved_session_is_found_by_its_digest(stores: AccountStores, user_id: UserId) -> None:
    session = session_of(user_id).model_copy(update={"device": "Firefox 133 (Windows)"})
    before = utc_now()
    await stores.sessions.save("digest-1", session)
    found = await stores.sessions.get("digest-1")
    assert found is not None
    assert found.model_copy(update={"created_at": None, "last_seen_at": None}) == session
    assert found.last_seen_at is not None
    assert found.last_seen_at >= before
    assert await stores.sessions.get("another-digest") is None


async def test_an_expired_session_does_not_exist(stores: AccountStores, user_id: UserId) -> None:
    await stores.sessions.save("digest-2", session_of(user_id, timedelta(milliseconds=100)))
    await asyncio.sleep(0.3)
    assert await stores.sessions.get("digest-2") is None
    assert await stores.sessions.take("digest-2") is None


async def test_take_returns_a_session_once(stores: AccountStores, user_id: UserId) -> None:
    await stores.sessions.save("digest-3", session_of(user_id))
    assert await stores.sessions.take("digest-3") is not None
    assert await stores.sessions.take("digest-3") is None
    assert await stores.sessions.get("digest-3") is None


async def test_delete_and_delete_all(stores: AccountStores, user_id: UserId) -> None:
    for digest in ("digest-4", "digest-5", "digest-6"):
        await stores.sessions.save(digest, session_of(user_id))
    await stores.sessions.delete("digest-4")
    assert await stores.sessions.get("digest-4") is None
    assert await stores.sessions.get("digest-5") is not None
    await stores.sessions.delete_all(user_id)
    assert await stores.sessions.get("digest-5") is None
    assert await stores.sessions.get("digest-6") is None


async def test_counters_count_within_a_window_and_start_again_after_it(stores: AccountStores) -> None:
    key, window = f"test:{uuid.uuid4().hex}", timedelta(milliseconds=500)
    counts = [(await stores.rate_limits.add(key, window)).count for _ in range(3)]
    assert counts == [1, 2, 3]
    given_back = await stores.rate_limits.add(key, window, amount=-1)
    assert given_back.count == 2
    assert utc_now() < given_back.window_ends_at <= utc_now() + window
    await asyncio.sleep(0.6)
    assert (await stores.rate_limits.add(key, window)).count == 1
    await stores.rate_limits.reset(key)
    assert (await stores.rate_limits.add(key, window)).count == 1


async def test_housekeeping_forgets_expired_sessions_and_counters(
    stores: AccountStores, user_id: UserId
) -> None:
    await stores.sessions.save("digest-7", session_of(user_id, timedelta(milliseconds=50)))
    await stores.sessions.save("digest-8", session_of(user_id))
    await stores.rate_limits.add(f"test:{uuid.uuid4().hex}", timedelta(milliseconds=50))
    await asyncio.sleep(0.1)
    forgotten = await stores.sessions.delete_expired() + await stores.rate_limits.delete_expired()
    # PostgreSQL deletes the rows now; Redis has already let the keys expire by itself.
    assert forgotten >= (2 if stores.redis is None else 0)
    assert await stores.sessions.get("digest-8") is not None


async def test_a_users_sessions_are_listed_most_recently_seen_first(
    stores: AccountStores, user_id: UserId
) -> None:
    for digest in ("digest-a", "digest-b", "digest-c"):
        await stores.sessions.save(digest, session_of(user_id))
    await stores.sessions.seen("digest-b", utc_now() + timedelta(minutes=1))
    await stores.sessions.delete("digest-c")
    listed = [digest for digest, _session in await stores.sessions.list_signed_in(user_id)]
    assert listed == ["digest-b", "digest-a"]


async def test_an_ended_session_leaves_a_mark_that_signs_nobody_in(
    stores: AccountStores, user_id: UserId
) -> None:
    for digest in ("digest-d", "digest-e", "digest-f"):
        await stores.sessions.save(digest, session_of(user_id))
    await stores.sessions.mark_ended("digest-d", SessionPurpose.ENDED)
    await stores.sessions.mark_ended("digest-e", SessionPurpose.RESET)
    await stores.sessions.delete("digest-f")  # signed out: no mark
    marked = await stores.sessions.ended_among(["digest-d", "digest-e", "digest-f", "unknown"])
    assert marked == {"digest-d": SessionPurpose.ENDED, "digest-e": SessionPurpose.RESET}
    mark = await stores.sessions.get("digest-d")
    assert mark is not None
    assert mark.purpose is SessionPurpose.ENDED
    assert await stores.sessions.list_signed_in(user_id) == []
