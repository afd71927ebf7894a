"""A page opened through a GitHub Codespace's forwarded address goes live with no setting.

GitHub's proxy reaches the app either with the forwarded name in ``Host``, or with
``localhost:PORT`` there and the name in ``X-Forwarded-Host`` (some versions also write the
local address into ``Origin``). Each shape is sent to a real server started with the Codespaces
variables; foreign pages (another codespace, another port, a lookalike name, plain http) stay
refused, with a warning and a page message that name the setting to change.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator, Mapping

import pytest
import websockets
from heavy.data.db_connection import Database
from heavy.live.addresses import STREAM_PATH
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage
from heavy.web.security.origin import STREAM_CHECK_PATH, Codespace, Handshake, OriginPolicy

from heavy_stack.settings import ENV_PREFIX, Settings
from heavy_stack_testing.product import live_server

ORIGINS_SETTING = Settings.variable("allowed_origins")
NAME = "fluffy-space-robot-x7q9g"
DOMAIN = "app.github.dev"
CODESPACE_VARIABLES = {
    "CODESPACES": "true",
    "CODESPACE_NAME": NAME,
    "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": DOMAIN,
}
Headers = dict[str, str]


def forwarded(port: int, name: str = NAME, domain: str = DOMAIN) -> str:
    """The forwarded host name of ``port`` in codespace ``name``."""
    return f"{name}-{port}.{domain}"


def without_codespace(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without GitHub's Codespaces variables (the suite may itself run in one)."""
    return {name: value for name, value in environ.items() if name not in CODESPACE_VARIABLES}


# --- the policy, for many shapes (no server) ---------------------------------------------------

PORT = 8000
DEV = Settings(_env_file=None)
PRODUCTION = Settings(
    _env_file=None, environment="PRODUCTION", sql_db_url="postgresql://db/app", secret_key="k" * 48
)
IN_A_CODESPACE = OriginPolicy.for_app(DEV, CODESPACE_VARIABLES)
HERE = f"https://{forwarded(PORT)}"

ALLOWED_SHAPES = {
    "proxy keeps Host": Handshake("ws", forwarded(PORT), HERE),
    "proxy keeps Host, adds X-Forwarded-Host": Handshake("ws", forwarded(PORT), HERE, forwarded(PORT)),
    "proxy rewrites Host": Handshake("ws", f"localhost:{PORT}", HERE, forwarded(PORT)),
    "proxy rewrites Origin": Handshake("ws", forwarded(PORT), f"http://localhost:{PORT}", forwarded(PORT)),
    "the wss scheme": Handshake("wss", forwarded(PORT), HERE),
    "no Origin (not a browser)": Handshake("ws", forwarded(PORT)),
    "the local page": Handshake("ws", f"127.0.0.1:{PORT}", f"http://127.0.0.1:{PORT}"),
}
FOREIGN_SHAPES = {
    "another codespace": Handshake("ws", forwarded(PORT, "other"), f"https://{forwarded(PORT, 'other')}"),
    "another codespace, forwarded": Handshake(
        "ws", f"localhost:{PORT}", f"https://{forwarded(PORT, 'other')}", forwarded(PORT, "other")
    ),
    "a longer codespace name": Handshake(
        "ws", forwarded(PORT, f"x{NAME}"), f"https://{forwarded(PORT, f'x{NAME}')}"
    ),
    "another port's page": Handshake("ws", forwarded(PORT), f"https://{forwarded(PORT + 1)}"),
    "another port's page, forwarded": Handshake(
        "ws", f"localhost:{PORT}", f"https://{forwarded(PORT + 1)}", forwarded(PORT)
    ),
    "another port's local page": Handshake("ws", forwarded(PORT), f"http://localhost:{PORT + 1}"),
    "a lookalike suffix": Handshake("ws", f"{forwarded(PORT)}.evil.example", f"{HERE}.evil.example"),
    "a lookalike suffix, forwarded": Handshake(
        "ws", f"localhost:{PORT}", f"{HERE}.evil.example", f"{forwarded(PORT)}.evil.example"
    ),
    "a lookalike domain": Handshake(
        "ws",
        forwarded(PORT, domain="evilapp.github.dev"),
        f"https://{forwarded(PORT, domain='evilapp.github.dev')}",
    ),
    "not a port": Handshake("ws", f"{NAME}-80x.{DOMAIN}", f"https://{NAME}-80x.{DOMAIN}"),
    "plain http": Handshake("ws", forwarded(PORT), f"http://{forwarded(PORT)}"),
    "another site": Handshake("ws", forwarded(PORT), "https://evil.example"),
    "another site, forwarded": Handshake("ws", f"localhost:{PORT}", "https://evil.example", forwarded(PORT)),
    "a sandboxed page": Handshake("ws", forwarded(PORT), "null"),
    "a broken Host": Handshake("ws", "[::1", "https://evil.example"),
}


