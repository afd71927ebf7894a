"""Where a redirect may send a browser back to: a path of this site, never another site."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

MAX_NEXT_PATH = 300


def safe_next_path(next_path: str | None) -> str:
    """``next_path`` if a browser would stay on this site with it, else ``/`` (no open redirect).

    Decided as a browser resolves it: dot segments (``.``, ``..``, ``%2e`` and the like) are
    removed first, and what is left must start with a single ``/``; ``/..//evil.example`` would
    otherwise reach ``//evil.example``. The resolved path is returned, so what goes out in
    ``Location`` is what was checked. Refused outright: backslashes (browsers read them as
    ``/``), and control, format and line-separator characters, typed or percent-encoded.
    """
    if not next_path or len(next_path) > MAX_NEXT_PATH or not next_path.startswith("/"):
        return "/"
    if "\\" in next_path or _has_invisible_characters(next_path + unquote(next_path, errors="replace")):
        return "/"
    path, separator, rest = _split_query(next_path)
    resolved = _remove_dot_segments(path)
    if resolved.startswith("//"):
        return "/"
    return resolved + separator + rest


# Control (C0, C1), format (bidi overrides, zero-width) and line/paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_DOT_SEGMENTS = {".": ".", "%2e": ".", "..": "..", ".%2e": "..", "%2e.": "..", "%2e%2e": ".."}


def _has_invisible_characters(text: str) -> bool:
    return any(unicodedata.category(character) in _INVISIBLE_CATEGORIES for character in text)


def _split_query(url: str) -> tuple[str, str, str]:
    """The path, and the ``?`` or ``#`` that ends it with what follows (empty when none)."""
    ends = [index for index in (url.find("?"), url.find("#")) if index >= 0]
    if not ends:
        return url, "", ""
    end = min(ends)
    return url[:end], url[end], url[end + 1 :]


def _remove_dot_segments(path: str) -> str:
    """A path's segments with ``.`` and ``..`` applied, as the URL standard does."""
    segments = path.split("/")[1:]
    kept: list[str] = []
    for position, segment in enumerate(segments, start=1):
        dots = _DOT_SEGMENTS.get(segment.lower())
        if dots is None:
            kept.append(segment)
            continue
        if dots == ".." and kept:
            kept.pop()
        if position == len(segments):  # "/a/." and "/a/b/.." end with a slash
            kept.append("")
    return "/" + "/".join(kept)
