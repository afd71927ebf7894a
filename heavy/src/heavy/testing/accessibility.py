"""axe-core in the browser: the accessibility problems a page has, for a test to assert none.

axe-core (Deque's rules engine, MPL-2.0) comes bundled in the Python package
``axe-playwright-python`` (the ``testing`` extra), so the tests need no Node and no file copied
into the project. It runs on the page as the browser shows it now: run it again after a change
of theme, size or state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.async_api import Page

SERIOUS = frozenset({"serious", "critical"})
"""The impacts a page must not have (axe's others: ``minor``, ``moderate``)."""


@dataclass(frozen=True)
class Violation:
    """One of axe's rules that the page breaks, and where."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}): {self.help} at {', '.join(self.targets)}"


async def accessibility_violations(page: Page, impacts: frozenset[str] = SERIOUS) -> list[Violation]:
    """What axe-core finds on ``page`` as it is now, of the given ``impacts``."""
    # Injected once per document (a page keeps it across changes of size and theme).
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(AXE_SCRIPT)
    found: list[dict[str, Any]] = await page.evaluate(
        "axe.run({resultTypes: ['violations']}).then(r => r.violations)"
    )
    return [
        Violation(
            rule=violation["id"],
            impact=str(violation["impact"]),
            help=violation["help"],
            targets=tuple(str(node["target"]) for node in violation["nodes"]),
        )
        for violation in found
        if violation["impact"] in impacts
    ]
