"""Log lines: plain text in DEV, one JSON object per line in PRODUCTION (``<PREFIX>LOG_FORMAT``).

Every line logged while a request or a websocket connection is being served names it:
``connection_id`` (one per websocket connection; Sanic's request id for plain HTTP) and, once
the connection's visitor is signed in, ``user_id``. Code keeps calling
``logging.getLogger(__name__)``: the ids come from ``heavy/log_scope.py``, a context
variable set here when the request arrives and inherited by the tasks the connection starts
(ReactPy runs each event handler and effect in one).

JSON lines are rendered by structlog's ``ProcessorFormatter`` on the standard library's
handlers, so Sanic's loggers, ReactPy's and ours all come out as JSON, with::

    {"timestamp": "...", "level": "info", "logger": "my_app...", "message": "...",
     "connection_id": "3f9c0a1b2c4d", "user_id": "..."}

While OpenTelemetry exports (``heavy.telemetry``), a line logged inside a span also carries its
``trace_id`` and ``span_id`` (text lines: ``trace <id>`` in the brackets).

Access lines (``<PREFIX>ACCESS_LOG``) add ``method``, ``path`` (never the query string: a
sign-in link carries its ticket there), ``status``, ``bytes`` and ``duration_ms``. Tracebacks
are text in ``exception``, without local variables (they may hold passwords).
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import structlog
from heavy.log_scope import LogScope, current_scope, in_scope, start_scope
from heavy.settings import HeavySettings, LogFormat
from sanic import Request, Sanic
from sanic.server.protocols.websocket_protocol import WebSocketProtocol
from structlog.typing import EventDict, Processor, WrappedLogger

# The framework's loggers; the product's are named by its settings (``logger_names``).
FRAMEWORK_LOGGERS = ("heavy",)
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets")
ACCESS_LOGGER = "sanic.access"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(scope_text)s"
# Marks the handlers this module adds, so configuring again replaces them (and only them).
_OURS = "_heavy_handler"
_URL = re.compile(r"\b(?:https?|wss?)://[^\s'\"]*")
# Set while OpenTelemetry exports (heavy.telemetry): the current span's trace and span ids.
trace_ids: Callable[[], tuple[str, str] | None] | None = None


def install_log_scopes(app: Sanic[Any, Any]) -> None:
    """Give every request its scope as soon as Sanic has read its head (before routing, so
    a 404 and its access line are covered too)."""
    app.signal("http.lifecycle.request")(_open_request_scope)
    _close_websockets_in_their_scope()


async def _open_request_scope(request: Request) -> None:
    # The request id may come from the client (X-Request-ID): fine for one HTTP exchange, but a
    # websocket's id also keys its recorded session, so each connection gets a fresh one.
    if request.headers.get("upgrade", "").lower() == "websocket":
        _websocket_scopes[request.protocol] = start_scope(secrets.token_hex(6))
    else:
        start_scope(str(request.id))


_PATCHED = "_heavy_log_scope"
# The scope of each websocket connection until it is lost (Sanic's protocols have __slots__).
_websocket_scopes: dict[object, LogScope] = {}


def _close_websockets_in_their_scope() -> None:
    """Sanic logs a websocket's close (and its access line) from the transport's callback,
    outside the connection's tasks: run that callback in the connection's scope (idempotent)."""
    lost: Callable[[WebSocketProtocol, Exception | None], None] = WebSocketProtocol.connection_lost
    if getattr(lost, _PATCHED, False):
        return

    def connection_lost(protocol: WebSocketProtocol, error: Exception | None) -> None:
        with in_scope(_websocket_scopes.pop(protocol, None)):
            lost(protocol, error)

    setattr(connection_lost, _PATCHED, True)
    WebSocketProtocol.connection_lost = connection_lost  # type: ignore[method-assign]


def configure_logging(settings: HeavySettings) -> None:
    """Send the framework's, the product's (``settings.logger_names``), Sanic's and (in JSON)
    every other logger's lines to stderr in the configured format. Call it again after
    creating a Sanic app: Sanic resets its loggers."""
    json_lines = settings.effective_log_format is LogFormat.JSON
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _OURS, True)
    handler.addFilter(_add_scope)
    handler.setFormatter(_json_formatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    root, app_loggers = (
        logging.getLogger(),
        [logging.getLogger(name) for name in (*FRAMEWORK_LOGGERS, *settings.logger_names)],
    )
    for logger in (root, *app_loggers):
        for old in [h for h in logger.handlers if getattr(h, _OURS, False)]:
            logger.removeHandler(old)
    access = logging.getLogger(ACCESS_LOGGER)
    if _describe_access not in access.filters:
        access.addFilter(_describe_access)
    error = logging.getLogger("sanic.error")
    if _drop_queries not in error.filters:
        error.addFilter(_drop_queries)
    for app_logger in app_loggers:
        app_logger.setLevel(settings.log_level)
        # JSON: to the root's handler; text: as before, to this one (Sanic's keep their own).
        app_logger.propagate = json_lines
        if not json_lines:
            app_logger.addHandler(handler)
    if json_lines:
        # One handler at the root: whatever logs (Sanic, ReactPy, asyncio, warnings) is JSON.
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
        for name in SANIC_LOGGERS:
            logging.getLogger(name).handlers.clear()
        logging.captureWarnings(True)
        _route_structlog_through_logging()


def _add_scope(record: logging.LogRecord) -> bool:
    """Handler filter: the current scope's ids on the record (an ``extra`` given wins)."""
    scope = current_scope()
    connection_id = getattr(record, "connection_id", scope.connection_id if scope else None)
    user_id = getattr(record, "user_id", scope.user_id if scope else None)
    record.connection_id, record.user_id = connection_id, user_id
    ids = trace_ids() if trace_ids is not None else None
    trace_id = getattr(record, "trace_id", ids[0] if ids else None)
    record.trace_id, record.span_id = trace_id, getattr(record, "span_id", ids[1] if ids else None)
    shown = ", ".join(
        f"{name} {value}"
        for name, value in (("connection", connection_id), ("user", user_id), ("trace", trace_id))
        if value
    )
    record.scope_text = f" [{shown}]" if shown else ""
    return True