@pytest.mark.parametrize("handshake", ALLOWED_SHAPES.values(), ids=ALLOWED_SHAPES.keys())
def test_in_a_codespace_its_forwarded_address_may_connect(handshake: Handshake) -> None:
    assert IN_A_CODESPACE.refusal(handshake) is None


@pytest.mark.parametrize("handshake", FOREIGN_SHAPES.values(), ids=FOREIGN_SHAPES.keys())
def test_in_a_codespace_foreign_pages_stay_refused(handshake: Handshake) -> None:
    assert IN_A_CODESPACE.refusal(handshake) is not None


@pytest.mark.parametrize("shape", ["proxy keeps Host", "proxy rewrites Host", "proxy rewrites Origin"])
@pytest.mark.parametrize(
    ("settings", "environ"),
    [
        (DEV, {}),
        (DEV, {**CODESPACE_VARIABLES, "CODESPACES": "false"}),
        (DEV, {**CODESPACE_VARIABLES, "CODESPACE_NAME": ""}),
        (DEV, {**CODESPACE_VARIABLES, "CODESPACE_NAME": "other"}),
        (PRODUCTION, CODESPACE_VARIABLES),  # PRODUCTION: the machine's variables never widen it
    ],
    ids=["no codespace", "CODESPACES=false", "no name", "another name", "PRODUCTION"],
)
def test_outside_this_codespace_or_in_production_nothing_is_widened(
    settings: Settings, environ: dict[str, str], shape: str
) -> None:
    policy = OriginPolicy.for_app(settings, environ)
    assert policy.refusal(ALLOWED_SHAPES[shape]) is not None
    assert policy.refusal(ALLOWED_SHAPES["the local page"]) is None


@pytest.mark.parametrize(
    ("environ", "codespace"),
    [
        (CODESPACE_VARIABLES, Codespace(NAME, DOMAIN)),
        (
            {**CODESPACE_VARIABLES, "CODESPACES": "TRUE ", "CODESPACE_NAME": f" {NAME.upper()}"},
            Codespace(NAME, DOMAIN),
        ),
        (
            {**CODESPACE_VARIABLES, "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": ".app.github.dev."},
            Codespace(NAME, DOMAIN),
        ),
        ({**CODESPACE_VARIABLES, "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": ""}, None),
        ({"CODESPACE_NAME": NAME, "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": DOMAIN}, None),
    ],
)
def test_the_codespace_comes_from_githubs_variables(
    environ: dict[str, str], codespace: Codespace | None
) -> None:
    assert Codespace.from_environ(environ) == codespace


