"""Read JSON with comments and trailing commas (JSONC), as VS Code and dev containers write it."""

from __future__ import annotations

import json
from typing import Any


def loads(text: str) -> Any:
    """Parse JSONC: ``//`` and ``/* */`` comments and trailing commas are allowed."""
    return json.loads(_without_trailing_commas(_without_comments(text)))


def _without_comments(text: str) -> str:
    out: list[str] = []
    index, in_string = 0, False
    while index < len(text):
        char = text[index]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(text[index + 1 : index + 2])
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", index):
            index = _end_of(text, "\n", index) - 1  # keep the newline
        elif text.startswith("/*", index):
            index = _end_of(text, "*/", index)
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _end_of(text: str, marker: str, start: int) -> int:
    found = text.find(marker, start + 2)
    return len(text) if found == -1 else found + len(marker) - 1


def _without_trailing_commas(text: str) -> str:
    out: list[str] = []
    in_string, escaped = False, False
    for index, char in enumerate(text):
        if in_string:
            in_string = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            in_string = True
        elif char == "," and text[index + 1 :].lstrip()[:1] in ("}", "]"):
            continue
        out.append(char)
    return "".join(out)
