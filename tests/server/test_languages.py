"""The real server in the visitor's language: first paint, live page, handlers, the switcher."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from heavy import LANGUAGE_COOKIE
from heavy.testing.cluster import Cluster
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage

pytestmark = pytest.mark.server


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str


def get(server: LiveServer | Cluster, path: str, **headers: str) -> Answer:
    """The answer to ``GET path``, redirects not followed."""
    address = urlsplit(server.base_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read().decode())
    finally:
        connection.close()


def test_the_first_paint_speaks_the_browsers_language(server: LiveServer) -> None:
    german = get(server, "/sign-in", **{"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}).text
    assert '<html lang="de" dir="ltr">' in german
    assert "<title>Anmelden · The Heavy Stack</title>" in german
    assert ">Passwort<" in german
    assert "Verbindung wird wiederhergestellt…" in german  # what the page script says, for its banner
    assert ">Password<" not in german
    english = get(server, "/sign-in", **{"Accept-Language": "ja,en;q=0.5"}).text
    assert '<html lang="en" dir="ltr">' in english
    assert ">Password<" in english


def test_the_development_pages_say_they_are_english(server: LiveServer) -> None:
    """The dashboard is a developer's tool, in English whatever the browser asks."""
    dashboard = get(server, "/_heavy/dashboard", **{"Accept-Language": "de"})
    assert dashboard.status == 200
    assert '<html lang="en">' in dashboard.text


def test_the_switcher_keeps_the_choice_and_goes_back(server: LiveServer) -> None:
    response = get(server, "/_heavy/language?to=de&next=/notes%3Fdeleted%3D1")
    assert response.status == 303
    assert response.headers["Location"] == "/notes?deleted=1"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=de;")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # The choice wins over the browser's wish.
    chosen = get(server, "/sign-in", Cookie=f"{LANGUAGE_COOKIE}=de", **{"Accept-Language": "en"}).text
    assert '<html lang="de"' in chosen


@pytest.mark.parametrize(
    ("query", "status", "location"),
    [
        ("to=de&next=//evil.example/x", 303, "/"),  # never to another site
        ("to=de", 303, "/"),
        ("to=xx&next=/", 400, None),
        ("to=&next=/", 400, None),
    ],
)
def test_the_switcher_refuses_what_it_cannot_do(
    server: LiveServer, query: str, status: int, location: str | None
) -> None:
    errors = server.log().count(" ERROR ")
    response = get(server, f"/_heavy/language?{query}")
    assert response.status == status
    assert response.headers.get("Location") == location
    assert server.log().count(" ERROR ") == errors


async def test_behind_the_proxy_each_instance_speaks_the_visitors_choice(two_instances: Cluster) -> None:
    """``make cluster``: nothing of a language is kept in a process, so both instances agree."""
    chosen = {"Cookie": f"{LANGUAGE_COOKIE}=de", "Accept-Language": "en"}
    pages = [get(two_instances, "/sign-in", **chosen).text for _ in range(4)]  # nginx takes turns
    assert all('<html lang="de"' in page for page in pages)
    async with WebSocketPage.open(two_instances.base_url, "/sign-in", headers=chosen) as page:
        assert page.text("sign-in-submit") == "Anmelden"


async def test_the_live_page_and_its_handlers_speak_the_handshakes_language(server: LiveServer) -> None:
    async with WebSocketPage.open(server.base_url, "/", headers={"Accept-Language": "de"}) as page:
        assert page.text("to-sign-in") == "Anmelden"
        # A handler's message is written in its task: it speaks the connection's language too.
        await page.type("number-input", "zwölf")
        await page.wait_for_text("number-input-error", "„zwölf“ ist keine ganze Zahl.")
        await page.type("number-input", "1234")
        await page.wait_for_text("number-result", "1.234 zum Quadrat ist 1.522.756.")
