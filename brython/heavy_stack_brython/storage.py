"""The browser's local and session storage (strings only)."""

from reactpy_bridge import called_from_reactpy

try:
    from browser import window  # type: ignore[import-not-found]
except ImportError:  # on the server
    window = None


def _store(session: bool):  # type: ignore[no-untyped-def]
    return window.sessionStorage if session else window.localStorage


@called_from_reactpy
def get_item(*, key: str, session: bool = False) -> str | None:
    return _store(session).getItem(key)


@called_from_reactpy
def set_item(*, key: str, value: str, session: bool = False) -> None:
    _store(session).setItem(key, value)


@called_from_reactpy
def remove_item(*, key: str, session: bool = False) -> None:
    _store(session).removeItem(key)
