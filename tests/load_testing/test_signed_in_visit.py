"""A signed-in visit, recorded in Chromium and replayed by Locust users, each with its own account.

The recording server sees two browsers: one signs up and adds a note (sign-up page, the HTTP
hand-off, the notes page after it), the other signs in to that account and adds a note. The
replay server has a fresh database: what the replay did is counted in it afterwards.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from heavy.data.db_connection import Database
from heavy.stream.recorder import PREFERENCE_COOKIES, REDACTED
from heavy.stream.recording import RecordedVisit, Recording, load_recording
from heavy.testing.live_server import free_port
from heavy.testing.replay import ReplayResult
from playwright.async_api import BrowserContext, async_playwright, expect
from sqlalchemy import text

from heavy_stack.backend.services.accounts.service import WRONG_CREDENTIALS
from heavy_stack.backend.web.accounts import SIGN_IN_COMPLETE_PATH
from heavy_stack_testing.product import launch_chromium
from heavy_stack_testing.replay import DEMO_RECORDING, run_replay

from tests.load_testing.test_record_and_replay import fresh_database, server_on

pytestmark = pytest.mark.server

EMAIL = "recorded.visitor@example.com"
PASSWORD = "a long and secret passphrase"
USERS = 3
NOTE_TITLE = "Groceries"
ADD_NOTE = "onSubmit #new-note-form"
HAND_OFF = f"hand-off {SIGN_IN_COMPLETE_PATH}"


async def add_a_note(context: BrowserContext, base_url: str, account_page: str, title: str) -> None:
    """Fill the account page (sign-up or sign-in, coming back to /notes), then add a note there."""
    page = await context.new_page()
    await page.goto(f"{base_url}/{account_page}?next=/notes")
    await page.fill(f"#{account_page}-email", EMAIL)
    if account_page == "sign-up":
        await page.fill("#sign-up-name", "Recorded Visitor")
    await page.fill(f"#{account_page}-password", PASSWORD)
    await page.click(f"#{account_page}-submit")
    await page.wait_for_url(f"{base_url}/notes")
    await page.locator("#new-note-title").press_sequentially(title, delay=20)
    await page.fill("#new-note-body", "Milk, bread, and a load test.")
    await page.click("#new-note-submit")
    await expect(page.locator("#note-message")).to_contain_text(f"Added “{title}”.")


async def record_two_visits(base_url: str) -> list[str]:
    """A sign-up visit and a sign-in visit, each in its own browser; the secret cookies they
    held (not heavy's preferences, such as the time zone: pages show those)."""
    cookies = []
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        for account_page in ("sign-up", "sign-in"):
            context = await browser.new_context()
            await add_a_note(context, base_url, account_page, NOTE_TITLE)
            cookies += [c["value"] for c in await context.cookies() if c["name"] not in PREFERENCE_COOKIES]
            await context.close()
        await browser.close()
    return cookies


async def counted(database: Database) -> dict[str, int]:
    """The replay's rows: its users, their notes and their sessions (sign-ins)."""
    queries = {
        "users": "SELECT count(*) FROM users WHERE email LIKE 'loadtest-%'",
        "notes": "SELECT count(*) FROM notes JOIN users ON users.id = notes.owner_id "
        f"WHERE users.email LIKE 'loadtest-%' AND notes.title = '{NOTE_TITLE}'",
        "sign-ins": "SELECT count(*) FROM user_sessions JOIN users ON users.id = user_sessions.user_id "
        "WHERE users.email LIKE 'loadtest-%' AND purpose = 'signed_in'",
    }
    async with database.engine.connect() as connection:
        return {name: (await connection.execute(text(sql))).scalar_one() for name, sql in queries.items()}


def replay(base_url: str, recording: Path, visit: RecordedVisit, *options: str) -> ReplayResult:
    return run_replay(
        base_url, recording, users=USERS, loops=1, think_time="0", options=("--visit", visit.id, *options)
    )


def said(**results: ReplayResult) -> str:
    """Each replay's output under its name: what Locust saw, for a failed assertion's message."""
    return "\n".join(
        f"--- {name} replay (exit code {result.exit_code}):\n{result.output}"
        for name, result in results.items()
    )


def visits_of(recording: Recording) -> tuple[RecordedVisit, RecordedVisit]:
    signing_up, signing_in = recording.visits.values()
    assert signing_up.creates_an_account
    assert signing_in.needs_an_account
    return signing_up, signing_in


async def test_a_signed_in_visit_replays_with_an_account_per_user_and_the_rows_are_there(
    database_urls: tuple[str, str], tmp_path: Path
) -> None:
    recording_path = tmp_path / "recording.json"
    async with fresh_database(database_urls, "recorded") as first:
        with server_on(first, tmp_path / "first.log", RECORDING_PATH=str(recording_path)) as server:
            cookies = await record_two_visits(server.base_url)

    written = recording_path.read_text()
    assert PASSWORD not in written
    assert len(cookies) >= 4  # each browser's binding and session
    assert not [value for value in cookies if value in written]
    assert "ticket=" not in written.replace(f"ticket={REDACTED}", "")
    recording = load_recording(recording_path)
    signing_up, signing_in = visits_of(recording)
    for visit in (signing_up, signing_in):
        assert [connection.path for connection in visit.connections] == [visit.connections[0].path, "/notes"]
        hand_off = visit.connections[0].hand_off
        assert hand_off is not None
        assert (hand_off.path, hand_off.status, hand_off.location) == (SIGN_IN_COMPLETE_PATH, 303, "/notes")

    async with fresh_database(database_urls, "replayed") as second:
        # Without the allowance, one sign-up per address: the replay says the others failed.
        limited = {"SIGN_UPS_PER_ADDRESS": "1"}
        with server_on(second, tmp_path / "limited.log", **limited) as server:
            refused = await asyncio.to_thread(replay, server.base_url, recording_path, signing_up)
        assert refused.exit_code == 1, refused.output
        assert ADD_NOTE in refused.events, refused.output
        assert refused.events[ADD_NOTE].requests == 1, refused.output
        assert refused.events["onSubmit #sign-up-form"].failures == USERS - 1, refused.output
        assert "2 failed: #account-message shows “Too many attempts." in refused.output, refused.output
        assert await counted(second) == {"users": 1, "notes": 1, "sign-ins": 1}, refused.output

        allowed = limited | {"RATE_LIMIT_EXEMPT_ADDRESSES": "127.0.0.1"}
        with server_on(second, tmp_path / "allowed.log", **allowed) as server:
            signed_up = await asyncio.to_thread(replay, server.base_url, recording_path, signing_up)
            signed_in = await asyncio.to_thread(replay, server.base_url, recording_path, signing_in)
            # Given accounts are used as given: these have no account on this server.
            accounts = tmp_path / "accounts.txt"
            accounts.write_text("".join(f"nobody-{n}@example.com some password {n}\n" for n in range(USERS)))
            given = await asyncio.to_thread(
                replay, server.base_url, recording_path, signing_in, "--accounts", str(accounts)
            )
            log = server.log()
        outputs = said(signed_up=signed_up, signed_in=signed_in, given=given)
        assert given.events["onSubmit #sign-in-form"].failures == USERS, outputs
        assert f"{USERS} failed: #account-message shows “{WRONG_CREDENTIALS}”" in given.output, outputs
        for result in (signed_up, signed_in):
            assert result.exit_code == 0, outputs
            assert result.total.failures == 0, outputs
            assert result.events[ADD_NOTE].requests == USERS, outputs
            assert f"{USERS}/{USERS} confirmed: #note-message “Added “{NOTE_TITLE}”.”" in result.output, (
                outputs
            )
            assert "confirmed: 303 to /notes" in result.output, outputs
        assert signed_up.events[HAND_OFF].requests == USERS, outputs
        # The sign-in replay's users first signed up for accounts of their own (a hand-off each).
        assert signed_in.events[HAND_OFF].requests == 2 * USERS, outputs
        assert await counted(second) == {
            "users": 1 + 2 * USERS,
            "notes": 1 + 2 * USERS,
            "sign-ins": 1 + 3 * USERS,
        }, outputs
        assert "Traceback" not in log, log


@pytest.mark.parametrize(
    ("contents", "options", "message"),
    [
        (None, (), "no such recording file"),
        ("[]", (), "the recording is empty"),
        ('[["send", "abc", 1.0, {"type": "layout-update"', (), "not a recording (invalid JSON"),
        (
            '[["send", "abc"]]',
            (),
            "not a recording (record 1 is not [kind, connection_id, timestamp, payload])",
        ),
        ("demo", ("--connection-id", "nope"), "has no connection 'nope'; it has "),
        ("demo", ("--visit", "nope"), "has no visit 'nope'; it has "),
        ("demo", ("--accounts", "missing-accounts.txt"), "--accounts missing-accounts.txt: cannot read it"),
        ("demo", (), "no server at http://127.0.0.1:"),
    ],
    ids=[
        "missing",
        "empty",
        "cut-short",
        "corrupt",
        "unknown-connection",
        "unknown-visit",
        "no-accounts",
        "no-server",
    ],
)
def test_a_replay_that_cannot_start_says_why_in_one_line(
    tmp_path: Path, contents: str | None, options: tuple[str, ...], message: str
) -> None:
    recording = DEMO_RECORDING if contents == "demo" else tmp_path / "recording.json"
    if contents not in (None, "demo"):
        recording.write_text(contents)
    result = run_replay(f"http://127.0.0.1:{free_port()}", recording, users=2, timeout=60, options=options)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    complaints = [line for line in result.output.splitlines() if line.startswith("Cannot replay: ")]
    assert len(complaints) == 1, result.output
    assert message in complaints[0]
    assert len(result.output.splitlines()) <= 3, result.output
