"""Publish/subscribe between live pages: delivery, bounds, the hook's lifetime, units of work, and
the two transports between processes (PostgreSQL on the test database, a throwaway Redis), with
their connection killed under them."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from heavy import (
    MAX_PAYLOAD_BYTES,
    HeavyContext,
    PostgresTransport,
    ProvidedServices,
    PubSub,
    RedisTransport,
    ServicesContext,
    TopicMessage,
    Transport,
    current_pubsub,
    heavy_event,
    heavy_use_state,
    heavy_use_topic,
    open_heavy_context,
    publish,
    using_pubsub,
)
from heavy.live.transports import CONNECT_SECONDS, asyncpg_dsn
from heavy.testing.cluster import redis_server
from heavy.testing.page_driver import InProcessPage
from reactpy import component, html
from redis.asyncio import Redis

from heavy_stack.backend.services.container import AppServices
from heavy_stack.frontend.types import Component


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - polling what the hub's tasks fill
            await asyncio.sleep(0.005)


def collector(into: list[TopicMessage]) -> Callable[[TopicMessage], None]:
    return into.append


# --- one process ------------------------------------------------------------------------------


async def test_subscribers_of_a_topic_get_its_messages_in_order_and_no_other() -> None:
    pubsub = PubSub()
    first: list[TopicMessage] = []
    second: list[TopicMessage] = []
    other: list[TopicMessage] = []
    pubsub.subscribe("note:1", collector(first))
    pubsub.subscribe("note:1", collector(second))
    pubsub.subscribe("note:2", collector(other))

    for payload in [{"saved": 1}, [1, "two", None], "three", 4.5, None]:
        await pubsub.publish("note:1", payload)
    await eventually(lambda: len(first) == 5 and len(second) == 5)

    assert [m.payload for m in first] == [{"saved": 1}, [1, "two", None], "three", 4.5, None]
    assert first == second
    assert not any(m.resync for m in first)
    assert other == []


async def test_a_closed_subscription_gets_nothing_and_is_freed() -> None:
    pubsub = PubSub()
    received: list[TopicMessage] = []
    subscription = pubsub.subscribe("t", collector(received))
    assert pubsub.subscriber_count("t") == 1

    subscription.close()
    await pubsub.publish("t", "after close")
    await asyncio.sleep(0.01)

    assert received == []
    assert pubsub.subscriber_count() == 0


async def test_a_subscriber_that_stops_reading_holds_a_bounded_queue_then_gets_a_resync() -> None:
    pubsub = PubSub(max_pending=8)
    stuck = asyncio.Event()
    received: list[TopicMessage] = []

    async def slow(message: TopicMessage) -> None:
        received.append(message)
        await stuck.wait()

    subscription = pubsub.subscribe("busy", slow)
    await pubsub.publish("busy", 0)
    await eventually(lambda: len(received) == 1)  # it took the first one, and is stuck there
    for number in range(1, 1000):
        await pubsub.publish("busy", number)
        assert subscription.pending <= 8
    stuck.set()
    await eventually(lambda: subscription.pending == 0 and len(received) > 1)
    await asyncio.sleep(0.01)

    # The first message, then "you missed some", then what came after the last overflow.
    assert received[0].payload == 0
    assert received[1].resync
    assert received[1].payload is None
    assert [m.payload for m in received[2:]] == list(range(1000 - len(received) + 2, 1000))
    assert len(received) <= 10
    assert pubsub.overflows > 0


async def test_a_failing_subscriber_is_logged_and_the_next_message_still_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pubsub = PubSub()
    received: list[Any] = []

    def picky(message: TopicMessage) -> None:
        if message.payload == "bad":
            raise ValueError("cannot take it")
        received.append(message.payload)

    pubsub.subscribe("t", picky)
    await pubsub.publish("t", "bad")
    await pubsub.publish("t", "good")
    await eventually(lambda: received == ["good"])
    assert "A subscriber of 't' failed on a message" in caplog.text


@pytest.mark.parametrize(
    ("topic", "payload", "error", "words"),
    [
        ("t", {1, 2}, TypeError, "not a JSON value"),
        ("t", float("nan"), TypeError, "not a JSON value"),
        ("t", "x" * MAX_PAYLOAD_BYTES, ValueError, "at most 7,000 fit"),
        ("", "x", ValueError, "1 to 200 characters"),
        ("t" * 201, "x", ValueError, "1 to 200 characters"),
        (12, "x", TypeError, "A topic is a string"),
    ],
)
async def test_what_cannot_be_published_is_refused_in_words_and_nothing_is_sent(
    topic: Any, payload: Any, error: type[Exception], words: str
) -> None:
    pubsub = PubSub()
    received: list[TopicMessage] = []
    pubsub.subscribe("t", collector(received))
    with pytest.raises(error, match=words):
        await pubsub.publish(topic, payload)
    await asyncio.sleep(0.01)
    assert received == []


# --- the hook, in a live page -----------------------------------------------------------------


@component
def Follower(topic: str | None) -> Component:
    last, set_last = heavy_use_state("nothing yet")

    def on_message(message: TopicMessage) -> None:
        set_last("resync" if message.resync else str(message.payload))

    heavy_use_topic(topic, on_message)
    return html.p({"id": "last"}, last)


@component
def SwitchingFollower() -> Component:
    topic, set_topic = heavy_use_state("room:a")

    def switch() -> None:
        set_topic("room:b")

    return html.div(
        html.button({"id": "switch", "onClick": heavy_event(switch)}),
        Follower(topic),
    )


async def test_a_page_following_a_topic_shows_what_is_published_until_it_closes() -> None:
    pubsub = PubSub()
    with using_pubsub(pubsub):
        async with InProcessPage.open(SwitchingFollower(), router=False) as page:
            await eventually(lambda: pubsub.subscriber_count("room:a") == 1)
            await publish("room:a", "hello")
            await page.wait_for_text("last", "hello")

            await page.click("switch")  # a new topic: the old subscription ends
            await eventually(lambda: pubsub.subscriber_count("room:b") == 1)
            assert pubsub.subscriber_count("room:a") == 0
            await publish("room:a", "not for this page")
            await publish("room:b", "on b")
            await page.wait_for_text("last", "on b")
        # The page closed: nothing of it stays subscribed.
        assert pubsub.subscriber_count() == 0


async def test_a_page_following_nothing_subscribes_to_nothing() -> None:
    pubsub = PubSub()
    with using_pubsub(pubsub):
        async with InProcessPage.open(Follower(None), router=False) as page:
            await page.wait_for_text("last", "nothing yet")
            assert pubsub.subscriber_count() == 0


Context = HeavyContext[AppServices]


@component
def AsyncFollower() -> Component:
    seen, set_seen = heavy_use_state("nothing yet")

    async def on_message(context: Context, message: TopicMessage) -> None:
        # Runs in a unit of work: it may read what the publisher committed.
        assert context.db_session is not None
        context.on_commit(set_seen, f"read after {message.payload}")

    heavy_use_topic("async", on_message)
    return html.p({"id": "seen"}, seen)


async def test_an_async_follower_runs_in_a_unit_of_work(services: AppServices) -> None:
    pubsub = PubSub()
    with using_pubsub(pubsub):
        root = ServicesContext(AsyncFollower(), value=ProvidedServices(services))
        async with InProcessPage.open(root, router=False) as page:
            await eventually(lambda: pubsub.subscriber_count("async") == 1)
            await publish("async", "note 3 saved")
            await page.wait_for_text("seen", "read after note 3 saved")


async def publish_then_fail(services: AppServices) -> None:
    async with open_heavy_context(services, HeavyContext) as context:
        context.publish("saved", "rolled back")
        raise RuntimeError("the handler failed")


async def publish_unencodable(services: AppServices) -> None:
    async with open_heavy_context(services, HeavyContext) as context:
        context.publish("saved", object())


async def test_context_publish_waits_for_the_commit_and_a_rollback_publishes_nothing(
    services: AppServices,
) -> None:
    pubsub = PubSub()
    received: list[TopicMessage] = []
    pubsub.subscribe("saved", collector(received))
    with using_pubsub(pubsub):
        async with open_heavy_context(services, HeavyContext) as context:
            context.publish("saved", "first")
            await asyncio.sleep(0.01)
            assert received == []  # not before the commit
        await eventually(lambda: [m.payload for m in received] == ["first"])

        with pytest.raises(RuntimeError):
            await publish_then_fail(services)
        with pytest.raises(TypeError, match="not a JSON value"):
            await publish_unencodable(services)
    await asyncio.sleep(0.05)
    assert [m.payload for m in received] == ["first"]


# --- between processes ------------------------------------------------------------------------


@asynccontextmanager
async def listening(transport: Transport) -> AsyncIterator[PubSub]:
    pubsub = PubSub(transport)
    task = asyncio.create_task(pubsub.run())
    try:
        await eventually(lambda: pubsub.connected)
        yield pubsub
    finally:
        task.cancel()
        # Bounded: a hub that ignores its cancel fails here, not at the suite's timeout.
        await asyncio.wait({task}, timeout=2 * CONNECT_SECONDS)
        assert task.cancelled(), "the hub did not stop when it was cancelled"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("pubsub-redis")) as url:
        yield url


@contextmanager
def stopped(pid: int) -> Iterator[None]:
    """A process that stops answering (SIGSTOP) and goes on where it was (SIGCONT)."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@dataclass
