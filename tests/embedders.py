"""The embedders the notes tests run on: the shipped hashed one, and the semantic extra."""

from __future__ import annotations

EMBEDDER_NAMES = ("hashed", "wordllama")
