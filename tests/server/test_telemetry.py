"""OpenTelemetry export: the real server, pointed by OTEL_* at a receiver this test starts, traces
a page request and websocket events (with their statements, renders and updates) and exports
the live pages' metrics; its log lines name the traces."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from heavy.data.db_connection import Database
from heavy.telemetry import otel_wanted
from heavy.testing.cookie_browser import CookieBrowser
from heavy.testing.live_server import LiveServer, stop
from heavy.testing.otlp import OtlpReceiver, ReceivedSpan, otlp_receiver

from heavy_stack_testing.brython import answer_brython, brython_calls
from heavy_stack_testing.product import live_server

pytestmark = pytest.mark.server

SERVICE = "heavy-stack-under-test"


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with otlp_receiver() as receiver:
        yield receiver


@pytest.fixture
def traced_server(
    receiver: OtlpReceiver, database_urls: tuple[str, str], database: Database, tmp_path: Path
) -> Iterator[LiveServer]:
    """The server on the (paved) test databases, exporting to ``receiver``."""
    sql_url, vector_url = database_urls
    otel = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_SERVICE_NAME": SERVICE,
        # Exported soon after, not in 5 s (spans) and 60 s (metrics).
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_METRIC_EXPORT_INTERVAL": "300",
    }
    settings = {
        "SQL_DB_URL": sql_url,
        "VECTOR_DB_URL": vector_url,
        "ACCESS_LOG": "true",
        "LOG_FORMAT": "json",
    }
    with live_server(settings, tmp_path / "server.log", base_env=os.environ | otel) as server:
        yield server


def _at_least(count: int, found: list[ReceivedSpan]) -> list[ReceivedSpan]:
    return found if len(found) >= count else []


def _child_of(parent: ReceivedSpan, spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    return [span for span in spans if span.parent_id == parent.span_id and span.trace_id == parent.trace_id]


async def test_requests_events_statements_and_metrics_reach_the_collector(
    traced_server: LiveServer, receiver: OtlpReceiver
) -> None:
    browser = CookieBrowser(traced_server.base_url)
    async with browser.open_page("/") as page:
        await page.wait_for_text("current-user", "@")
        for _ in range(3):
            await page.click("read-user")
            await page.receive()
        # A sync handler that logs: the browser reports a failed Brython call.
        await page.click("ask-timezone")
        await page.wait_until(lambda: bool(brython_calls(page)))
        [call] = [call for call in brython_calls(page) if call["name"] == "get_timezone"]
        await answer_brython(page, call["id"], None, ok=False)

        # The handler's span names its component and handler; its statement, the render it
        # caused and the update sent are its children.
        def read_user_events() -> list[ReceivedSpan]:
            return [
                span
                for span in receiver.spans_named("event ")
                if span.attributes.get("heavy.handler") == "read_again"
            ]

        events = receiver.wait_for(lambda: _at_least(3, read_user_events()))
        event = events[-1]
        assert event.service == SERVICE
        assert event.attributes["heavy.component"] == "ReadAgain"
        assert event.name == "event ReadAgain.read_again"
        assert event.attributes["heavy.connection_id"]
        children = receiver.wait_for(lambda: _at_least(3, _child_of(event, receiver.spans)))
        statements = [span for span in children if span.attributes.get("db.system") == "postgresql"]
        assert statements, [span.name for span in children]
        assert any("SELECT" in str(span.attributes.get("db.statement", "")) for span in statements)
        assert {"render", "send update"} <= {span.name for span in children}

        # Metrics, while the page is still open.
        def counted() -> list[float]:
            return [
                point.value
                for point in receiver.points_of("heavy.live.events")
                if point.attributes.get("heavy.handler") == "read_again"
            ]

        # Cumulative: a later export has all three.
        receiver.wait_for(lambda: [count for count in counted() if count >= 3])
        durations = receiver.wait_for(
            lambda: [
                point  # a histogram's point: its count
                for point in receiver.points_of("heavy.live.event.duration")
                if point.attributes.get("heavy.handler") == "read_again" and point.value >= 3
            ]
        )
        assert durations[0].attributes["heavy.component"] == "ReadAgain"
        receiver.wait_for(lambda: [p for p in receiver.points_of("heavy.live.pages.open") if p.value >= 1])
        pool = receiver.wait_for(lambda: receiver.points_of("db.client.connections.usage"))
        assert {point.attributes.get("state") for point in pool} >= {"idle", "used"}

    # The page's HTTP request is a span, and its access line names that trace.
    [page_request] = receiver.wait_for(
        lambda: [span for span in receiver.spans if span.attributes.get("url.path") == "/"]
    )
    assert page_request.name == "GET /"
    assert page_request.attributes["http.response.status_code"] == 200
    # The page's async effects (what it loads as it opens) have their statements under them.
    effects = receiver.spans_named("effect ")
    assert any(
        span.attributes.get("db.system") == "postgresql"
        for effect in effects
        for span in _child_of(effect, receiver.spans)
    ), [effect.name for effect in effects]
    assert stop(traced_server) == 0
    lines = [json.loads(line) for line in traced_server.log().splitlines()]
    [access] = [line for line in lines if line["logger"] == "sanic.access" and line.get("path") == "/"]
    assert access["trace_id"] == page_request.trace_id
    # The failed Brython call's line, logged in its handler, names that event's trace.
    [warning] = [line for line in lines if call["id"] in line["message"]]
    answered = [span for span in receiver.spans_named("event ") if span.trace_id == warning["trace_id"]]
    # The bridge's hook lives in its own small component, so an answer re-renders only it.
    assert [span.attributes["heavy.component"] for span in answered] == ["BrythonBridge"], warning
    assert not [line for line in lines if "exception" in line]


@pytest.mark.parametrize(
    ("variables", "wanted"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "named, but sent nowhere"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": " "}, False),
    ],
)
def test_export_is_on_only_when_the_variables_ask_for_it(variables: dict[str, str], wanted: bool) -> None:
    """Without them ``create_app`` never imports the SDK (``import heavy`` does not either:
    tests/heavy/test_public_api.py; and the import-linter contract "telemetry-on-demand")."""
    assert otel_wanted(variables) is wanted
