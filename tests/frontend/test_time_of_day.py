"""The landing page's times of day read as Babel's "HH:mm:ss.SSS" writes them, in every zone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import dates

from heavy_stack.frontend.timezone import _time_of_day

ZONES = (None, ZoneInfo("Europe/Paris"), ZoneInfo("Asia/Kolkata"), ZoneInfo("America/St_Johns"))


def test_times_of_day_are_babels_to_the_truncated_millisecond() -> None:
    pick = random.Random(26)
    moments = [datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC)]  # Paris's clocks change
    moments += [
        datetime(2026, 1, 1, tzinfo=UTC) + timedelta(microseconds=pick.randrange(10**14)) for _ in range(500)
    ]
    for moment in moments:
        for zone in ZONES:
            babel = dates.format_time(moment.astimezone(zone or UTC), "HH:mm:ss.SSS", locale="ar")
            assert _time_of_day(moment, zone) == babel
