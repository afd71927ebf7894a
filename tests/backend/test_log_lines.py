"""What Sanic's own lines lose before they are written: the query strings that carry tickets."""

from __future__ import annotations

import logging

from heavy.web import logs

LINK = "http://127.0.0.1:8000/account/sign-in/complete?ticket=SECRET-TICKET&next=/notes"


def test_an_error_line_names_the_url_without_its_query() -> None:
    # What Sanic's error handler logs when a route raises.
    record = logging.makeLogRecord(
        {"name": "sanic.error", "msg": "Exception occurred while handling uri: %s", "args": (repr(LINK),)}
    )
    assert logs._drop_queries(record)
    assert record.getMessage() == (
        "Exception occurred while handling uri: 'http://127.0.0.1:8000/account/sign-in/complete'"
    )


def test_an_access_line_has_method_path_and_duration_but_no_query() -> None:
    # What Sanic's access log passes for an HTTP response.
    extra = {"request": f"GET {LINK}", "status": 303, "byte": "0", "duration": " 4.7ms"}
    record = logging.makeLogRecord({"name": "sanic.access", "msg": "", **extra})
    assert logs._describe_access(record)
    fields = {key: getattr(record, key) for key in ("method", "path", "request", "duration_ms")}
    assert fields == {
        "method": "GET",
        "path": "/account/sign-in/complete",
        "request": "GET /account/sign-in/complete",
        "duration_ms": 4.7,
    }
