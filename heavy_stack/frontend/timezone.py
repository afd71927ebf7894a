"""The user's time zone, as the browser names it (heavy's time-zone cookie), for every component."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from heavy import current_language, time_zone_from_cookie, use_time_zone
from heavy import gettext as t

logger = logging.getLogger(__name__)


def use_timezone() -> ZoneInfo | None:
    """The user's time zone, or None while it is not known (a first visit's first paint)."""
    return use_time_zone()


def parse_timezone(answer: Any) -> ZoneInfo | None:
    """The zone named in Brython's answer to ``get_timezone``, or None when it is not a real zone."""
    name = answer.get("name") if isinstance(answer, dict) else None
    zone = time_zone_from_cookie(name) if isinstance(name, str) else None
    if zone is None:
        logger.warning("Ignored a time zone answer without a known zone's name: %.80r", answer)
    return zone


def format_in_zone(moment: datetime, zone: ZoneInfo | None, with_date: bool = False) -> str:
    """``moment`` in ``zone`` (UTC while the zone is unknown) as the page's language writes it,
    labelled with the zone's name: a time of day to the millisecond, or a date and time."""
    text = current_language().format_datetime(moment, zone) if with_date else _time_of_day(moment, zone)
    # Translators: a time (or a date and time) and the name of its time zone.
    return t("{time} {zone}").format(time=text, zone=zone.key if zone else "UTC")


def _time_of_day(moment: datetime, zone: ZoneInfo | None) -> str:
    # Babel's "HH:mm:ss.SSS" (milliseconds truncated), the same in every language, without
    # Babel's pattern machinery: about 15 µs of each click that shows a time.
    local = moment.astimezone(zone or UTC)
    return f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}.{local.microsecond // 1000:03d}"
