"""Locust users that replay a recorded visit against a running server.

    locust -f tests/load_testing/data_recorder_locust.py --headless --host http://127.0.0.1:8000 \\
        --users 50 --spawn-rate 10 --run-time 1m --recording recordings/my-session.json

``make loadtest`` wraps this. Each user replays one recorded visit (``--visit``; default: the one
with the most events) from start to end, then starts again as a new browser. A visit is all the
connections of one browser tab, in order: the sign-up page, the sign-in hand-off over HTTP, the
page the browser loads after it. A visit that signs in, or spans page loads, loads each page
over HTTP before its websocket and keeps its cookies, as the browser did. A user begins after a
random part of one visit's pauses: users started together do not replay in step.

Each user keeps its own copy of the layout from the server's ``layout-update`` messages, so each
recorded event goes to the live handler of the same element. Where the recording had an e-mail
or password field, the user types its own account's: a visit that signs up makes a new account
on every replay (``loadtest-<run>-<user>-<replay>@example.com``); a visit that signs in uses the
account of ``--accounts FILE`` (one ``e-mail password`` per line, one line per user) or, without
it, one the user signs up for when it starts (``loadtest-<run>-<user>@example.com``).

Every event the server answered in the recording is a Locust request named after the event and
its element. It succeeds only once the page shows what the server confirmed when recorded (its
messages, the texts it changed), and its response time runs from sending it until then (to the
server's next update where there is nothing to compare): an update that answers nothing, such
as the online count, does not end it early. A page's opening (``open /``) runs from the moment
its browser began to connect: a visitor waits for the TCP connection and the websocket
handshake too. A page load must answer 200 and a hand-off as recorded (``303 to /notes``). A
missing answer (``--response-timeout``), an element the page no longer has, or a closed socket
is a failure too, and that replay stops there. At the end, one line per step says how many
times the server confirmed it.

A recording that cannot be replayed (missing, empty, corrupt, an unknown ``--visit`` or
``--connection-id``), an ``--accounts`` file that is not one, or no server at ``--host`` stops
the run before it starts, with one line saying why.
"""

from __future__ import annotations

import random
import secrets
import socket
import time
from argparse import ArgumentParser, Namespace
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
from heavy import tune_garbage_collector
from heavy.live.addresses import stream_path
from heavy.stream.layout_mirror import ElementNotFoundError
from heavy.stream.recording import (
    EMAIL_FILL,
    NEW_ACCOUNT_FILL,
    HandOff,
    RecordedConnection,
    RecordedEvent,
    RecordedVisit,
    RecordingError,
    load_recording,
)
from heavy.testing.blocking_websocket import BlockingWebSocket
from heavy.testing.cookie_browser import CookieBrowser
from heavy.testing.cpu_watch import CpuWatch
from heavy.testing.replay import confirmation_steps, hand_off_step, open_step, page_step
from heavy.web.router import HISTORY_EVENT
from locust import User, constant, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import WorkerRunner
from locust.stats import RequestStats, get_error_report_summary
from websockets.exceptions import ConnectionClosed

from heavy_stack.backend.web.accounts import SIGN_IN_COMPLETE_PATH
from heavy_stack_testing.replay import DEMO_RECORDING, NO_ACCOUNT, Account, ReplayedPage

REQUEST_TYPE = "WS"
HTTP_REQUEST_TYPE = "GET"
# After a connection failure a user waits this long before its next try: a server that is
# restarting is not hammered (nor the report filled) by users retrying in a tight loop.
RETRY_AFTER_S = 1.0
SERVER_CHECK_TIMEOUT_S = 5.0
# The app's sign-up page, for the accounts of a visit that signs in (without --accounts).
SIGN_UP_PATH = "/sign-up"
SIGN_UP_NAME = "Load Test"


def add_replay_options(parser: ArgumentParser) -> None:
    parser.add_argument("--recording", default=str(DEMO_RECORDING), help="the recording to replay")
    parser.add_argument(
        "--visit", default="", help="the recorded visit to replay (default: the one with most events)"
    )
    parser.add_argument(
        "--connection-id", default="", help="replay only this recorded connection (instead of a whole visit)"
    )
    parser.add_argument(
        "--accounts",
        default="",
        help="accounts for a visit that signs in: one 'e-mail password' per line, one per user "
        "(default: each user signs up for its own)",
    )
    parser.add_argument(
        "--think-time",
        default="recorded",
        help="pause before each event: 'recorded' (as the user paused), or a range in seconds such as 0.5-1",
    )
    parser.add_argument(
        "--response-timeout",
        type=float,
        default=10.0,
        help="seconds to wait for the server's answer to an event",
    )
    parser.add_argument(
        "--loops", type=int, default=0, help="replays per user before it stops (0: until the run time is up)"
    )