class TransportCase:
    """One kind of transport, with the faults a test can inject under a hub using it."""

    make: Callable[..., Transport]  # (name, ping_seconds=...) -> a new transport
    kill: Callable[[Transport], Awaitable[None]]  # ends that transport's listening connection
    server_pid: Callable[[Transport], Awaitable[int]]  # the server process that transport talks to


def postgres_case(database_urls: tuple[str, str], channel: str) -> TransportCase:
    dsn = asyncpg_dsn(database_urls[0])

    async def kill(transport: Transport) -> None:
        assert isinstance(transport, PostgresTransport)
        connection = await asyncpg.connect(dsn)
        try:
            assert await connection.fetchval("SELECT pg_terminate_backend($1)", transport.server_pid())
        finally:
            await connection.close()

    async def server_pid(transport: Transport) -> int:
        # The listening connection's own backend: the rest of the database goes on answering.
        assert isinstance(transport, PostgresTransport)
        pid = transport.server_pid()
        assert pid is not None
        return pid

    return TransportCase(
        make=lambda name, **options: PostgresTransport(
            database_urls[0], channel, application_name=name, **options
        ),
        kill=kill,
        server_pid=server_pid,
    )


def redis_case(url: str, channel: str) -> TransportCase:
    async def kill(transport: Transport) -> None:
        assert isinstance(transport, RedisTransport)
        redis = Redis.from_url(url)
        try:
            clients = await redis.client_list(_type="pubsub")
            (listener,) = [client for client in clients if client["name"] == transport.client_name]
            assert await redis.client_kill_filter(_id=listener["id"]) == 1
        finally:
            await redis.aclose()

    async def server_pid(_transport: Transport) -> int:
        redis = Redis.from_url(url)
        try:
            return int((await redis.info("server"))["process_id"])
        finally:
            await redis.aclose()

    return TransportCase(
        make=lambda name, **options: RedisTransport(url, channel, client_name=name, **options),
        kill=kill,
        server_pid=server_pid,
    )