@pytest.mark.parametrize(
    ("settings", "environ", "handshake", "fix"),
    [
        # A page of another address: allowed beside the app's own (in a codespace, its address).
        (
            DEV,
            {},
            Handshake("ws", "127.0.0.1:8000", "https://evil.example"),
            f"{ORIGINS_SETTING}=http://127.0.0.1:8000,https://evil.example",
        ),
        (
            DEV,
            CODESPACE_VARIABLES,
            FOREIGN_SHAPES["another site"],
            f"{ORIGINS_SETTING}={HERE},https://evil.example",
        ),
        (
            DEV,
            CODESPACE_VARIABLES,
            FOREIGN_SHAPES["another port's page, forwarded"],
            f"{ORIGINS_SETTING}={HERE},https://{forwarded(PORT + 1)}",
        ),
        (
            DEV,
            CODESPACE_VARIABLES,
            FOREIGN_SHAPES["plain http"],
            f"{ORIGINS_SETTING}={HERE},http://{forwarded(PORT)}",
        ),
        # A host name the app does not know (DNS-rebinding guard): its own origin, host and all.
        (
            DEV,
            {},
            Handshake("ws", "devbox.example:8000", "http://devbox.example:8000"),
            f"{ORIGINS_SETTING}=http://devbox.example:8000",
        ),
        # Origins already set: the new one is added to them.
        (
            Settings(_env_file=None, allowed_origins=["https://a.example"]),
            {},
            Handshake("ws", "a.example", "https://b.example"),
            f"{ORIGINS_SETTING}=https://a.example,https://b.example",
        ),
        # ALLOWED_HOSTS decides the hosts: the name goes there.
        (
            Settings(_env_file=None, allowed_hosts=["a.example"]),
            {},
            Handshake("ws", "b.example", "http://b.example"),
            "HEAVY_STACK_ALLOWED_HOSTS=a.example,b.example",
        ),
    ],
)
def test_a_refusal_names_the_setting_that_allows_it(
    settings: Settings, environ: dict[str, str], handshake: Handshake, fix: str
) -> None:
    refusal = OriginPolicy.for_app(settings, environ).refusal(handshake)
    assert refusal is not None
    assert refusal.fixes == (fix,)
    assert fix in refusal.log_line()
    assert fix in refusal.page_message(production=False)
    name, value = fix.split("=", 1)
    fixed = settings.model_copy(update={name.removeprefix(ENV_PREFIX).lower(): value.split(",")})
    assert OriginPolicy.for_app(fixed, environ).refusal(handshake) is None  # the advice works


def test_a_page_without_a_web_origin_gets_no_setting_to_copy() -> None:
    refusal = IN_A_CODESPACE.refusal(FOREIGN_SHAPES["a sandboxed page"])
    assert refusal is not None
    assert refusal.fixes == ()
    assert ORIGINS_SETTING in refusal.page_message(production=False)


def test_production_pages_name_the_setting_but_not_its_value() -> None:
    refusal = OriginPolicy.for_app(PRODUCTION, {}).refusal(
        Handshake("wss", "app.example", "https://evil.example")
    )
    assert refusal is not None
    message = refusal.page_message(production=True)
    assert ORIGINS_SETTING in message
    assert "https://evil.example" in message
    assert f"{ORIGINS_SETTING}=" not in message


# --- a real server in a codespace ------------------------------------------------------------


