"""``python -m bench.sign_in``: how long signing in takes, on this machine.

1. argon2id alone: hashing a password and verifying it (the parameters the app uses);
2. a full sign-in against a real server (throwaway embedded PostgreSQL): the sign-in form's
   submit over the websocket until the page names its hand-off link, then the HTTP hand-off
   (ticket for cookie), then a new websocket until the page shows the signed-in user.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from heavy.testing.cookie_browser import CookieBrowser
from heavy.testing.page_driver import WebSocketPage

from heavy_stack.backend.services.accounts import passwords
from heavy_stack_testing.brython import wait_for_navigation
from heavy_stack_testing.product import live_server

PASSWORD = "correct horse battery"


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(value * 1000 for value in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"{name:<42} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   (n={len(ms)})"


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


async def argon2_times(rounds: int) -> None:
    stored = await passwords.hash_password(PASSWORD)
    hashes = [await timed(lambda: passwords.hash_password(PASSWORD)) for _ in range(rounds)]
    verifies = [await timed(lambda: passwords.verify_password(stored, PASSWORD)) for _ in range(rounds)]
    print(summary("argon2id hash", hashes))
    print(summary("argon2id verify", verifies))


async def sign_in_times(base_url: str, rounds: int) -> None:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    browser = CookieBrowser(base_url)
    async with browser.open_page("/sign-up") as page:
        for field, value in (
            ("sign-up-email", email),
            ("sign-up-name", "Bench"),
            ("sign-up-password", PASSWORD),
        ):
            await page.type(field, value)
        await page.submit("sign-up-form")
        await wait_for_navigation(page)
    checks, handoffs, reconnects = [], [], []
    for _ in range(rounds):
        visitor = CookieBrowser(base_url)
        async with visitor.open_page("/sign-in") as page:
            await page.type("sign-in-email", email)
            await page.type("sign-in-password", PASSWORD)
            start = time.perf_counter()
            await page.submit("sign-in-form")
            link = await wait_for_navigation(page)
            checks.append(time.perf_counter() - start)
        start = time.perf_counter()
        await asyncio.to_thread(visitor.get, link)
        handoffs.append(time.perf_counter() - start)
        start = time.perf_counter()
        async with WebSocketPage.open(base_url, headers={"Cookie": visitor.cookie_header()}) as signed_in:
            await signed_in.wait_for_element("signed-in-as")
        reconnects.append(time.perf_counter() - start)
    print(summary("submit -> hand-off link (websocket)", checks))
    print(summary("hand-off link -> cookie (HTTP)", handoffs))
    print(summary("new websocket -> signed-in page", reconnects))
    total = [a + b + c for a, b, c in zip(checks, handoffs, reconnects, strict=True)]
    print(summary("sign-in, end to end", total))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sign_in", description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(argon2_times(args.rounds))
    with (
        tempfile.TemporaryDirectory() as data_dir,
        live_server({"DATA_DIR": data_dir}, Path(data_dir) / "server.log") as server,
    ):
        asyncio.run(sign_in_times(server.base_url, args.rounds))


if __name__ == "__main__":
    main()
