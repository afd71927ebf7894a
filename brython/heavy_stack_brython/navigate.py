"""Leave the page: go to a URL here, or open one in a new tab."""

from reactpy_bridge import called_from_reactpy

try:
    from browser import window  # type: ignore[import-not-found]
except ImportError:  # on the server
    window = None


@called_from_reactpy
def navigate_to(*, url: str) -> None:
    window.location.href = url


@called_from_reactpy
def open_new_tab(*, url: str) -> None:
    # noopener: the new page gets no handle on this one.
    window.open(url, "_blank", "noopener")
