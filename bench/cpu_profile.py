"""``python -m bench.cpu_profile``: where a click's server CPU goes, sampled on CPU time.

py-spy samples on wall time. A server that has just woken another process (its websocket
answer to the client, a query to PostgreSQL) is often runnable but not running for a while,
and py-spy counts those samples at the system call: on the bench machine half of its samples of
a "Read again" click fell on the websocket send and asyncpg's write, where ``/proc`` gives the
process 50 µs of system time per click of about 700. This profiler samples on the process's
CPU clock instead (``setitimer(ITIMER_PROF)``: a SIGPROF per tick of CPU time, whose handler
records the Python stack), so a frame's share of the samples is its share of the CPU.

It serves the app with the sampler in the server process (``python -m bench.cpu_profile
serve``), clicks a landing page button from this process (warm-up clicks first, not sampled),
writes the stacks collapsed, one ``frame;frame;... count`` per line (py-spy's ``--format raw``,
for any flame graph tool), and prints the frames that take most, in µs per click.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
import tempfile
from collections import Counter
from pathlib import Path
from types import FrameType

from heavy.testing.page_driver import WebSocketPage

from bench.measure import tree_cpu_sample

OUTPUT_VARIABLE = "BENCH_CPU_PROFILE_OUTPUT"
NAVIGATE = "navigate"  # --button value: navigate / -> /other -> / instead of clicking
CONNECT = "connect"  # --button value: open another page over a new websocket, then close it
TYPE = "type"  # --button value: a keystroke in the echo field, which the server does not answer
KEYSTROKES_PER_CHECK = 20  # after as many keystrokes, a submit shows the server has taken them all
TICK_S = 0.001  # asked for; the kernel delivers SIGPROF at its own tick (4 ms at HZ=250)


def serve_sampled() -> None:
    """The app's server, sampling while SIGUSR2 has switched it on; written at the next SIGUSR2."""
    samples: Counter[str] = Counter()
    sampling = False

    def sample(_signal: int, frame: FrameType | None) -> None:
        if sampling:
            samples[";".join(reversed(list(_frames(frame))))] += 1

    def switch(_signal: int, _frame: FrameType | None) -> None:
        nonlocal sampling
        sampling = not sampling
        if not sampling:
            lines = (f"{stack} {count}\n" for stack, count in samples.items())
            Path(os.environ[OUTPUT_VARIABLE]).write_text("".join(lines))

    signal.signal(signal.SIGPROF, sample)
    signal.signal(signal.SIGUSR2, switch)
    signal.setitimer(signal.ITIMER_PROF, TICK_S, TICK_S)
    # Imported once the sampler is set: the app's start-up is sampled like the rest.
    from heavy_stack.__main__ import main

    main([])


def _frames(frame: FrameType | None) -> list[str]:
    found = []
    while frame is not None:
        code = frame.f_code
        found.append(f"{code.co_qualname} ({code.co_filename}:{frame.f_lineno})")
        frame = frame.f_back
    return found


async def profile(button: str, clicks: int, output: Path) -> float:
    """Sample the server while ``clicks`` clicks of ``button`` run; its CPU µs per click.
    ``output``: an absolute path (the server runs in a folder of its own). ``button``
    ``NAVIGATE`` makes each "click" a round trip: to ``/other`` and back to the landing page;
    ``CONNECT`` a new page: websocket handshake, the landing page, the close; ``TYPE`` a
    keystroke sent as a page without held typing sends it (every ``KEYSTROKES_PER_CHECK``, a
    submit that waits for all of them), back to back."""
    from bench.__main__ import serve  # here: `python -m bench.cpu_profile serve` needs none of it

    with tempfile.TemporaryDirectory(prefix="heavy-stack-profile-") as name:
        environment = {OUTPUT_VARIABLE: str(output)}
        with serve(Path(name), "profiled", "bench.cpu_profile", "serve", environment=environment) as server:
            async with WebSocketPage.open(server.base_url) as page:
                await page.wait_for_text("current-user", "@")
                typed = 0

                async def click() -> None:
                    if button == CONNECT:
                        async with WebSocketPage.open(server.base_url) as other:
                            await other.wait_for_text("current-user", "@")
                        return
                    if button == TYPE:
                        nonlocal typed
                        typed += 1
                        await page.type("echo-input", f"keystroke {typed}")
                        if typed % KEYSTROKES_PER_CHECK == 0:
                            await page.submit("echo-form")
                            await page.wait_for_text("echo-result", f"keystroke {typed}")
                        return
                    if button == NAVIGATE:
                        await page.navigate("/other")
                        await page.wait_for_element("to-landing")
                        await page.navigate("/")
                        await page.wait_for_text("current-user", "@")
                        return
                    await page.click(button)
                    await page.receive()

                for _ in range(300):
                    await click()
                os.kill(server.process.pid, signal.SIGUSR2)
                before = tree_cpu_sample(server.process.pid).cpu_seconds
                for _ in range(clicks):
                    await click()
                cpu_s = tree_cpu_sample(server.process.pid).cpu_seconds - before
                os.kill(server.process.pid, signal.SIGUSR2)
                for _ in range(100):  # the server writes the samples between two messages
                    await asyncio.sleep(0.05)
                    if await asyncio.to_thread(output.exists):
                        break
    return cpu_s * 1e6 / clicks


def top_frames(collapsed: str, us_per_click: float, count: int) -> list[str]:
    """The frames with most samples, in themselves and with what they call, in µs per click."""
    own: Counter[str] = Counter()
    within: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, number = line.rpartition(" ")
        frames = [_short(frame) for frame in stack.split(";")]
        own[frames[-1]] += int(number)
        for frame in set(frames):
            within[frame] += int(number)
    total = sum(own.values()) or 1
    lines = [f"{total} samples, {us_per_click:.0f} µs of server CPU per click", "", "in itself:"]
    lines += [f"{n / total:6.1%} {n / total * us_per_click:5.0f} µs  {f}" for f, n in own.most_common(count)]
    lines += ["", "with what it calls:"]
    lines += [
        f"{n / total:6.1%} {n / total * us_per_click:5.0f} µs  {f}" for f, n in within.most_common(count)
    ]
    return lines


# What a frame's file path starts with that says nothing: a library's or the project's folder.
_FOLDERS = re.compile(r"^.*/(site-packages|src)/|^.*/lib/python3\.\d+/|^" + re.escape(f"{Path.cwd()}/"))


def _short(frame: str) -> str:
    # "name (/long/path/site-packages/pkg/mod.py:12)" -> "name (pkg/mod.py)"
    name, _, place = frame.partition(" (")
    return f"{name} ({_FOLDERS.sub('', place.rsplit(':', 1)[0])})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu_profile", description=__doc__)
    parser.add_argument("mode", nargs="?", choices=["serve"], help="(inside the server process)")
    parser.add_argument(
        "--button",
        default="read-user",
        help=f"the landing page button to click, or {NAVIGATE!r}, {CONNECT!r} or {TYPE!r}",
    )
    parser.add_argument("--clicks", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=Path("test-artifacts/cpu-profile.txt"))
    parser.add_argument("--top", type=int, default=40, help="how many frames to print")
    args = parser.parse_args(argv)
    if args.mode == "serve":
        serve_sampled()
        return
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.unlink(missing_ok=True)
    us_per_click = asyncio.run(profile(args.button, args.clicks, args.output.resolve()))
    print("\n".join(top_frames(args.output.read_text(), us_per_click, args.top)))
    print(f"\nCollapsed stacks: {args.output}")


if __name__ == "__main__":
    main(sys.argv[1:])
