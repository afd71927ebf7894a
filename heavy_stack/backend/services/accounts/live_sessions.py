"""``LiveSessions``: the live pages of each session open in this process, and ending them.

A session ended by its owner from another browser, or by a password reset, or by deleting the
account, must not stay on screen until its page's next click: its pages go to the sign-in page
within seconds, on whichever instance serves them.

- Every live page of a signed-in session ``watch``es its session's digest here.
- An end made in this process reaches its pages at once (``end``, after the commit).
- Ends made elsewhere leave a short-lived mark in the session store (``SessionStore.mark_ended``);
  each process looks for marks among the sessions it watches every ``WATCH_SECONDS`` (``sweep``,
  a job): one query for all of its pages, however many.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from heavy_stack.shared_models.user_session import SessionPurpose

logger = logging.getLogger(__name__)

# How often each process looks for sessions ended elsewhere.
WATCH_SECONDS = 2.0

# What a live page does when its session ends, told why.
EndPage = Callable[[SessionPurpose | None], None]


@dataclass
class LiveSessions:
    """This process's live pages, by the digest of their session's token."""

    _pages: dict[str, dict[int, EndPage]] = field(default_factory=dict)
    _next_id: int = 0

    def watch(self, token_digest: str, end_page: EndPage) -> Callable[[], None]:
        """Call ``end_page`` when the session ends; returns what stops watching."""
        self._next_id += 1
        page_id = self._next_id
        self._pages.setdefault(token_digest, {})[page_id] = end_page

        def unwatch() -> None:
            pages = self._pages.get(token_digest)
            if pages is not None:
                pages.pop(page_id, None)
                if not pages:
                    del self._pages[token_digest]

        return unwatch

    @property
    def watched(self) -> list[str]:
        return list(self._pages)

    def end(self, token_digests: dict[str, SessionPurpose | None]) -> int:
        """Send the live pages of these sessions away, each told why; how many there were."""
        ended = 0
        for digest, why in token_digests.items():
            for end_page in list(self._pages.pop(digest, {}).values()):
                ended += 1
                try:
                    end_page(why)
                except Exception:  # one page's failure must not keep the others open
                    logger.exception("Could not end a live page of an ended session")
        return ended
