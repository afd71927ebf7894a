"""A failed test's server logs: what each server that ran beside it wrote meanwhile.

The plugin (``heavy.testing.plugin``) marks, before a test's fixtures are set up, how far the
log of each running server (``live_server``) had got. When a phase of the test fails, every
server that ran during it (running at the mark, or started since) gets a section in the
report, pytest's ``TestReport.sections``, shown with the failure as captured output is: the
last lines it wrote since the mark, and where all of them were saved (under
``test-artifacts/servers/<test>/``, which outlives pytest's temporary folders and which CI
prints).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from heavy.testing.live_server import LiveServer, started_servers

# Lines of each server's log in the report itself; the saved file has them all.
SHOWN_LINES = 100


@dataclass(frozen=True)
class LogMark:
    """How far the servers' logs had got when a test began."""

    started_before: int  # servers started in this process until then
    offsets: Mapping[int, int]  # of the servers running then: index -> size of its log


def mark_logs() -> LogMark:
    """Where each running server's log ends now."""
    servers = started_servers()
    running = {index: _size(server.log_path) for index, server in enumerate(servers) if _running(server)}
    return LogMark(len(servers), running)


def logs_since(mark: LogMark) -> list[tuple[LiveServer, str]]:
    """Each server that ran since ``mark``, with what it wrote since, oldest server first."""
    servers = started_servers()
    since = {**mark.offsets, **dict.fromkeys(range(mark.started_before, len(servers)), 0)}
    return [(servers[index], _read_from(servers[index].log_path, offset)) for index, offset in since.items()]


def report_sections(logs: list[tuple[LiveServer, str]], folder: Path) -> list[tuple[str, str]]:
    """Save each log's text in ``folder``; a report section per server (title, text) naming it."""
    sections = []
    for number, (server, text) in enumerate(logs, start=1):
        saved = folder / f"{number}-{server.log_path.name}"
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(text)
        lines = text.splitlines()
        shown = f"the last {SHOWN_LINES} of {len(lines)}" if len(lines) > SHOWN_LINES else "all"
        heading = f"{len(lines)} lines written during the test, saved in {saved} ({shown} below):"
        sections.append((f"server log {server.base_url}", "\n".join([heading, *lines[-SHOWN_LINES:]])))
    return sections


def artifacts_folder(artifacts_dir: Path, nodeid: str) -> Path:
    """The folder of a test's saved logs, named after its node id (parameters may hold ``/``)."""
    return artifacts_dir / "servers" / re.sub(r"[^\w.\[\]-]+", "_", nodeid)


def _running(server: LiveServer) -> bool:
    return server.process.poll() is None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _read_from(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")
    except FileNotFoundError:
        return ""
