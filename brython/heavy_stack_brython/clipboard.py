"""Copy text to the clipboard."""

from reactpy_bridge import called_from_reactpy

try:
    from browser import window  # type: ignore[import-not-found]
except ImportError:  # on the server
    window = None


@called_from_reactpy
def copy_to_clipboard(*, text: str):  # type: ignore[no-untyped-def]
    """A promise of True once copied, False when the browser refuses (no permission, no focus)."""
    clipboard = window.navigator.clipboard
    if not clipboard:
        return False
    return clipboard.writeText(text).then(lambda _: True, lambda _: False)
