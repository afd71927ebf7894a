"""The targets of issue 26, each beside the figure the run measured and the one it started from.

Each measurement of ``python -m bench`` fills its row through one of the constructors below;
a figure the run does not measure stays ``None`` and shows as "not measured", never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Target:
    """One target: what it asks, where it started, what this run measured, and whether it holds.
    ``measured`` and ``met`` are ``None`` when the run did not measure it."""

    name: str
    goal: str
    was: str
    measured: str | None
    met: bool | None

    @property
    def verdict(self) -> str:
        if self.met is None:
            return NOT_MEASURED
        return "met" if self.met else "not met"


def click_cpu_target(ratio: float | None, latency_ratio: float | None = None) -> Target:
    """The database click's server CPU as a multiple of the stock ReactPy counter click's.
    ``latency_ratio`` (their p50 round trips) is shown beside "not measured" when CPU was not."""
    target = _at_most(
        "CPU per database click, × stock ReactPy counter click", "3.6× (p50 3.1×)", ratio, 1.2, "{:.2f}×"
    )
    if ratio is None and latency_ratio is not None:
        return replace(target, measured=f"{NOT_MEASURED} (p50 round trips: {latency_ratio:.2f}×)")
    return target


def idle_memory_target(kib_per_page: float | None) -> Target:
    """Server memory per idle page with 1,000 open."""
    return _at_most(
        "Memory per idle page at 1,000 pages", "137 KiB (peer run) / 153 KiB", kib_per_page, 64, "{:,.0f} KiB"
    )


def open_close_target(growth_mb: float | None) -> Target:
    """RSS once 10,000 opened and closed connections are gone, against where it started."""
    target = _at_most("RSS after 10,000 pages opened and closed", "+188 MB", growth_mb, 5, "{:+,.1f} MB")
    met = None if growth_mb is None else abs(growth_mb) <= 5  # within 5 MB either way
    return replace(target, goal="within 5 MB of the start", met=met)


def first_visit_target(kilobytes: float | None) -> Target:
    """Bytes an empty-cache first visit of the landing page transfers (Chromium)."""
    return _at_most("Empty-cache first visit, transferred", "321 KB", kilobytes, 120, "{:,.0f} KB")


def _at_most(name: str, was: str, value: float | None, limit: float, shown: str) -> Target:
    """A target met when ``value`` is at most ``limit``; ``shown`` formats both."""
    goal = f"≤ {limit:g}{shown.rsplit('}', 1)[1]}"  # the limit, in the figure's unit
    if value is None:
        return Target(name, goal, was, None, None)
    return Target(name, goal, was, shown.format(value), value <= limit)


def replay_target(users: int, failures: int | None, p95_ms: float | None, answered: bool = True) -> Target:
    """The demo recording replayed by 500 users against one worker; ``answered``: whether the
    replay recorded any answered event (a replay that recorded none has no verdict)."""
    measured = None if failures is None or p95_ms is None else f"{failures} failures, p95 {p95_ms:,.0f} ms"
    target = Target(
        f"{users} replayed users on one worker",
        "0 failures, p95 ≤ 50 ms",
        "63 failures, p95 510 ms",
        measured,
        None if measured is None else failures == 0 and (p95_ms or 0) <= 50,
    )
    if measured is not None and not answered:
        return replace(target, measured=f"{NOT_MEASURED} (the replay recorded no answered event)", met=None)
    return target


@dataclass(frozen=True)
class NextLoad:
    """The demo replayed by twice the target's users: how it went and what gave first."""

    failures: int
    p95_ms: float
    limit: str  # what failed first and whose CPU was the limit, in words


def next_limit_target(users: int, load: NextLoad | None) -> Target:
    """Not a target but the next limit: what fails first at ``users`` replayed users, and why."""
    measured = None
    if load is not None:
        measured = f"{load.failures} failures, p95 {load.p95_ms:,.0f} ms; first: {load.limit}"
    found = None if measured is None else True  # the question is answered once it ran
    return Target(
        f"{users:,} replayed users on one worker", "what fails first, and why", "not run", measured, found
    )


@dataclass(frozen=True)
class Figures:
    """This run's figures for the targets; each measurement fills its own, the rest stay None."""

    click_cpu_ratio: float | None = None  # server CPU per click, database click / stock counter
    click_latency_ratio: float | None = None  # their p50 round trips, shown when CPU is not measured
    idle_kib_per_page: float | None = None  # at 1,000 idle pages
    open_close_growth_mb: float | None = None  # RSS after 10,000 pages opened and closed, minus before
    first_visit_kb: float | None = None  # an empty-cache first visit in Chromium
    replay_users: int = 500
    replay_failures: int | None = None  # the demo replayed by replay_users against one worker
    replay_p95_ms: float | None = None
    replay_answered: bool = True  # False: the replay ran but recorded no answered event
    next_load: NextLoad | None = None  # the demo replayed by twice replay_users


def issue_targets(figures: Figures) -> list[Target]:
    """Issue 26's targets, in its order, with this run's figures."""
    return [
        click_cpu_target(figures.click_cpu_ratio, figures.click_latency_ratio),
        idle_memory_target(figures.idle_kib_per_page),
        open_close_target(figures.open_close_growth_mb),
        first_visit_target(figures.first_visit_kb),
        replay_target(
            figures.replay_users, figures.replay_failures, figures.replay_p95_ms, figures.replay_answered
        ),
        next_limit_target(2 * figures.replay_users, figures.next_load),
    ]


def targets_table(targets: list[Target]) -> list[str]:
    """The targets as a markdown table."""
    lines = ["| target | goal | at the start | this run | |", "| --- | --- | --- | --- | --- |"]
    for target in targets:
        lines.append(
            f"| {target.name} | {target.goal} | {target.was} | {target.measured or NOT_MEASURED} "
            f"| {target.verdict} |"
        )
    return lines
