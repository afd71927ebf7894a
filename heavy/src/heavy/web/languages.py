"""Each request's language, and the switcher's route that keeps a visitor's choice.

Every request (page loads and websocket handshakes alike) gets its ``Language`` before the
product's routes and the pages run: the cookie's choice, else ``Accept-Language``'s best match
(``heavy.i18n``). It is the current language of the request's task, so the first paint and the
live connection's layout and handlers speak it, and ``request.ctx.heavy_language`` holds it.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from heavy.i18n import LANGUAGE_COOKIE, LANGUAGE_PATH, Language, Languages, speak
from heavy.web.redirects import safe_next_path
from sanic import HTTPResponse, Request, Sanic, redirect, text

# A choice is kept for a year; choosing again renews it.
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
MAX_COOKIE_VALUE = 35  # longer than any language code


def install_languages(app: Sanic[Any, Any], languages: Languages, *, secure_cookie: bool) -> None:
    """Choose each request's language, and answer ``LANGUAGE_PATH?to=de&next=/notes``."""

    async def choose_language(request: Request) -> None:
        language = language_of(request, languages)
        request.ctx.heavy_language = language
        speak(language)

    async def switch_language(request: Request) -> HTTPResponse:
        code = request.args.get("to", "")
        if code not in languages:
            spoken = ", ".join(languages)
            return text(f"This site does not speak {code[:MAX_COOKIE_VALUE]!r}; it speaks {spoken}.", 400)
        response = redirect(safe_next_path(request.args.get("next")), status=303)
        response.add_cookie(
            LANGUAGE_COOKIE,
            code,
            path="/",
            max_age=LANGUAGE_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=secure_cookie,
        )
        return response

    app.register_middleware(choose_language, "request")
    app.add_route(switch_language, LANGUAGE_PATH, name="heavy_switch_language")


def language_of(request: Request, languages: Languages) -> Language:
    """The language ``request`` is answered in: its cookie's choice, else its browser's."""
    chosen = (dict.get(request.cookies, LANGUAGE_COOKIE) or [""])[0][:MAX_COOKIE_VALUE]
    return languages.choose(chosen, request.headers.get("accept-language"))


def switch_language_url(code: str, next_path: str) -> str:
    """The switcher's link to ``code``, coming back to ``next_path`` (a path of this site)."""
    return f"{LANGUAGE_PATH}?{urlencode({'to': code, 'next': next_path})}"


def language_attributes(language: Language) -> str:
    """What a page's ``<html>`` carries for ``language`` (HTML, with a leading space)."""
    return f' lang="{html.escape(language.tag)}" dir="{language.direction}"'