class ReplayNotPossibleError(Exception):
    """The run cannot start; the message says why in one line."""


@dataclass(frozen=True)
class Plan:
    """What every user of this run replays, and with which accounts."""

    visit: RecordedVisit
    accounts: tuple[Account, ...]  # from --accounts, one per user

    def account_of(self, user: int) -> Account | None:
        return self.accounts[user] if self.accounts else None


class _Run:
    plan: Plan | None = None
    # In the e-mail addresses a run makes up, so that runs do not collide.
    name = secrets.token_hex(3)
    users_started = 0
    users_finished = 0


def make_plan(options: Namespace) -> Plan:
    """The visit to replay and the accounts, checked; ReplayNotPossibleError (one line) if not."""
    try:
        recording = load_recording(Path(options.recording))
        if options.connection_id:
            connection = recording.connection(options.connection_id)
            visit = RecordedVisit(connection.id, (connection,))
        else:
            visit = recording.visit(options.visit) if options.visit else recording.busiest_visit()
    except RecordingError as error:
        raise ReplayNotPossibleError(str(error)) from None
    accounts = read_accounts(Path(options.accounts), options.num_users or 1) if options.accounts else ()
    return Plan(visit, accounts)


def read_accounts(path: Path, users: int) -> tuple[Account, ...]:
    """One account per line (``e-mail password``; blank lines and ``#`` comments skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ReplayNotPossibleError(
            f"--accounts {path}: cannot read it ({error.__class__.__name__})"
        ) from None
    accounts = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        email, _space, password = line.strip().partition(" ")
        if "@" not in email or not password.strip():
            raise ReplayNotPossibleError(f"--accounts {path}: line {number} is not 'e-mail password'")
        accounts.append(Account(email, password.strip()))
    if len(accounts) < users:
        raise ReplayNotPossibleError(
            f"--accounts {path}: {len(accounts)} account(s) for {users} users: each user needs its own"
        )
    return tuple(accounts)


def check_server(host: str | None) -> None:
    """ReplayNotPossibleError unless something accepts connections at ``host``."""
    if not host:
        raise ReplayNotPossibleError("no server given: add --host http://127.0.0.1:8000")
    address = urlsplit(host)
    if address.scheme not in ("http", "https") or not address.hostname:
        raise ReplayNotPossibleError(f"--host {host}: expected an address such as http://127.0.0.1:8000")
    port = address.port or (443 if address.scheme == "https" else 80)
    try:
        socket.create_connection((address.hostname, port), timeout=SERVER_CHECK_TIMEOUT_S).close()
    except OSError as error:
        reason = error.strerror or error.__class__.__name__
        raise ReplayNotPossibleError(
            f"no server at {host} ({reason}): start one (make run) or fix --host"
        ) from None


def prepare_the_run(environment: Environment, **_kwargs: Any) -> None:
    """Check the recording, the accounts and the server once, before any user starts."""
    options = environment.parsed_options
    if options is None:  # Locust used as a library: the caller sets _Run.plan
        return
    try:
        plan = _Run.plan = make_plan(options)
        check_server(environment.host)
    except ReplayNotPossibleError as error:
        # SystemExit: Locust stops with this line and no traceback, before spawning anyone.
        raise SystemExit(f"Cannot replay: {error}") from None
    # Each user keeps a mirror of its page, as a server keeps a layout: the same reason to space
    # out the cycle collector. Measured at 300 users, against CPython's thresholds: 0.65 ms of
    # CPU per request, 0.58 with those of the time, (50_000, 20, 100); the server's since,
    # (10_000, 100, 100), did not change Locust's figure beyond the machine's own drift.
    tune_garbage_collector()
    if isinstance(environment.runner, WorkerRunner):
        # One of --processes' workers: the master counts and reports. A worker's own statistics
        # are empty (it sends them to the master), and Locust would write them over the
        # master's --json-file when the worker exits after it.
        options.json_file = None
        return
    # Counted while the runner still holds its figures, printed after Locust's own tables.
    summary: list[str] = []
    cpu = CpuWatch(urlsplit(environment.host or "").port)

    def start(**_kwargs: Any) -> None:
        cpu.start()

    def count(**_kwargs: Any) -> None:
        summary.extend(confirmations(plan, environment.stats))
        if options.json_file and environment.stats.errors:
            # Locust prints its error report only when it writes no --json-file; say it anyway.
            summary.extend(["", *get_error_report_summary(environment.stats)])
        shares = cpu.shares()
        if shares is not None:
            summary.extend(["", *shares.lines(environment.stats.total.num_requests)])

    def show(**_kwargs: Any) -> None:
        print("\n" + "\n".join(summary))

    environment.events.test_start.add_listener(start)  # type: ignore[no-untyped-call]
    environment.events.quitting.add_listener(count)  # type: ignore[no-untyped-call]
    environment.events.quit.add_listener(show)  # type: ignore[no-untyped-call]


def confirmations(plan: Plan, stats: RequestStats) -> list[str]:
    """One line per step: how often the server confirmed it, what it had to show, and why not."""
    lines = [f"What the server confirmed, per step (visit {plan.visit.id}):"]
    for name, confirms in confirmation_steps(plan.visit):
        entry = stats.entries.get((name, _request_type(name)))
        done = entry.num_requests if entry else 0
        confirmed = done - (entry.num_failures if entry else 0)
        what = f": {confirms}" if confirms else " (answered; nothing to compare)"
        lines.append(f"  {name:<40} {confirmed}/{done} confirmed{what}")
        for error in (error for error in stats.errors.values() if error.name == name):
            lines.append(f"      {error.occurrences} failed: {error.error}")
    return lines


def count_users_afresh(**_kwargs: Any) -> None:
    """Each run (the web UI starts several) has its own name, numbers its users from 0 and ends
    when they are done."""
    _Run.name = secrets.token_hex(3)
    _Run.users_started = _Run.users_finished = 0


# Locust's event hooks are untyped.
events.init_command_line_parser.add_listener(add_replay_options)  # type: ignore[no-untyped-call]
events.init.add_listener(prepare_the_run)  # type: ignore[no-untyped-call]
events.test_start.add_listener(count_users_afresh)  # type: ignore[no-untyped-call]


def think_time(setting: str, event: RecordedEvent) -> float:
    """Seconds to pause before ``event``, per ``--think-time``."""
    if setting == "recorded":
        return event.think_time
    return random.uniform(*_pause_range(setting))


def visit_pauses(setting: str, visit: RecordedVisit) -> float:
    """The pauses of one replay of ``visit`` in all, in seconds, per ``--think-time`` (a range
    counts its middle)."""
    paused = [event for connection in visit.connections for event in connection.events_after_opening]
    if setting == "recorded":
        return sum(event.think_time for event in paused)
    return len(paused) * sum(_pause_range(setting)) / 2


def _pause_range(setting: str) -> tuple[float, float]:
    """A ``--think-time`` range such as ``0.5-1`` (or one number) as its two ends, in seconds."""
    low, _, high = setting.partition("-")
    return float(low), float(high or low)


class ReplayFailedError(Exception):
    """This replay cannot go on (the page no longer matches the recording)."""


class ServerDidNotConfirmError(Exception):
    """The server answered, but not what it answered when recorded."""


class ReplayUser(User):
    """Replays one recorded visit, over and over, each time as a new browser."""

    wait_time = constant(0)  # the recording's own pauses are the think time

    def on_start(self) -> None:
        options = self.environment.parsed_options
        assert options is not None, "run this file with the locust command"
        assert _Run.plan is not None, "the run was not prepared (prepare_the_run)"
        self.options, self.plan = options, _Run.plan
        self.number = _Run.users_started
        _Run.users_started += 1
        self.loops_done = 0
        self.account = self.plan.account_of(self.number) or NO_ACCOUNT
        if self.plan.visit.needs_an_account and self.account is NO_ACCOUNT:
            self.account = self._sign_up_for_an_account()
        # Users started together would replay in step (the same pauses), opening their pages at
        # the same moments every visit, as visitors do not: each starts at its own point of one.
        gevent.sleep(random.uniform(0, visit_pauses(self.options.think_time, self.plan.visit)))

    @task
    def replay(self) -> None:
        try:
            self._replay(self.plan.visit, self._account_for_this_replay())
        except ReplayFailedError:
            pass  # reported as a failure already; start over as a new browser
        except (ConnectionClosed, OSError) as error:
            self._report("connection", 0.0, 0, error)
            gevent.sleep(RETRY_AFTER_S)
        self.loops_done += 1
        if self.options.loops and self.loops_done >= self.options.loops:
            self._stop()

    def _account_for_this_replay(self) -> Account:
        if not self.plan.visit.creates_an_account:
            return self.account
        # A sign-up makes a new account each time: the address must be new each time.
        email = f"loadtest-{_Run.name}-{self.number}-{self.loops_done}@example.com"
        return Account(email, secrets.token_urlsafe(12))

    def _replay(self, visit: RecordedVisit, account: Account) -> None:
        assert self.host is not None, "give the server with --host"
        browser = CookieBrowser(self.host.rstrip("/")) if visit.uses_cookies else None
        for connection in visit.connections:
            link = self._replay_page(browser, connection, account)
            if connection.hand_off is not None and link is not None and browser is not None:
                self._hand_off(browser, link, connection.hand_off)

    def _replay_page(
        self, browser: CookieBrowser | None, connection: RecordedConnection, account: Account
    ) -> str | None:
        """Load the page, replay its connection; the hand-off link it ends with, if recorded."""
        if browser is not None:
            self._load_page(browser, connection.path)
        connecting = time.perf_counter()
        with self._connect(browser, connection.path) as socket:
            page = ReplayedPage(account)
            self._open(page, socket, connection, connecting)
            for event in connection.events_after_opening:
                gevent.sleep(think_time(self.options.think_time, event))
                self._drain(page, socket)
                self._send(page, socket, event)
            if connection.hand_off is None:
                return None
            return self._wait_for_hand_off_link(page, socket, connection.hand_off)

    def _sign_up_for_an_account(self) -> Account:
        """An account of this user's own, made on the app's sign-up page as a person would."""
        account = Account(f"loadtest-{_Run.name}-{self.number}@example.com", secrets.token_urlsafe(12))
        sign_up = RecordedConnection(
            "sign-up",
            (
                _event(HISTORY_EVENT, None, {"pathname": SIGN_UP_PATH, "search": ""}),
                _event("onChange", "sign-up-email", fill=EMAIL_FILL),
                _event("onChange", "sign-up-name", {"target": {"value": SIGN_UP_NAME}}),
                _event("onChange", "sign-up-password", fill=NEW_ACCOUNT_FILL),
                _event("onSubmit", "sign-up-form", answered=True),
            ),
            HandOff(SIGN_IN_COMPLETE_PATH, 303, "/"),
        )
        try:
            self._replay(RecordedVisit("sign-up", (sign_up,)), account)
        except (ReplayFailedError, ConnectionClosed, OSError) as error:
            self._report("sign up for an account", 0.0, 0, error)
            raise StopUser from None
        return account

    def _connect(self, browser: CookieBrowser | None, path: str) -> BlockingWebSocket:
        assert self.host is not None, "give the server with --host"
        url = self.host.replace("http", "ws", 1) + stream_path(path)
        headers = {"Origin": self.host.rstrip("/")}
        if browser is not None:
            headers["Cookie"] = browser.cookie_header()
        return BlockingWebSocket(url, headers=headers, open_timeout=self.options.response_timeout)

    def _load_page(self, browser: CookieBrowser, path: str) -> None:
        started = time.perf_counter()
        response = browser.get(path)
        problem = None if response.status == 200 else ServerDidNotConfirmError(f"answered {response.status}")
        self._report(page_step(path), _ms_since(started), len(response.body), problem, HTTP_REQUEST_TYPE)
        if problem is not None:
            raise ReplayFailedError

    def _hand_off(self, browser: CookieBrowser, link: str, recorded: HandOff) -> None:
        """Follow the page's hand-off link as its browser did (the ticket for a cookie)."""
        started = time.perf_counter()
        response = browser.get(link)
        live = HandOff(recorded.path, response.status, response.headers.get("Location"))
        problem = (
            None
            if live == recorded
            else ServerDidNotConfirmError(f"{live.describe()}, recorded {recorded.describe()}")
        )
        self._report(
            hand_off_step(recorded.path), _ms_since(started), len(response.body), problem, HTTP_REQUEST_TYPE
        )
        if problem is not None:
            raise ReplayFailedError

    def _wait_for_hand_off_link(
        self, page: ReplayedPage, socket: BlockingWebSocket, recorded: HandOff
    ) -> str:
        started = time.perf_counter()
        deadline = time.monotonic() + self.options.response_timeout
        while (link := page.navigation_to(recorded.path)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                shown = " / ".join(page.messages()) or "no message"
                problem = ServerDidNotConfirmError(
                    f"the page never sent the browser to {recorded.path}; it shows: {shown}"
                )
                self._report(hand_off_step(recorded.path), _ms_since(started), 0, problem, HTTP_REQUEST_TYPE)
                raise ReplayFailedError
            with suppress(TimeoutError):
                page.receive(socket.recv(timeout=remaining))
        return link

    def _open(
        self, page: ReplayedPage, socket: BlockingWebSocket, connection: RecordedConnection, connecting: float
    ) -> None:
        """The page's first update (its page shown), timed from ``connecting``, when the browser
        began to connect (a visitor waits for the TCP connection and the websocket handshake
        too: a server that accepts connections late shows here), and checked as recorded; then
        the router's report of its location, sent as the page script sends it."""
        opening = connection.opening
        self._take_answer(open_step(connection.path), page, socket, connecting, opening)
        if opening is not None:
            socket.send(page.message_for(opening))

    def _send(self, page: ReplayedPage, socket: BlockingWebSocket, event: RecordedEvent) -> None:
        name = event.describe()
        try:
            message = self._wait_for_element(page, socket, event)
        except ElementNotFoundError as error:
            self._report(name, 0.0, 0, error)
            raise ReplayFailedError from error
        started = time.perf_counter()
        socket.send(message)
        if not event.answered:
            return  # the server did not answer this one when recorded either (e.g. a keystroke)
        self._take_answer(name, page, socket, started, event)

    def _take_answer(
        self,
        name: str,
        page: ReplayedPage,
        socket: BlockingWebSocket,
        started: float,
        recorded: RecordedEvent | None,
    ) -> None:
        """Receive the answer of the step ``name`` begun at ``started``, check it shows what the
        ``recorded`` event's answer showed, and report it."""
        try:
            answer = socket.recv(timeout=self.options.response_timeout)
        except TimeoutError:
            timeout = TimeoutError(f"no answer in {self.options.response_timeout} s")
            self._report(name, _ms_since(started), 0, timeout)
            raise ReplayFailedError from None
        answered_in = _ms_since(started)
        page.receive(answer)
        missing = self._wait_for_confirmation(page, socket, recorded) if recorded is not None else []
        problem = ServerDidNotConfirmError("; ".join(missing)) if missing else None
        # Until the page showed the answer: the first update may have been another's.
        shown = recorded is not None and recorded.expects and not missing
        self._report(name, _ms_since(started) if shown else answered_in, len(answer), problem)
        if problem is not None:
            raise ReplayFailedError

    def _wait_for_confirmation(
        self, page: ReplayedPage, socket: BlockingWebSocket, event: RecordedEvent
    ) -> list[str]:
        """What the page still does not show of the recorded answer, after waiting for it."""
        deadline = time.monotonic() + self.options.response_timeout
        while missing := page.unconfirmed(event):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return missing
            with suppress(TimeoutError):
                page.receive(socket.recv(timeout=remaining))
        return []

    def _wait_for_element(self, page: ReplayedPage, socket: BlockingWebSocket, event: RecordedEvent) -> bytes:
        """The event addressed to its live element, once the page shows it (as a user waits)."""
        deadline = time.monotonic() + self.options.response_timeout
        while True:
            try:
                return page.message_for(event)
            except ElementNotFoundError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise
                with suppress(TimeoutError):
                    page.receive(socket.recv(timeout=remaining))

    def _drain(self, page: ReplayedPage, socket: BlockingWebSocket) -> None:
        """Take what the server sent meanwhile, so the next answer is the next event's."""
        while True:
            try:
                page.receive(socket.recv(timeout=0))
            except TimeoutError:
                return

    def _report(
        self, name: str, milliseconds: float, size: int, error: Exception | None, kind: str = REQUEST_TYPE
    ) -> None:
        self.environment.events.request.fire(
            request_type=kind,
            name=name,
            response_time=milliseconds,
            response_length=size,
            exception=error,
            context={},
        )

    def _stop(self) -> None:
        # When the last user is done, end the whole run instead of idling until --run-time.
        _Run.users_finished += 1
        if _Run.users_finished >= (self.options.num_users or 1):
            gevent.spawn(_quit, self.environment)
        raise StopUser


def _event(
    event: str,
    element_id: str | None,
    data: dict[str, Any] | None = None,
    *,
    fill: str | None = None,
    answered: bool = False,
) -> RecordedEvent:
    """An event written here rather than recorded (the sign-up of a user's own account)."""
    return RecordedEvent(
        data=[data or {"target": {"value": ""}}],
        event=event,
        path="",
        element_id=element_id,
        near_id=None,
        tag="",
        think_time=0.0,
        answered=answered,
        fill=fill,
    )


def _request_type(step: str) -> str:
    return HTTP_REQUEST_TYPE if step.startswith((page_step(""), hand_off_step(""))) else REQUEST_TYPE


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _quit(environment: Environment) -> None:
    if environment.runner is not None:
        environment.runner.quit()
