"""Edit source files the way editors save them, and wait for a process to log that it noticed."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

LOG_TIMEOUT = 15.0


def save_like_an_editor(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new``: write a new file, then rename it over ``path``.

    Many editors save this way, which watchers of the original file miss.
    """
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    replacement = path.with_name(path.name + ".saving")
    replacement.write_text(text.replace(old, new))
    os.replace(replacement, path)


def wait_for_log(
    read_log: Callable[[], str],
    text: str,
    timeout: float = LOG_TIMEOUT,
    process: subprocess.Popen[bytes] | None = None,
) -> str:
    """Poll ``read_log()`` until it contains ``text``; returns the log.

    Gives up at once if ``process`` (the one writing the log) has exited.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in (log := read_log()):
            return log
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in the log:\n{read_log()}")
