"""Accounts without pages: tokens, passwords, cookies, redirects, origins, and the hand-off rules."""

from __future__ import annotations

import asyncio
import base64
import uuid

import ada_url
import pytest
from argon2 import PasswordHasher
from heavy import safe_next_path
from heavy.web.security.origin import allowed_host_names, is_allowed_origin
from hypothesis import given, settings
from hypothesis import strategies as st
from sanic.response import HTTPResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.model_managers.account_manager import AccountManager
from heavy_stack.backend.data.model_mungers.user_mungers import UserMunger
from heavy_stack.backend.services.accounts import passwords
from heavy_stack.backend.services.accounts.service import AccountService
from heavy_stack.backend.services.accounts.stores import AccountStores
from heavy_stack.backend.services.accounts.tokens import new_token, token_digest
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.web.cookies import AccountCookies
from heavy_stack.settings import Settings

PASSWORD = "correct horse battery"
BINDING = "binding-of-this-browser"


def test_tokens_are_256_random_bits() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(base64.urlsafe_b64decode(token + "=")) == 32 for token in tokens)


def test_stored_digests_are_keyed_by_the_secret() -> None:
    token = new_token()
    assert token_digest(token, "secret one") == token_digest(token, "secret one")
    assert token_digest(token, "secret one") != token_digest(token, "secret two")
    assert token not in token_digest(token, "secret one")


async def test_passwords_hash_and_verify() -> None:
    stored = await passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert await passwords.verify_password(stored, PASSWORD)
    assert not await passwords.verify_password(stored, PASSWORD + "!")
    assert not await passwords.verify_password("not a hash", PASSWORD)
    assert not passwords.needs_rehash(stored)


@pytest.mark.parametrize(("password", "ok"), [("123456789", False), ("1234567890", True), ("x" * 257, False)])
def test_new_passwords_have_a_length_between_the_limits(password: str, ok: bool) -> None:
    assert (passwords.password_problem(password) is None) is ok


def accounts(**settings: object) -> AccountService:
    return AccountService(Settings(_env_file=None, **settings), AccountStores())  # type: ignore[arg-type]


async def test_an_old_hash_is_replaced_at_the_next_sign_in(db_session: AsyncSession) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    email = f"{uuid.uuid4().hex}@example.com"
    await AccountManager(UserMunger()).create(email, "Ada", weak)
    assert (await accounts().sign_in(Visitor("192.0.2.1", BINDING), email, PASSWORD)).ticket
    found = await AccountManager(UserMunger()).find_with_password_hash(email)
    assert found is not None
    assert found[1] != weak
    assert not passwords.needs_rehash(found[1])


async def test_a_ticket_is_single_use_and_tied_to_its_browser(db_session: AsyncSession) -> None:
    service, email = accounts(), f"{uuid.uuid4().hex}@example.com"
    visitor = Visitor("192.0.2.1", BINDING)
    result = await service.sign_up(visitor, email, "Ada", PASSWORD)
    assert result.ticket is not None
    # Tried in other browsers (or with none), it is refused and stays unused for its own.
    for other in ("another browser", None, ""):
        assert await service.complete_sign_in(result.ticket, other) is None
    assert await service.complete_sign_in(result.ticket, BINDING) is not None
    assert await service.complete_sign_in(result.ticket, BINDING) is None

    again = await service.sign_in(visitor, email, PASSWORD)
    assert again.ticket is not None
    token = await service.complete_sign_in(again.ticket, BINDING)
    assert token is not None
    assert await service.complete_sign_in(again.ticket, BINDING) is None
    assert await service.signed_in_session(token) is not None
    # A ticket is not a session: it never names a signed-in user by itself.
    assert await service.signed_in_session(again.ticket) is None


