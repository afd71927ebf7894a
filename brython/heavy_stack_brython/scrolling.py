"""Scroll the page."""

from reactpy_bridge import called_from_reactpy

try:
    from browser import document, window  # type: ignore[import-not-found]
except ImportError:  # on the server
    document = window = None


@called_from_reactpy
def scroll_to_element(*, element_id: str, smooth: bool = True) -> bool:
    """Scroll until the element is in view; False when there is no such element."""
    element = document.getElementById(element_id)
    if element is None:
        return False
    element.scrollIntoView({"behavior": "smooth" if smooth else "auto", "block": "start"})
    return True


@called_from_reactpy
def scroll_to_top(*, smooth: bool = True) -> None:
    window.scrollTo({"top": 0, "behavior": "smooth" if smooth else "auto"})
