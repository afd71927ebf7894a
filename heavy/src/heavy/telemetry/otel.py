"""OpenTelemetry export: traces and metrics over OTLP/HTTP, set up from the ``OTEL_*`` variables.

Imported only when those variables ask for export (``heavy.telemetry.otel_wanted``): without
them, nothing of OpenTelemetry's SDK is loaded. What is exported (``docs/telemetry.md``):

- a span per HTTP request (``GET /<path:path>``, with the route and status), continuing a
  ``traceparent`` the client sent;
- a span per websocket event (``event Component.handler``, with ``heavy.component``,
  ``heavy.handler`` and ``heavy.connection_id``), and under it the database statements it ran
  (OpenTelemetry's own SQLAlchemy instrumentation), each render it caused (``render``) and each
  update sent (``send update``); an async effect's statements sit under ``effect Component.function``;
- metrics: ``heavy.live.events`` (events by handler), ``heavy.live.events.rate`` (per second),
  ``heavy.live.event.duration`` (a histogram, seconds), ``heavy.live.pages.open``, and the
  database pools' ``db.client.connections.usage`` (the SQLAlchemy instrumentation's);
- the trace and span ids of the current span in every log line (``heavy.web.logs``).

The SDK reads the standard variables itself: the endpoint and headers
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``..._TRACES_ENDPOINT``, ``..._HEADERS``), the service name and
resource (``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``), the sampler
(``OTEL_TRACES_SAMPLER``), the batch and export intervals (``OTEL_BSP_*``,
``OTEL_METRIC_EXPORT_INTERVAL``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from heavy.events import Declared
from heavy.hooks import is_first_paint
from heavy.live.layout import LiveLayout, SendUpdate
from heavy.log_scope import current_scope
from heavy.telemetry.figures import (
    FiguresObserver,
    LiveFigures,
    handler_names,
    instance_name,
    open_page_count,
    short_name,
    timing_statements,
)
from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from sanic import Request
from sanic.response import BaseHTTPResponse

logger = logging.getLogger(__name__)

SCOPE = "heavy"
# Exporters by the names of OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER ("none": that signal off).
_SPAN_EXPORTERS: dict[str, Callable[[], SpanExporter]] = {
    "otlp": OTLPSpanExporter,
    "console": ConsoleSpanExporter,
}
_METRIC_EXPORTERS: dict[str, Callable[[], MetricExporter]] = {
    "otlp": OTLPMetricExporter,
    "console": ConsoleMetricExporter,
}
SUPPORTED_PROTOCOL = "http/protobuf"


@dataclass
class Telemetry:
    """The providers this process exports through; ``shutdown`` flushes and stops them."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def start_export(service_name: str, figures: LiveFigures) -> tuple[Telemetry, TracingObserver]:
    """Set this process's tracer and meter providers from the ``OTEL_*`` variables (the
    service named ``service_name`` unless ``OTEL_SERVICE_NAME`` says), instrument SQLAlchemy's
    engines made from now on, and give the observer of live layouts that traces and measures."""
    _warn_about_protocol()
    resource = Resource.create(
        {
            "service.name": os.environ.get("OTEL_SERVICE_NAME") or service_name,
            "service.instance.id": instance_name(),
        }
    )
    tracer_provider = TracerProvider(resource=resource)
    for span_exporter in _exporters("OTEL_TRACES_EXPORTER", _SPAN_EXPORTERS):
        tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    readers: list[MetricReader] = [
        PeriodicExportingMetricReader(metric_exporter)
        for metric_exporter in _exporters("OTEL_METRICS_EXPORTER", _METRIC_EXPORTERS)
    ]
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    instrumentor = SQLAlchemyInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        # skip_dep_check: its package declares SQLAlchemy < 2.1; the cursor and pool events it
        # listens to are the same in 2.1 (tests/server/test_telemetry.py sees its spans).
        instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, skip_dep_check=True
        )
    observer = TracingObserver(figures, tracer_provider.get_tracer(SCOPE), meter_provider.get_meter(SCOPE))
    return Telemetry(tracer_provider, meter_provider), observer


def _warn_about_protocol() -> None:
    for name in (
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    ):
        protocol = os.environ.get(name, "").strip()
        if protocol and protocol != SUPPORTED_PROTOCOL:
            logger.warning(
                "%s=%s: heavy exports OTLP over HTTP (%s) only; point the endpoint at the "
                "collector's HTTP port (4318 by default).",
                name,
                protocol,
                SUPPORTED_PROTOCOL,
            )


T = TypeVar("T")


def _exporters(variable: str, known: dict[str, Callable[[], T]]) -> Iterable[T]:
    """The exporters ``variable`` names (comma-separated; default ``otlp``; ``none``: none)."""
    names = [name.strip().lower() for name in os.environ.get(variable, "otlp").split(",") if name.strip()]
    for name in names:
        if name == "none":
            continue
        exporter = known.get(name)
        if exporter is None:
            logger.warning(
                "%s=%s is not one heavy knows (%s, none): ignored", variable, name, ", ".join(known)
            )
            continue
        yield exporter()


