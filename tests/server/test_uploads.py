"""The note import route (heavy's upload route) on the real server: limits answered before the
body is read, refusals in words, nothing stored from a dropped connection, an upload id stored once."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from heavy import Database
from heavy.testing.cookie_browser import CookieBrowser
from heavy.testing.live_server import LiveServer
from sqlalchemy import text

from heavy_stack.backend.services.note_import import NOTE_FILE_POLICY
from heavy_stack.backend.web.note_import import NOTE_IMPORT_PATH

from tests.server.test_notes_authorization import signed_in_browser

pytestmark = pytest.mark.server


@dataclass
class Answer:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Uploader:
    """Posts files to the import route as a signed-in browser would."""

    base_url: str
    cookie: str

    @property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.base_url)
        assert parts.hostname is not None
        assert parts.port is not None
        return parts.hostname, parts.port

    def headers(self, name: str, upload_id: str, content_type: str | None) -> dict[str, str]:
        headers = {
            "Cookie": self.cookie,
            "Origin": self.base_url,
            "Heavy-Upload-Id": upload_id,
            "Heavy-Upload-Name": quote(name),
        }
        return headers | ({"Content-Type": content_type} if content_type else {})

    def post(
        self,
        name: str,
        data: bytes,
        *,
        upload_id: str | None = None,
        content_type: str | None = "text/markdown",
        **extra: str,
    ) -> Answer:
        headers = self.headers(name, upload_id or new_id(), content_type) | extra
        connection = http.client.HTTPConnection(*self.address, timeout=10)
        try:
            connection.request("POST", NOTE_IMPORT_PATH, body=data, headers=headers)
            response = connection.getresponse()
            return Answer(response.status, json.loads(response.read()))
        finally:
            connection.close()

    def raw(self, head_extra: str, upload_id: str, name: str = "raw.md") -> socket.socket:
        """A socket that has sent the request's head (the body is the caller's to send)."""
        lines = [f"POST {NOTE_IMPORT_PATH} HTTP/1.1", f"Host: {self.address[0]}:{self.address[1]}"]
        lines += [f"{key}: {value}" for key, value in self.headers(name, upload_id, "text/markdown").items()]
        raw = socket.create_connection(self.address, timeout=10)
        raw.sendall(("\r\n".join(lines) + "\r\n" + head_extra + "\r\n").encode())
        return raw


def new_id() -> str:
    return uuid.uuid4().hex


def answer_of(raw: socket.socket) -> Answer:
    """The response read from a raw socket (headers, then the JSON body)."""
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = raw.recv(65536)
        assert chunk, f"closed without an answer: {reply!r}"
        reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += raw.recv(65536)
    return Answer(int(head.split(b" ")[1]), json.loads(body[:length]))


@pytest.fixture(scope="module")
async def uploader(server: LiveServer) -> AsyncIterator[Uploader]:
    """A signed-in browser's uploads; afterwards, the server logged no error for any of them
    (refusals, dropped connections and races included)."""
    browser: CookieBrowser = await signed_in_browser(server)
    logged_before = len(server.log())
    yield Uploader(server.base_url, browser.cookie_header())
    logged = server.log()[logged_before:]
    assert not re.findall(r".*(?:\bERROR\b|Traceback).*", logged)


async def imports_of(database: Database, upload_id: str) -> list[tuple[str, str]]:
    """The notes (title, text) stored from this upload id."""
    async with database.transaction() as session:
        rows = await (await session.connection()).execute(
            text(
                "SELECT n.title, n.body FROM note_imports i JOIN notes n ON n.id = i.note_id"
                " WHERE i.upload_id = :upload_id"
            ),
            {"upload_id": upload_id},
        )
        return [(row.title, row.body) for row in rows]


async def test_a_markdown_file_becomes_a_note(uploader: Uploader, database: Database) -> None:
    upload_id = new_id()
    answer = uploader.post("plan.md", b"# The plan\n\nFirst, tea.\r\nThen: work.\n", upload_id=upload_id)
    assert answer.status == 200
    assert answer.body["outcome"] == "stored"
    assert answer.body["message"] == "Imported as “The plan”."
    assert answer.body["link"].startswith("/notes/")
    assert await imports_of(database, upload_id) == [("The plan", "First, tea.\nThen: work.")]


async def test_a_declared_size_over_the_limit_is_refused_before_any_byte_is_sent(
    uploader: Uploader, database: Database
) -> None:
    upload_id = new_id()
    raw = uploader.raw("Content-Length: 10000000\r\n", upload_id, name="huge.md")
    with raw:
        answer = answer_of(raw)  # answered with no byte of the body sent
    assert answer.status == 413
    assert answer.body["message"] == "“huge.md” is too large: 10 MB, and a file may have at most 50 KB."
    assert await imports_of(database, upload_id) == []


async def test_a_body_that_grows_past_the_limit_is_refused_while_it_streams(
    uploader: Uploader, database: Database
) -> None:
    upload_id = new_id()
    raw = uploader.raw("Transfer-Encoding: chunked\r\n", upload_id, name="endless.md")
    with raw:
        chunk = b"# endless\n" + b"x" * 8000
        for _ in range(NOTE_FILE_POLICY.max_bytes // len(chunk) + 2):
            raw.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = answer_of(raw)
    assert answer.status == 413
    assert answer.body["message"] == "“endless.md” is too large: a file may have at most 50 KB."
    assert await imports_of(database, upload_id) == []


@pytest.mark.parametrize(
    ("name", "data", "content_type", "status", "message"),
    [
        (
            "photo.png",
            b"\x89PNG\r\n",
            "image/png",
            415,
            "“photo.png” is not one of the text or Markdown files (.txt, .md) this takes (image/png).",
        ),
        (
            "archive",
            b"PK",
            None,
            415,
            "“archive” is not one of the text or Markdown files (.txt, .md) this takes.",
        ),
        (
            "latin1.txt",
            "café crème".encode("latin-1"),
            "text/plain",
            200,
            "“latin1.txt” is not UTF-8 text: save it as UTF-8 (or plain text) and try again.",
        ),
        ("blank.md", b"  \n\n", None, 200, "“blank.md” is empty: there is nothing to import."),
        ("nul.txt", b"a\x00b", "text/plain", 200, "“nul.txt” holds NUL characters: it is not a text file."),
        (
            "long.txt",
            b"title\n" + b"x" * 10_001,
            "text/plain",
            200,
            "“long.txt”: A note has at most 10,000 characters; this one has 10,001.",
        ),
        (
            "y" * 300 + ".txt",
            b"z" * 201,
            "text/plain",
            200,
            f"“{'y' * 50}…{('y' * 300 + '.txt')[-25:]}” has no title of at most 200 characters: its first line and its name are both longer (or empty).",
        ),
    ],
)
async def test_files_that_will_not_do_are_refused_in_words_and_nothing_is_stored(
    uploader: Uploader,
    database: Database,
    name: str,
    data: bytes,
    content_type: str | None,
    status: int,
    message: str,
) -> None:
    upload_id = new_id()
    answer = uploader.post(name, data, upload_id=upload_id, content_type=content_type)
    assert (answer.status, answer.body) == (
        status,
        {"id": upload_id, "outcome": "refused", "message": message},
    )
    assert await imports_of(database, upload_id) == []


@pytest.mark.parametrize(
    ("name", "contents", "title", "body"),
    [
        ("заметка.md", "# Привет, мир\nтекст", "Привет, мир", "текст"),
        ("笔记.txt", "第一行\n第二行", "第一行", "第二行"),
        ("ملاحظة.md", "عنوان\n=====\nنص", "عنوان", "نص"),
        ("emoji 🎉.md", "no heading here 🎉\nbody", "no heading here 🎉", "body"),
        ("empty heading.md", "#   \nsome text", "some text", ""),
        ("intro then heading.md", "an intro\n\n## The title ##\nmore", "The title", "an intro\n\nmore"),
        ("a very long first line.txt", "w" * 201 + "\nnext", "a very long first line", "w" * 201 + "\nnext"),
        ("\u0301combining.md", "e\u0301te\u0301", "e\u0301te\u0301", ""),
    ],
)
async def test_names_and_titles_across_the_alphabet(
    uploader: Uploader, database: Database, name: str, contents: str, title: str, body: str
) -> None:
    upload_id = new_id()
    answer = uploader.post(name, contents.encode(), upload_id=upload_id, content_type=None)
    assert answer.status == 200, answer.body
    assert await imports_of(database, upload_id) == [(title, body)]


async def test_a_dropped_connection_midway_stores_nothing_and_the_retry_stores_the_whole_file(
    uploader: Uploader, database: Database
) -> None:
    upload_id, contents = new_id(), b"# Whole\n" + b"abcdefgh" * 1000
    raw = uploader.raw(f"Content-Length: {len(contents)}\r\n", upload_id, name="whole.md")
    raw.sendall(contents[: len(contents) // 2])
    raw.close()  # the connection drops halfway
    answer = uploader.post("whole.md", contents, upload_id=upload_id)  # the client's retry
    assert answer.status == 200
    assert answer.body.get("repeated") is None  # the half was never stored
    assert await imports_of(database, upload_id) == [("Whole", contents.decode().split("\n", 1)[1])]


async def test_an_upload_id_is_imported_once_even_when_both_tries_arrive_at_once(
    uploader: Uploader, database: Database
) -> None:
    upload_id = new_id()
    answers: list[Answer] = []

    def post() -> None:
        answers.append(uploader.post("twice.md", b"# Twice\nonce", upload_id=upload_id))

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    again = uploader.post("twice.md", b"# Twice\nonce", upload_id=upload_id)
    assert [answer.status for answer in [*answers, again]] == [200] * 4
    assert {answer.body["link"] for answer in [*answers, again]} == {again.body["link"]}
    assert again.body["repeated"] is True
    assert await imports_of(database, upload_id) == [("Twice", "once")]


async def test_who_may_upload(uploader: Uploader, database: Database) -> None:
    upload_id = new_id()
    anonymous = Uploader(uploader.base_url, "")
    assert anonymous.post("a.md", b"# A", upload_id=upload_id).body["message"] == "Sign in to upload files."
    foreign = uploader.post("a.md", b"# A", upload_id=upload_id, Origin="https://evil.example")
    assert (foreign.status, foreign.body["message"]) == (
        403,
        "This page's address may not upload files here.",
    )
    no_id = uploader.post("a.md", b"# A", upload_id="short")
    assert (no_id.status, no_id.body["message"]) == (400, "An upload needs its id (Heavy-Upload-Id).")
    assert await imports_of(database, upload_id) == []
