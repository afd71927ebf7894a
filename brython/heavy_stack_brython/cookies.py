"""Cookies that scripts may see: HttpOnly cookies (such as a session cookie) never show here."""

from reactpy_bridge import called_from_reactpy

try:
    from browser import document, window  # type: ignore[import-not-found]
except ImportError:  # on the server
    document = window = None


@called_from_reactpy
def get_cookie(*, name: str) -> str | None:
    for pair in document.cookie.split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name:
            return window.decodeURIComponent(value)
    return None


@called_from_reactpy
def set_cookie(*, name: str, value: str, max_age_seconds: int = 31_536_000, same_site: str = "Lax") -> None:
    encoded = window.encodeURIComponent(value)
    secure = "; Secure" if window.location.protocol == "https:" else ""
    document.cookie = f"{name}={encoded}; Max-Age={max_age_seconds}; Path=/; SameSite={same_site}{secure}"


@called_from_reactpy
def delete_cookie(*, name: str) -> None:
    document.cookie = f"{name}=; Max-Age=0; Path=/"
