"""The one clock: aware UTC datetimes, for every layer (tables, services, stores)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC, with its time zone attached (naive datetimes never reach the database)."""
    return datetime.now(UTC)
