"""An OTLP/HTTP receiver for tests: what an app exports, decoded with ``opentelemetry-proto``.

``OtlpReceiver`` listens on 127.0.0.1 (a free port) in a thread, answers every export with
success and keeps the spans and metric points it decoded; point an app at it with
``OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint``. ``keep=False`` answers without decoding
(a collector that costs the app nothing: ``make bench``'s telemetry-on figure).
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

T = TypeVar("T")


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as exported: ids in hex (``parent_id`` empty for a root span)."""

    name: str
    trace_id: str
    span_id: str
    parent_id: str
    kind: int
    attributes: dict[str, Any]
    service: str


@dataclass(frozen=True)
class MetricPoint:
    """One data point of a metric: its value (a histogram's: its count) and attributes."""

    name: str
    value: float
    attributes: dict[str, Any]
    service: str


@dataclass
class OtlpReceiver:
    """What the app exported so far (``spans``, ``points``), filled by the server thread."""

    keep: bool = True
    spans: list[ReceivedSpan] = field(default_factory=list)
    points: list[MetricPoint] = field(default_factory=list)
    requests: int = 0
    endpoint: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, found: Callable[[], T | None], timeout: float = 20.0) -> T:
        """What ``found`` returns once it is not None (or empty); TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                result = found()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"not received within {timeout} s ({self.requests} exports so far)")
            time.sleep(0.05)

    def spans_named(self, prefix: str) -> list[ReceivedSpan]:
        return [span for span in self.spans if span.name.startswith(prefix)]

    def points_of(self, name: str) -> list[MetricPoint]:
        return [point for point in self.points if point.name == name]

    def _received(self, path: str, body: bytes) -> ExportTraceServiceResponse | ExportMetricsServiceResponse:
        self.requests += 1
        if path.endswith("/v1/traces"):
            if self.keep:
                request = ExportTraceServiceRequest.FromString(body)
                with self._lock:
                    self.spans.extend(_spans(request))
            return ExportTraceServiceResponse()
        if self.keep and path.endswith("/v1/metrics"):
            metrics_request = ExportMetricsServiceRequest.FromString(body)
            with self._lock:
                self.points.extend(_points(metrics_request))
        return ExportMetricsServiceResponse()


@contextmanager
def otlp_receiver(*, keep: bool = True) -> Iterator[OtlpReceiver]:
    """An ``OtlpReceiver`` serving on 127.0.0.1 for the block."""
    receiver = OtlpReceiver(keep=keep)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            answer = receiver._received(self.path, body).SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
            return  # quiet: a test's output is its own

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return None if kind is None else getattr(value, kind)


def _attributes(pairs: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for pair in pairs:
        assert isinstance(pair, KeyValue)
        found[pair.key] = _value(pair.value)
    return found


def _spans(request: ExportTraceServiceRequest) -> Iterator[ReceivedSpan]:
    for resource_spans in request.resource_spans:
        service = str(_attributes(resource_spans.resource.attributes).get("service.name", ""))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield ReceivedSpan(
                    span.name,
                    span.trace_id.hex(),
                    span.span_id.hex(),
                    span.parent_span_id.hex(),
                    span.kind,
                    _attributes(span.attributes),
                    service,
                )


def _points(request: ExportMetricsServiceRequest) -> Iterator[MetricPoint]:
    for resource_metrics in request.resource_metrics:
        service = str(_attributes(resource_metrics.resource.attributes).get("service.name", ""))
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data")
                if kind is None:
                    continue
                for point in getattr(metric, kind).data_points:
                    if kind in ("histogram", "exponential_histogram"):
                        value = float(point.count)
                    else:
                        value = float(point.as_double if point.HasField("as_double") else point.as_int)
                    yield MetricPoint(metric.name, value, _attributes(point.attributes), service)
