"""The user's time zone, as the browser knows it."""

from reactpy_bridge import called_from_reactpy

try:
    from browser import window  # type: ignore[import-not-found]
except ImportError:  # on the server
    window = None


@called_from_reactpy
def get_timezone() -> dict[str, object]:
    """The IANA name (e.g. ``Europe/Paris``) and the current UTC offset in minutes."""
    name = window.Intl.DateTimeFormat().resolvedOptions().timeZone
    # getTimezoneOffset is minutes *behind* UTC: flip the sign to get the usual offset.
    return {"name": name, "offset_minutes": -window.Date.new().getTimezoneOffset()}
