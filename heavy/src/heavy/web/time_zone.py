"""The visitor's time zone, known from the page request on: no round trip, no Brython.

heavy's page script (``heavy/client/src/page/time_zone.js``) keeps the browser's zone
(``Intl.DateTimeFormat().resolvedOptions().timeZone``) in a cookie (``TIME_ZONE_COOKIE``)
before the page's websocket opens, so the handshake carries it and the live layout has the zone
at its first render; every later page's first paint has it too. ``use_time_zone()`` gives it
to any component: ``None`` on a first visit's first paint, for a client without scripts or
cookies, and for a cookie naming no zone this server knows (a client may send anything).
"""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from heavy.contexts import provide_context
from heavy.hooks import heavy_use_context
from reactpy import create_context
from reactpy.types import Context

TIME_ZONE_COOKIE = "time_zone"
# IANA names: "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC".
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")
MAX_ZONE_NAME = 64

TimeZoneContext: Context[ZoneInfo | None] = create_context(None)


def time_zone_from_cookie(value: str | None) -> ZoneInfo | None:
    """The zone the cookie's value names, or ``None`` for none, a malformed or an unknown one."""
    if value is None or len(value) > MAX_ZONE_NAME or not _ZONE_NAME.fullmatch(value):
        return None
    return _known_zone(value)


@lru_cache(maxsize=512)
def _known_zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def provide_time_zone(zone: ZoneInfo | None) -> None:
    """Provide ``zone`` to what the calling component renders (heavy's roots do, from the cookie)."""
    provide_context(TimeZoneContext, zone)


def use_time_zone() -> ZoneInfo | None:
    """The visitor's time zone, as their browser names it; ``None`` while it is not known."""
    return heavy_use_context(TimeZoneContext)
