"""Read a class's generic arguments, so a layer names its model or repository only once."""

from __future__ import annotations

from typing import get_args


def generic_argument(cls: type, index: int, kind: type) -> type | None:
    """The ``index``-th argument of ``cls``'s generic bases that is a subclass of ``kind``.

    ``class NoteRepository(Repository[SQLNote, NoteId])`` gives ``SQLNote`` for index 0
    and kind ``SQLModel``; a base still generic (a ``TypeVar`` there) gives None.
    """
    for base in getattr(cls, "__orig_bases__", ()):
        arguments = get_args(base)
        if -len(arguments) <= index < len(arguments):
            argument = arguments[index]
            if isinstance(argument, type) and issubclass(argument, kind):
                return argument
    return None