@pytest.fixture(params=["postgres", "redis"])
def case(request: pytest.FixtureRequest, database_urls: tuple[str, str]) -> TransportCase:
    channel = f"test.{request.node.name}"[:63]
    if request.param == "postgres":
        return postgres_case(database_urls, channel)
    return redis_case(request.getfixturevalue("redis_url"), channel)


async def test_a_message_reaches_the_other_process_once_and_the_latency_is_printed(
    case: TransportCase,
) -> None:
    async with listening(case.make("here")) as here, listening(case.make("there")) as there:
        mine: list[TopicMessage] = []
        theirs: list[TopicMessage] = []
        here.subscribe("t", collector(mine))
        arrived = asyncio.Event()
        latencies: list[float] = []

        def timed(message: TopicMessage) -> None:
            theirs.append(message)
            latencies.append(time.perf_counter() - message.payload["sent"])
            arrived.set()

        there.subscribe("t", timed)
        for _ in range(50):
            arrived.clear()
            await here.publish("t", {"sent": time.perf_counter()})
            await asyncio.wait_for(arrived.wait(), 5)
        await asyncio.sleep(0.05)

        assert len(mine) == 50  # its own messages once, not again from the transport
        assert len(theirs) == 50
        name = type(here.transport).__name__
        print(
            f"\n{name}: publish -> subscriber in another hub: median "
            f"{statistics.median(latencies) * 1000:.2f} ms, max {max(latencies) * 1000:.2f} ms (50 messages)"
        )


