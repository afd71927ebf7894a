"""What an empty-cache first visit of a page transfers, measured in headless Chromium.

A fresh browser context has an empty cache; Chromium's DevTools protocol reports, for each
response, the bytes that came over the network (``Network.loadingFinished``'s
``encodedDataLength``: headers and the body as sent, compressed or not). The visit counts what
has arrived once the page is live (the websocket's first update rendered) and the network has
been quiet for a moment, so a script loaded right after the first paint counts too. The
websocket's own frames are not resources and are left out, as browsers' "transferred" leaves
them out.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser

# Before the changes of issue 26 (Brython on every page): the figure the bench prints beside.
WAS_KB = 321
TARGET_KB = 120
# How long the network must stay quiet after the page is live before the visit is counted.
QUIET_S = 1.0
SETTLE_TIMEOUT_S = 30.0
# The first paint's container: the live layout's first render removes it.
FIRST_PAINT_ID = "heavy-first-paint"


@dataclass(frozen=True)
class Transfer:
    """One response of the visit: its address (path) and the bytes it took on the wire."""

    path: str
    kind: str
    bytes: int


@dataclass(frozen=True)
class PageWeight:
    """Everything an empty-cache visit of one page transferred."""

    path: str
    transfers: tuple[Transfer, ...]

    @property
    def total_bytes(self) -> int:
        return sum(transfer.bytes for transfer in self.transfers)

    def summary(self) -> str:
        """``first visit KB: 95 (target <= 120; was 321)``"""
        return f"first visit KB: {self.total_bytes / 1000:.0f} (target <= {TARGET_KB}; was {WAS_KB})"

    def breakdown(self) -> list[str]:
        """One line per resource, largest first."""
        ordered = sorted(self.transfers, key=lambda transfer: -transfer.bytes)
        return [
            f"{transfer.bytes / 1000:7.1f} KB  {transfer.kind:<11} {transfer.path}" for transfer in ordered
        ]


async def measure_first_visit(browser: Browser, url: str) -> PageWeight:
    """What a first visit of ``url`` transfers, in a context of its own (an empty cache).

    The page is live once its first paint has made way for the live layout's render.
    """
    context = await browser.new_context()
    try:
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        requests: dict[str, tuple[str, str]] = {}
        sizes: dict[str, int] = defaultdict(int)
        last_event = [asyncio.get_running_loop().time()]

        def sent(event: dict[str, Any]) -> None:
            requests[event["requestId"]] = (event["request"]["url"], event.get("type", "Other"))
            last_event[0] = asyncio.get_running_loop().time()

        def finished(event: dict[str, Any]) -> None:
            sizes[event["requestId"]] = int(event["encodedDataLength"])
            last_event[0] = asyncio.get_running_loop().time()

        def failed(event: dict[str, Any]) -> None:
            requests.pop(event["requestId"], None)
            last_event[0] = asyncio.get_running_loop().time()

        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.loadingFinished", finished)
        cdp.on("Network.loadingFailed", failed)
        await cdp.send("Network.enable")
        await page.goto(url)
        await page.wait_for_selector(f"#{FIRST_PAINT_ID}", state="detached")
        async with asyncio.timeout(SETTLE_TIMEOUT_S):
            while True:  # until every request has finished and the network stayed quiet
                await asyncio.sleep(0.1)
                quiet = asyncio.get_running_loop().time() - last_event[0] >= QUIET_S
                if quiet and len(sizes) >= len(requests):
                    break
        transfers = tuple(
            Transfer(_shown(requests[request_id][0]), requests[request_id][1].lower(), size)
            for request_id, size in sizes.items()
            if request_id in requests
        )
        return PageWeight(urlsplit(url).path, transfers)
    finally:
        await context.close()


def _shown(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