@pytest.fixture(scope="module")
def codespace_server(
    database_urls: tuple[str, str], database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The real server, started with GitHub's Codespaces variables."""
    sql_url, vector_url = database_urls
    environ = {**without_codespace(os.environ), **CODESPACE_VARIABLES}
    log_path = tmp_path_factory.mktemp("codespace") / "server.log"
    with live_server(
        {"SQL_DB_URL": sql_url, "VECTOR_DB_URL": vector_url}, log_path, base_env=environ
    ) as running:
        yield running


def port_of(server: LiveServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def as_proxied(port: int, shape: str) -> tuple[str, Headers]:
    """The ``Host`` and headers GitHub's proxy sends for a page at the forwarded address."""
    name, page = forwarded(port), f"https://{forwarded(port)}"
    return {
        "proxy keeps Host": (name, {"Origin": page}),
        "proxy rewrites Host": (
            f"localhost:{port}",
            {"Origin": page, "X-Forwarded-Host": name, "X-Forwarded-Proto": "https"},
        ),
        "proxy rewrites Origin": (name, {"Origin": f"http://localhost:{port}", "X-Forwarded-Host": name}),
    }[shape]


def as_foreign(port: int, shape: str) -> tuple[str, Headers]:
    """The ``Host`` and headers of a handshake from a page that is not this app's."""
    name, other = forwarded(port), forwarded(port, "other-codespace")
    return {
        "another codespace": (other, {"Origin": f"https://{other}"}),
        "another codespace, forwarded": (
            f"localhost:{port}",
            {"Origin": f"https://{other}", "X-Forwarded-Host": other},
        ),
        "another port": (name, {"Origin": f"https://{forwarded(port + 1)}"}),
        "a lookalike suffix": (f"{name}.evil.example", {"Origin": f"https://{name}.evil.example"}),
        "plain http": (name, {"Origin": f"http://{name}"}),
        "another site, forwarded": (
            f"localhost:{port}",
            {"Origin": "https://evil.example", "X-Forwarded-Host": name},
        ),
    }[shape]


async def handshake(port: int, host: str, headers: Headers) -> int:
    """Open the stream on 127.0.0.1:``port`` as if addressed to ``host``: 101 once a layout
    came, else the refusal's status."""
    try:
        async with websockets.connect(
            f"ws://{host}{STREAM_PATH}", host="127.0.0.1", port=port, additional_headers=headers, proxy=None
        ) as socket:
            assert "layout-update" in str(await socket.recv())
            return 101
    except websockets.InvalidStatus as refused:
        return refused.response.status_code


def ask_why(port: int, host: str, headers: Headers) -> dict[str, object]:
    """The page's question after a connection that never opened (heavy's client, live_page.js)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{STREAM_CHECK_PATH}",
        data=b"",
        method="POST",
        headers={"Host": host, **headers},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        verdict: dict[str, object] = json.load(answer)
        return verdict


PROXIED = ["proxy keeps Host", "proxy rewrites Host", "proxy rewrites Origin"]
FOREIGN = [
    "another codespace",
    "another codespace, forwarded",
    "another port",
    "a lookalike suffix",
    "plain http",
    "another site, forwarded",
]


@pytest.mark.server
@pytest.mark.parametrize("shape", PROXIED)
async def test_the_forwarded_address_goes_live_with_no_setting(
    codespace_server: LiveServer, shape: str
) -> None:
    port = port_of(codespace_server)
    host, headers = as_proxied(port, shape)
    assert await handshake(port, host, headers) == 101
    assert ask_why(port, host, headers) == {"refused": False}


@pytest.mark.server
@pytest.mark.parametrize("shape", FOREIGN)
async def test_foreign_pages_are_refused_and_told_what_to_set(
    codespace_server: LiveServer, shape: str
) -> None:
    port = port_of(codespace_server)
    host, headers = as_foreign(port, shape)
    assert await handshake(port, host, headers) == 403
    verdict = ask_why(port, host, headers)
    assert verdict["refused"] is True
    assert f"set {ORIGINS_SETTING}=" in str(verdict["message"])
    warning = next(
        line for line in reversed(codespace_server.log().splitlines()) if "Refused a websocket" in line
    )
    assert f"set {ORIGINS_SETTING}=" in warning


@pytest.mark.server
async def test_in_a_codespace_the_local_page_still_works_and_the_log_stays_clean(
    codespace_server: LiveServer,
) -> None:
    async with WebSocketPage.open(codespace_server.base_url, origin=codespace_server.base_url) as page:
        assert page.layout.find(tag="h1").text == "The Heavy Stack"
    log = codespace_server.log()
    assert "Traceback" not in log
    assert "ERROR" not in log


@pytest.mark.server
@pytest.mark.parametrize("shape", PROXIED)
async def test_outside_a_codespace_a_proxied_address_is_refused(server: LiveServer, shape: str) -> None:
    # The shared server runs without these variables (the made-up name matches no real codespace).
    port = port_of(server)
    host, headers = as_proxied(port, shape)
    assert await handshake(port, host, headers) == 403
    assert ask_why(port, host, headers)["refused"] is True
