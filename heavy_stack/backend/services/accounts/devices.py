"""What the sessions page calls a session's device: "Firefox 133 (Windows)", from its User-Agent.

Parsed with ``ua-parser`` (the maintained port of the uap-core rules, with its Rust matcher)
once, when the session starts; only the short description is stored, never the whole header.
"""

from __future__ import annotations

import asyncio

from heavy_stack.shared_models.user_session import DEVICE_MAX_LENGTH

# Product names only, no words: the page shows them in any language ("" is an unknown browser).
UNKNOWN_DEVICE = ""
# A header longer than this is not parsed (no browser sends one).
MAX_USER_AGENT = 1000


async def describe_device(user_agent: str) -> str:
    """The browser and system of ``user_agent``, in a few words (off the event loop: the first
    parse loads the rules)."""
    if not user_agent or len(user_agent) > MAX_USER_AGENT:
        return UNKNOWN_DEVICE
    return await asyncio.to_thread(_describe, user_agent)


def _describe(user_agent: str) -> str:
    from ua_parser import parse  # loads its rules on first use: not at import time

    parsed = parse(user_agent)
    browser = parsed.user_agent
    system = parsed.os
    if browser is None or browser.family == "Other":
        return UNKNOWN_DEVICE
    name = " ".join(part for part in (browser.family, browser.major) if part)
    if system is not None and system.family != "Other":
        name += " (" + " ".join(part for part in (system.family, system.major) if part) + ")"
    return name[:DEVICE_MAX_LENGTH]
