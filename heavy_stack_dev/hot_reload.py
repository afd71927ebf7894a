"""Hot reload: apply saved Python changes to the running server and re-render the open pages.

``python -m heavy_stack --hot-reload`` (what ``make dev`` runs) calls ``start()`` before serving:

- jurigged watches the package's files and, on each save, swaps the changed functions' code in
  place. Objects keep their identity, so a component's function is still "the same" component
  to ReactPy and its hook state survives.
- After each applied save, every open page re-renders from its root (``heavy.LiveLayout.rerender_all``), so what
  the browser shows comes from the new code, over the websocket it already has.
- Watching polls the files: editors that save by writing a new file and renaming it over the old
  one go unnoticed by inotify-style watchers on the original file.
- What jurigged cannot apply is logged as a warning or an error that says to restart.

It needs the server in one process: with worker processes, the code that serves is not the code
being patched.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jurigged
from heavy import LiveLayout
from jurigged.codetools import (
    AddOperation,
    ClassDefinition,
    DeleteOperation,
    FunctionDefinition,
    LineDefinition,
    UpdateOperation,
)

logger = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 0.5
SERVER_RESTART_HINT = "restart the server (Ctrl+C, then `make dev`) if the running code is out of step"


class ChangeLogger:
    """Turns jurigged's events into log lines; knows which file is being applied."""

    def __init__(self, restart_hint: str) -> None:
        self._current = threading.local()
        self._restart_hint = restart_hint

    def applying(self, path: str, _codefile: object = None) -> None:
        """Remember the file whose changes follow (jurigged's ``prerun`` event)."""
        self._current.path = path

    def __call__(self, event: object) -> None:
        """Log one jurigged event (an operation, a watched file, or an error)."""
        if isinstance(event, BaseException):
            self._log_error(event)
        elif isinstance(event, AddOperation | DeleteOperation):
            self._log_addition_or_deletion(event)
        elif isinstance(event, UpdateOperation) and isinstance(event.defn, FunctionDefinition):
            logger.info("Hot reload: %s", event)
        else:
            logger.debug("Hot reload: %s", event)  # watched files, enclosing modules and classes

    def _log_error(self, error: BaseException) -> None:
        where = getattr(self._current, "path", "a watched file")
        if isinstance(error, SyntaxError):
            logger.error("Hot reload: %s has a syntax error (line %s): %s", where, error.lineno, error.msg)
            return
        logger.error("Hot reload could not apply %s: %r; %s.", where, error, self._restart_hint)

    def _log_addition_or_deletion(self, event: AddOperation | DeleteOperation) -> None:
        defn = event.defn
        if isinstance(defn, LineDefinition) and isinstance(defn.parent, ClassDefinition):
            # Fields of dataclasses, Pydantic and SQL models are read once, when the class is made.
            logger.warning(
                "Hot reload: %s changed a class body (%s): classes that read their fields when "
                "they are created (models, dataclasses) do not see it; %s.",
                event,
                defn.parent.dotpath(),
                self._restart_hint,
            )
        elif isinstance(defn, LineDefinition) and not _is_import(defn):
            logger.warning(
                "Hot reload: %s: modules that imported these names keep the old values; %s.",
                event,
                self._restart_hint,
            )
        else:
            logger.info("Hot reload: %s", event)


def _is_import(defn: Any) -> bool:
    text: str = getattr(defn, "text", "") or ""
    return text.lstrip().startswith(("import ", "from "))


def _rerender_open_pages(path: str, _codefile: object = None) -> None:
    pages = LiveLayout.rerender_all()
    if pages:
        logger.info("Hot reload: re-rendering %d open page(s) after %s", pages, Path(path).name)


def watch_loaded_modules(folders: Sequence[Path]) -> None:
    """Watch the modules under ``folders`` that are imported but not watched yet.

    jurigged notices imports that go through Python's own source loader; pytest imports test
    modules through its assertion-rewriting loader, which it does not see.
    """
    roots = [folder.resolve() for folder in folders]
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and file.endswith(".py") and any(Path(file).resolve().is_relative_to(r) for r in roots):
            jurigged.registry.prepare(name, file)


def _make_objects_findable(_path: str, _codefile: object = None) -> None:
    # jurigged finds the functions to patch with gc.get_referrers, which does not see objects
    # the server froze at start-up (heavy/src/heavy/web/garbage_collection.py).
    gc.unfreeze()


def start(
    folders: Sequence[Path],
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    restart_hint: str = SERVER_RESTART_HINT,
) -> jurigged.Watcher:
    """Watch the Python files under ``folders``; changes apply and open pages re-render.

    Modules already imported are watched from their current source; modules imported later
    are picked up as they are imported. ``restart_hint`` ends the log lines about changes that
    cannot apply. Returns the watcher (``stop()`` ends it).
    """
    change_logger = ChangeLogger(restart_hint)
    watcher: jurigged.Watcher = jurigged.watch(
        [str(folder) for folder in folders], logger=change_logger, poll=poll_seconds, autostart=False
    )
    watcher.prerun.register(change_logger.applying)
    watcher.prerun.register(_make_objects_findable)
    watcher.postrun.register(_rerender_open_pages)
    watcher.start()
    logger.info(
        "Hot reload: watching %s (polling every %.1f s)", ", ".join(str(f) for f in folders), poll_seconds
    )
    return watcher
