"""Mail on the real server: PRODUCTION without an SMTP server says so once, and has no mailbox
(nor the development dashboard)."""

from __future__ import annotations

from pathlib import Path

import pytest
from heavy.data.db_connection import Database
from heavy.testing.cookie_browser import CookieBrowser

from heavy_stack_testing.product import live_server

pytestmark = pytest.mark.server


def test_production_without_smtp_says_so_in_one_line_and_has_no_mailbox(
    database: Database, database_urls: tuple[str, str], tmp_path: Path
) -> None:
    settings = {
        "ENVIRONMENT": "PRODUCTION",
        "SECRET_KEY": "a-production-secret-" + "x" * 40,
        "SQL_DB_URL": database_urls[0],
        "VECTOR_DB_URL": database_urls[1],
    }
    with live_server(settings, tmp_path / "server.log") as server:
        browser = CookieBrowser(server.base_url)
        assert browser.get("/_dev/mailbox").status == 404
        assert browser.get("/_heavy/dashboard").status == 404  # development only (docs/telemetry.md)
        assert browser.get("/healthz").status == 200
        log = server.log()
    lines = [line for line in log.splitlines() if "SMTP" in line]
    assert len(lines) == 1, log
    assert "PRODUCTION has no SMTP server: set HEAVY_STACK_SMTP_HOST" in lines[0]
    assert "Traceback" not in log
