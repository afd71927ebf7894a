"""Telemetry: OpenTelemetry export when the ``OTEL_*`` variables ask for it, and the figures the
development dashboard shows (``docs/telemetry.md``).

``install_telemetry`` (called by ``heavy.create_app``) decides from the environment alone,
without importing OpenTelemetry: export is on when an OTLP endpoint is set
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT``) or an exporter is named (``OTEL_TRACES_EXPORTER`` /
``OTEL_METRICS_EXPORTER`` other than ``none``), unless ``OTEL_SDK_DISABLED=true``. Otherwise
nothing of the SDK is imported and the live pages do nothing for it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import Any

from heavy.telemetry.figures import live_figures, stop_watching, watch
from heavy.web import logs
from sanic import Sanic

logger = logging.getLogger(__name__)

ENDPOINT_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
)
EXPORTER_VARIABLES = ("OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER")
MISSING_SDK = (
    "OTEL_* variables ask for telemetry export, but OpenTelemetry's SDK is not installed: install "
    "heavy-framework[telemetry] (the app serves on without export)."
)


def otel_wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the ``OTEL_*`` variables in ``environ`` ask for export (see the module docstring)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES):
        return True
    return any(environ.get(name, "").strip().lower() not in ("", "none") for name in EXPORTER_VARIABLES)


def install_telemetry(app: Sanic[Any, Any], service_name: str) -> bool:
    """Export traces and metrics from each server process of ``app`` when the ``OTEL_*``
    variables ask for it; True if they do. Register it before the listeners that open the
    product's services: their database engines are instrumented as they are made."""
    if not otel_wanted():
        return False
    try:
        from heavy.telemetry import otel  # the SDK: imported only now
    except ImportError:
        logger.error(MISSING_SDK)
        return False
    started: list[otel.Telemetry] = []

    async def start(_app: Sanic[Any, Any]) -> None:
        telemetry, observer = otel.start_export(service_name, live_figures())
        started.append(telemetry)
        watch(observer)
        logs.trace_ids = otel.current_trace_ids

    async def stop(_app: Sanic[Any, Any]) -> None:
        stop_watching()
        logs.trace_ids = None
        while started:  # flushes what is left: a few spans and the last metrics
            await asyncio.to_thread(started.pop().shutdown)

    start_span, end_span = otel.http_span_middleware(otel.global_tracer())
    app.register_middleware(start_span, "request", priority=1000)
    app.register_middleware(end_span, "response", priority=-1000)
    app.before_server_start(start)
    app.after_server_stop(stop)
    return True