def _describe_access(record: logging.LogRecord) -> bool:
    """Logger filter on Sanic's access lines: method and path apart, and no query string."""
    # HTTP: "GET http://host/path?query"; websocket: " 🔌 ws://host/path?query", message OPEN/CLOSE.
    request = str(getattr(record, "request", "")).replace("🔌", "").strip()
    method, _, url = request.rpartition(" ")
    method = method or ("WEBSOCKET" if record.getMessage() else "")
    path = urlsplit(url).path if "://" in url else None
    record.method, record.path = method or None, path
    if path is not None:
        record.request = f"{method} {path}"
    duration = str(getattr(record, "duration", "")).strip().removesuffix("ms")
    try:
        record.duration_ms = float(duration)
    except ValueError:
        record.duration_ms = None
    return True


def _drop_queries(record: logging.LogRecord) -> bool:
    """Logger filter: URLs in Sanic's error lines lose their query strings (tickets live there)."""
    message = record.getMessage()
    if "?" in message:
        record.msg, record.args = _URL.sub(lambda url: url.group(0).split("?", 1)[0], message), None
    return True


def _json_formatter() -> structlog.stdlib.ProcessorFormatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            _record_fields,
            structlog.processors.format_exc_info,  # a text traceback: no local variables
            structlog.processors.EventRenamer("message"),
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _readable_order,
            structlog.processors.JSONRenderer(),
        ],
    )


def _shared_processors() -> list[Processor]:
    return [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]


ACCESS_FIELDS = ("method", "path", "status", "duration_ms")


def _record_fields(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """The scope's ids, and an access line's fields, from the record into the JSON object."""
    record: logging.LogRecord = event["_record"]
    for key in ("connection_id", "user_id", "trace_id", "span_id"):  # absent rather than null
        value = event.get(key, getattr(record, key, None))
        if value is not None:
            event[key] = value
    if record.name == ACCESS_LOGGER:
        for key in ACCESS_FIELDS:
            if (value := getattr(record, key, None)) not in (None, ""):  # a websocket has no status yet
                event[key] = value
        size = str(getattr(record, "byte", ""))
        if size.isdigit():
            event["bytes"] = int(size)
        elif size:  # "chunked", "DISCONNECTED", or how a websocket closed
            event["detail"] = size
        kind = event.get("event") or ""  # websocket lines say OPEN or CLOSE; HTTP ones nothing
        parts = (getattr(record, "request", ""), kind, event.get("status"))
        event["event"] = " ".join(str(part) for part in parts if part)
    return event


FIRST_KEYS = ("timestamp", "level", "logger", "message")


def _readable_order(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Time, level, logger and message first: what a person scanning the lines reads."""
    first = {key: event[key] for key in FIRST_KEYS if key in event}
    return first | dict(event)


def _route_structlog_through_logging() -> None:
    # Code that prefers structlog.get_logger(...).info("event", key=value) gets the same lines.
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
