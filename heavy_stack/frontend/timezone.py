"""The user's time zone, asked of the browser once per page and given to every component."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from heavy import current_language, heavy_use_context, heavy_use_effect, heavy_use_state, provide_context
from heavy import gettext as t
from reactpy import component, create_context, html
from reactpy.types import Context

from heavy_stack.frontend.brython_executors import BrythonExecutor, BrythonExecutorContext
from heavy_stack.frontend.types import Component
from heavy_stack_brython.timezones import get_timezone

logger = logging.getLogger(__name__)

# None until the browser has answered (or when it never does, e.g. a script-less client).
TimezoneContext: Context[ZoneInfo | None] = create_context(None)


@component
def TimezoneProvider(*children: Component) -> Component:
    """Provides ``TimezoneContext`` to ``children``, asking the browser through the executor above."""
    use_browser_timezone(heavy_use_context(BrythonExecutorContext))
    return html._(*children)


def use_browser_timezone(executor: BrythonExecutor | None) -> ZoneInfo | None:
    """Ask the browser for its time zone once; provide it as ``TimezoneContext`` and return it.

    Everything the calling component renders gets the zone (the app root calls this, rather
    than nesting a provider); ``None`` until the browser has answered.
    """
    no_zone: ZoneInfo | None = None
    zone, set_zone = heavy_use_state(no_zone)

    def ask_the_browser() -> None:
        if executor is not None:
            executor.call(get_timezone, result_callback=lambda answer: set_zone(parse_timezone(answer)))

    heavy_use_effect(ask_the_browser, [])
    provide_context(TimezoneContext, zone)
    return zone


def parse_timezone(answer: Any) -> ZoneInfo | None:
    """The zone named in the browser's answer, or None when the answer is not a real zone."""
    name = answer.get("name") if isinstance(answer, dict) else None
    if not isinstance(name, str) or not 0 < len(name) <= 64:
        logger.warning("Ignored a time zone answer without a usable name: %.80r", answer)
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("Ignored an unknown time zone %.64r", name)
        return None


def use_timezone() -> ZoneInfo | None:
    """The user's time zone, or None while it is not known."""
    return heavy_use_context(TimezoneContext)


def format_in_zone(moment: datetime, zone: ZoneInfo | None, with_date: bool = False) -> str:
    """``moment`` in ``zone`` (UTC while the zone is unknown) as the page's language writes it,
    labelled with the zone's name: a time of day to the millisecond, or a date and time."""
    language = current_language()
    text = (
        language.format_datetime(moment, zone)
        if with_date
        else language.format_time(moment, zone, "HH:mm:ss.SSS")  # the same in every language
    )
    # Translators: a time (or a date and time) and the name of its time zone.
    return t("{time} {zone}").format(time=text, zone=zone.key if zone else "UTC")
