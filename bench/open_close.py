"""Pages opened and closed by the thousand: does the server give the memory back? (issue 26)

A warm-up of the same traffic first (the process reaches the size its allocators settle at:
pymalloc's arenas, glibc's heap), then ``pages`` landing pages opened and closed, ``batch`` at a
time; the server's RSS before and after, each read once the closed pages are gone. A closed
page is freed as it closes (``LiveWebSocketProtocol``, ``LiveHook.forget``: docs/benchmarks.md,
"Memory"); each reading still waits past the timers Sanic starts at a close (its abort of the
transport, ``websocket_timeout``: 10 s), so that nothing a closed page left is in use then.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage

from bench.measure import rss_kb

SETTLE_S = 12.0  # past Sanic's 10 s abort timer, the last thing a close starts
TARGET_MB = 5.0


@dataclass(frozen=True)
class OpenClose:
    """RSS (KiB) once the warm-up's pages are gone, and once the measured ones are."""

    pages: int
    warmup: int
    batch: int
    start_kb: int
    after_kb: int

    @property
    def growth_mb(self) -> float:
        return (self.after_kb - self.start_kb) * 1024 / 1e6


async def open_and_close(base_url: str, pages: int, batch: int) -> None:
    """Open ``pages`` landing pages (each rendered, its route too) and close them, ``batch`` at once."""

    async def visit() -> None:
        async with WebSocketPage.open(base_url, timeout=60):
            pass

    done = 0
    while done < pages:
        now = min(batch, pages - done)
        await asyncio.gather(*(visit() for _ in range(now)))
        done += now


async def measure_open_close(server: LiveServer, pages: int, warmup: int, batch: int) -> OpenClose:
    """RSS before and after ``pages`` opened and closed, past a warm-up of ``warmup`` of them."""
    await open_and_close(server.base_url, warmup, batch)
    await asyncio.sleep(SETTLE_S)
    start = rss_kb(server.process.pid)
    await open_and_close(server.base_url, pages, batch)
    await asyncio.sleep(SETTLE_S)
    return OpenClose(pages, warmup, batch, start, rss_kb(server.process.pid))


def open_close_line(result: OpenClose) -> str:
    """The check in words: start, after, the difference and the target."""
    verdict = "met" if abs(result.growth_mb) <= TARGET_MB else "not met"
    return (
        f"Opened and closed {result.pages:,} landing pages, {result.batch} at a time, after "
        f"{result.warmup:,} to warm up: server RSS {result.start_kb * 1024 / 1e6:,.1f} MB before, "
        f"{result.after_kb * 1024 / 1e6:,.1f} MB after, {result.growth_mb:+,.1f} MB "
        f"(target: within {TARGET_MB:g} MB; {verdict})."
    )


IDLE_TARGET_KIB = 64
IDLE_AT_START_KIB = 153


def idle_memory_line(kib_per_page: float | None, pages: int = 1000) -> str:
    """KiB per idle page at ``pages`` open, beside the target and where it started."""
    if kib_per_page is None:
        return f"KiB per idle page at {pages:,}: not measured"
    return (
        f"KiB per idle page at {pages:,}: {kib_per_page:,.0f} (target ≤ {IDLE_TARGET_KIB}; "
        f"was {IDLE_AT_START_KIB})"
    )
