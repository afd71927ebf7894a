"""The time-zone cookie as the server reads it: a zone this server knows, or none."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from heavy import time_zone_from_cookie


@pytest.mark.parametrize(
    "value",
    ["Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Etc/GMT-14", "UTC", "Asia/Kathmandu"],
)
def test_a_zone_the_browser_names_is_the_zone(value: str) -> None:
    assert time_zone_from_cookie(value) == ZoneInfo(value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "Mars/Olympus_Mons",
        "../../etc/passwd",
        "/etc/localtime",
        "Europe/../Europe/Paris",
        "Europe%2FParis",
        '"><script>',
        "Europe/Paris; x",
        "x" * 65,
        "Europe/" + "a" * 60,
        "été",
    ],
)
def test_anything_else_is_no_zone(value: str | None) -> None:
    assert time_zone_from_cookie(value) is None