def test_production_cookies_are_secure_and_host_only() -> None:
    settings = Settings(
        _env_file=None,
        environment="PRODUCTION",
        secret_key="a-long-random-production-secret-of-48-characters",
        sql_db_url="postgresql://db/app",
    )
    response = HTTPResponse()
    AccountCookies(settings).set_session(response, new_token())
    [cookie] = [str(header) for header in response.headers.getall("Set-Cookie")]
    assert cookie.startswith(f"__Host-{settings.session_cookie_name}=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie


@pytest.mark.parametrize(
    ("asked", "safe"),
    [
        ("/notes", "/notes"),
        ("/notes/1?x=2", "/notes/1?x=2"),
        (None, "/"),
        ("", "/"),
        ("notes", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\r\nSet-Cookie: x=1", "/"),
        ("/" + "a" * 400, "/"),
    ],
)
def test_next_paths_stay_on_the_site(asked: str | None, safe: str) -> None:
    assert safe_next_path(asked) == safe


@pytest.mark.parametrize(
    ("asked", "safe"),
    [
        ("/..//evil.example", "/"),
        ("/.//evil.example", "/"),
        ("/%2e%2E//evil.example", "/"),
        ("/a/..//evil.example", "/"),
        ("/%E2%80%A8x", "/"),  # a line separator, percent-encoded
        ("/\u2028x", "/"),
        ("/\u202eevil", "/"),  # a bidi override
        ("/\x85x", "/"),  # C1
        ("/%00", "/"),
        ("/notes/./1/../2?next=//x#..", "/notes/2?next=//x#.."),
        ("/notes/..", "/"),
        ("/notes/%2e", "/notes/"),
        ("/caf%C3%A9", "/caf%C3%A9"),
        ("/%FF", "/%FF"),
    ],
)
def test_next_paths_are_resolved_as_a_browser_does(asked: str, safe: str) -> None:
    assert safe_next_path(asked) == safe


SITE = "http://site.example/sign-in/"
# What next= paths are made of: the pieces a browser treats specially, and plain text.
PATH_PIECES = st.lists(
    st.sampled_from(["/", "//", ".", "..", "%2e", "%2E", "\\", "?", "#", "%", "%2F", "%E2%80%A8", "%00"])
    | st.text(min_size=1, max_size=4),
    max_size=12,
).map("".join)


@given(tail=PATH_PIECES)
@settings(max_examples=600, deadline=None, derandomize=True)
def test_next_paths_stay_on_the_site_for_a_browser(tail: str) -> None:
    """Checked against ada, the URL standard's parser (Node's): where a browser goes with it."""
    asked = "/" + tail
    safe = safe_next_path(asked)
    assert safe.startswith("/")
    assert not safe.startswith("//")
    resolved = ada_url.URL(ada_url.join_url(SITE, safe))
    assert resolved.host == "site.example"
    assert resolved.pathname.startswith("/")
    assert not resolved.pathname.startswith("//")
    if safe != "/":  # kept: it leads where the asked path leads
        assert ada_url.join_url(SITE, safe) == ada_url.join_url(SITE, asked)


@pytest.mark.parametrize(
    ("origin", "allowed", "ok"),
    [
        ("http://app.example:8000", [], True),
        ("HTTP://APP.EXAMPLE:8000/", [], True),
        ("http://app.example:8001", [], False),
        ("https://app.example:8000", [], False),  # the page was http: another origin
        ("http://evil.example", [], False),
        ("null", [], False),
        (None, [], True),
        ("https://app.example", ["https://app.example"], True),
        ("http://app.example:8000", ["https://app.example"], False),
        ("https://anything.example", ["*"], True),
    ],
)
def test_websocket_origins(origin: str | None, allowed: list[str], ok: bool) -> None:
    assert is_allowed_origin(origin, "ws", "app.example:8000", allowed) is ok


@pytest.mark.parametrize(
    ("settings", "hosts"),
    [
        ({}, {"127.0.0.1", "localhost", "::1"}),
        ({"host": "0.0.0.0"}, {"127.0.0.1", "localhost", "::1", "0.0.0.0"}),
        (
            {"allowed_origins": ["https://app.example", "https://www.app.example:8443"]},
            {"app.example", "www.app.example"},
        ),
        ({"allowed_hosts": ["App.Example", "api.example"]}, {"app.example", "api.example"}),
        ({"environment": "PRODUCTION", "sql_db_url": "postgresql://db/x", "secret_key": "k" * 48}, None),
    ],
)
def test_allowed_websocket_host_names(settings: dict[str, object], hosts: set[str] | None) -> None:
    allowed = allowed_host_names(Settings(_env_file=None, **settings))  # type: ignore[arg-type]
    assert allowed == (None if hosts is None else frozenset(hosts))


async def signed_in_through(service: AccountService) -> tuple[Visitor, str]:
    """A new account signed in through ``service``: the visitor and its session token."""
    visitor = Visitor("192.0.2.1", BINDING)
    result = await service.sign_up(visitor, f"{uuid.uuid4().hex}@example.com", "Ada", PASSWORD)
    assert result.ticket is not None
    token = await service.complete_sign_in(result.ticket, BINDING)
    assert token is not None
    signed_in = await service.refresh(visitor.unchecked(token))
    assert signed_in.user is not None
    return signed_in, token


async def test_a_sign_out_elsewhere_counts_within_the_recheck_time(db_session: AsyncSession) -> None:
    # Two services on one store stand for two server processes; "here" serves the page.
    here, elsewhere = accounts(session_recheck_seconds=0.3), accounts(session_recheck_seconds=0.3)
    signed_in, token = await signed_in_through(here)

    await elsewhere.end_session(token)
    await asyncio.sleep(0.35)  # the bound this test is about
    assert (await here.refresh(signed_in)).user is None


async def test_a_sign_out_through_the_same_process_counts_at_once(db_session: AsyncSession) -> None:
    service = accounts(session_recheck_seconds=3600)
    signed_in, _token = await signed_in_through(service)
    assert (await service.refresh(signed_in)).user is not None

    assert (await service.sign_out(signed_in)).user is None
    assert (await service.refresh(signed_in)).user is None