class TracingObserver(FiguresObserver):
    """The figures' observer, and a span per event, render and update sent; the metrics read
    the same figures."""

    def __init__(self, figures: LiveFigures, tracer: trace.Tracer, meter: metrics.Meter) -> None:
        super().__init__(figures)
        self.tracer = tracer
        self.durations = meter.create_histogram(
            "heavy.live.event.duration", unit="s", description="How long event handlers took"
        )
        meter.create_observable_counter(
            "heavy.live.events", [self._event_counts], unit="{event}", description="Events handled"
        )
        meter.create_observable_gauge(
            "heavy.live.events.rate",
            [self._event_rate],
            unit="{event}/s",
            description="Events per second, over the last few seconds",
        )
        meter.create_observable_up_down_counter(
            "heavy.live.pages.open", [self._open_pages], unit="{page}", description="Live pages open"
        )

    def event(self, declared: Declared, call: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None]:
        if is_first_paint():
            return call
        return self._traced(declared, call)

    async def _traced(self, declared: Declared, call: Coroutine[Any, Any, None]) -> None:
        component, handler = handler_names(declared)
        attributes = {"heavy.component": component, "heavy.handler": handler}
        scope = current_scope()
        span_attributes = (
            attributes if scope is None else {**attributes, "heavy.connection_id": scope.connection_id}
        )
        with self.tracer.start_as_current_span(
            f"event {component}.{handler}", kind=SpanKind.SERVER, attributes=span_attributes
        ) as span:
            started = time.perf_counter()
            with timing_statements() as clock:
                try:
                    await call
                finally:
                    seconds = time.perf_counter() - started
                    self.figures.event_done(component, handler, seconds, clock)
                    self.durations.record(seconds, attributes)
                    span.set_attribute("heavy.db.statements", clock.statements)

    def effect(self, component: str, function: str, work: Awaitable[T]) -> Awaitable[T]:
        return self._effect(component, function, work)

    async def _effect(self, component: str, function: str, work: Awaitable[T]) -> T:
        name = short_name(component, function)
        attributes = {"heavy.component": component, "heavy.handler": name}
        with self.tracer.start_as_current_span(f"effect {component}.{name}", attributes=attributes):
            return await work

    def cause(self) -> object | None:
        # Renders scheduled while an event's span is current belong to its trace.
        span = trace.get_current_span()
        return otel_context.get_current() if span.get_span_context().is_valid else None

    async def update(self, layout: LiveLayout, send: SendUpdate) -> None:
        state, cause = await layout.next_render()
        if not isinstance(cause, otel_context.Context):  # not from an event: measured, not traced
            started = time.perf_counter()
            update = await layout.render_component(state)
            self.figures.render_done(time.perf_counter() - started)
            await send(update)
            return
        component = getattr(state.component, "type", type(state.component)).__qualname__
        with self.tracer.start_as_current_span(
            "render", context=cause, attributes={"heavy.component": component}
        ):
            started = time.perf_counter()
            update = await layout.render_component(state)
            self.figures.render_done(time.perf_counter() - started)
        with self.tracer.start_as_current_span(
            "send update", context=cause, attributes={"heavy.patch.path": update["path"]}
        ):
            await send(update)

    def _event_counts(self, _options: CallbackOptions) -> Iterable[Observation]:
        for figures in list(self.figures.handlers.values()):
            yield Observation(
                figures.events, {"heavy.component": figures.component, "heavy.handler": figures.handler}
            )

    def _event_rate(self, _options: CallbackOptions) -> Iterable[Observation]:
        yield Observation(self.figures.events_per_second())

    def _open_pages(self, _options: CallbackOptions) -> Iterable[Observation]:
        yield Observation(open_page_count())


# --- HTTP requests -------------------------------------------------------------------------

_SPAN = "heavy_span"


def http_span_middleware(tracer: trace.Tracer) -> tuple[Any, Any]:
    """Sanic request and response middleware: a server span per HTTP request (websocket
    handshakes excepted: their events have spans of their own), current while it is handled,
    so its statements and log lines belong to it."""

    async def start(request: Request) -> None:
        if request.headers.get("upgrade", "").lower() == "websocket":
            return
        route = request.route.path if request.route is not None else None
        path = f"/{route}" if route is not None and not route.startswith("/") else route
        span = tracer.start_span(
            f"{request.method} {path or request.path}",
            context=propagate.extract(dict(request.headers)),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": request.method,
                "url.path": request.path,
                **({"http.route": path} if path else {}),
            },
        )
        setattr(request.ctx, _SPAN, span)
        # Not detached: the access line, logged after the response is sent, names it too; the
        # next request on the connection sets its own.
        otel_context.attach(trace.set_span_in_context(span))

    async def end(request: Request, response: BaseHTTPResponse) -> None:
        span = getattr(request.ctx, _SPAN, None)
        if span is None:
            return
        span.set_attribute("http.response.status_code", response.status)
        if response.status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()

    return start, end


def current_trace_ids() -> tuple[str, str] | None:
    """The trace and span ids (hex) of the current span, for log lines; None outside one."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}"


def global_tracer() -> trace.Tracer:
    """The tracer of the global provider (which ``start_export`` sets when a process starts)."""
    return trace.get_tracer(SCOPE)