@pytest.mark.timeout(60)
async def test_a_killed_listening_connection_comes_back_and_subscribers_are_told_to_resync(
    case: TransportCase,
) -> None:
    async with listening(case.make("here")) as here, listening(case.make("there")) as there:
        received: list[TopicMessage] = []
        there.subscribe("t", collector(received))
        await here.publish("t", "before")
        await eventually(lambda: [m.payload for m in received] == ["before"])

        assert there.transport is not None
        await case.kill(there.transport)
        await eventually(lambda: any(m.resync for m in received), timeout=15)
        await eventually(lambda: there.connected)
        assert here.connected  # only the other hub's connection was killed
        await here.publish("t", "after")
        await eventually(lambda: received[-1].payload == "after")
        assert [m.payload for m in received if not m.resync] == ["before", "after"]


@pytest.mark.timeout(60)
async def test_a_server_that_stops_answering_is_given_up_and_listened_to_again_once_it_answers(
    case: TransportCase, caplog: pytest.LogCaptureFixture
) -> None:
    ping_seconds = 0.5
    async with listening(case.make("hub", ping_seconds=ping_seconds)) as hub:
        received: list[TopicMessage] = []
        hub.subscribe("t", collector(received))
        assert hub.transport is not None
        with stopped(await case.server_pid(hub.transport)):
            await eventually(
                lambda: "lost its connection" in caplog.text, timeout=2 * ping_seconds + CONNECT_SECONDS + 2
            )
            # Publishing waits on the server no longer than a connection attempt, and this
            # process's subscribers have the message at once.
            await asyncio.wait_for(hub.publish("t", "while stopped"), CONNECT_SECONDS + 2)
            assert [m.payload for m in received if not m.resync] == ["while stopped"]
        await eventually(
            lambda: any(m.resync for m in received) and hub.connected, timeout=3 * CONNECT_SECONDS
        )


async def test_an_unreachable_transport_still_delivers_in_its_own_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pubsub = PubSub(PostgresTransport("postgresql://nobody@127.0.0.1:9/none"))
    received: list[TopicMessage] = []
    pubsub.subscribe("t", collector(received))
    await pubsub.publish("t", "local")
    await eventually(lambda: [m.payload for m in received] == ["local"])
    assert "reached this process only" in caplog.text


def test_the_server_has_a_hub_of_its_own_once_it_serves() -> None:
    # Outside a server the hub is local: publish works in scripts and tests.
    assert current_pubsub().transport is None
