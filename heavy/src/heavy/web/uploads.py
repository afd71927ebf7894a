"""File uploads: a streaming upload route with limits, and what its page is told.

The browser side is heavy's client (``heavy/client/src/page/uploads.js``, in ``heavy_page.js``):
an element marked with ``upload_zone_attributes`` takes files from a file input inside it and
from a drop; for each file the client makes an id, refuses locally what the policy would refuse
(no byte is sent), sends the rest one request each with ``XMLHttpRequest`` (upload progress
events drive a ``<progress data-heavy-upload-progress=ID>`` the page renders), retries after a
dropped connection with the same id, and reports every file's state to the page as an
``UploadReport`` (a change of the zone's ``data-heavy-upload-report`` input): the page itself,
rendered on the server, shows each file's outcome in words.

The route (``install_upload_route``) answers one file per request, the file's bytes as the
body (no multipart: nothing to parse, and the declared length is the file's):

1. the page's origin is checked as the websocket's is (``OriginPolicy``), and the request must
   carry ``Heavy-Upload-Id``: a page of another site cannot send that header without the app's
   consent (CORS), so a cross-site form cannot post here (the session cookie is SameSite=Lax too);
2. the uploader is the product's (``owner(request)``, e.g. from its visitor): None is a 401;
3. the declared ``Content-Length`` and ``Content-Type`` are checked against the policy before
   any byte of the body is read (413, 415); a body without a length (chunked) is read with the
   limit enforced while it streams (413 as soon as it passes the limit);
4. only a whole body reaches the product's ``store(upload, owner)``: a connection dropped midway
   leaves nothing. The product stores it in one transaction and answers an ``UploadResult``;
   the client's id (``Upload.id``) lets it answer a repeated upload (a retry after a reconnect
   whose first try was stored) with the first one's result instead of storing it twice.

Every refusal is a JSON ``UploadResult`` with a sentence for the person (``message``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, ClassVar, Literal, TypeVar, cast
from urllib.parse import unquote

from heavy.data.db_connection import is_unavailable
from heavy.events import Event, clean_text
from heavy.hooks import FAILED, UNAVAILABLE
from heavy.i18n import current_language, gettext, ngettext
from heavy.settings import HeavySettings
from heavy.web.security.origin import Handshake, OriginPolicy
from sanic import Request, Sanic
from sanic.http.http1 import Http
from sanic.response import JSONResponse
from sanic.response import json as json_response

logger = logging.getLogger(__name__)

OwnerT = TypeVar("OwnerT")

ID_HEADER = "heavy-upload-id"
NAME_HEADER = "heavy-upload-name"
# Made by the client: 16 to 64 letters, digits, "-" or "_" (a UUID fits).
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_NAME_LENGTH = 1000
# The MIME type a browser gives a file it knows no type for: decided by the file's extension.
UNKNOWN_TYPES = frozenset({"", "application/octet-stream"})

Outcome = Literal["stored", "refused"]


@dataclass(frozen=True)
class UploadPolicy:
    """What an upload route takes: at most ``max_bytes`` per file, of the kinds in ``accept``.

    ``accept`` lists extensions (``.md``) and MIME types (``text/plain``) as an HTML ``accept``
    attribute does; a file fits when its MIME type is listed, or its type is unknown or not
    listed but its extension is (browsers type ``.md`` files differently). ``kinds`` names
    them for a person ("text or Markdown files"; marked with ``N_``, shown translated).
    """

    max_bytes: int
    accept: tuple[str, ...]
    kinds: str = "files of the accepted kinds"
    max_files: int = 20

    @property
    def accept_attribute(self) -> str:
        """The file input's ``accept``: what the browser's file picker offers."""
        return ",".join(self.accept)

    def refusal(self, name: str, size: int | None, content_type: str | None) -> str | None:
        """Why this file is refused, in words; None when it may be sent."""
        shown = shown_name(name)
        if not self.accepts(name, content_type):
            kinds = gettext(self.kinds)
            if content_type and content_type not in UNKNOWN_TYPES:
                return gettext("{name} is not one of the {kinds} this takes ({type}).").format(
                    name=shown, kinds=kinds, type=content_type
                )
            return gettext("{name} is not one of the {kinds} this takes.").format(name=shown, kinds=kinds)
        if size is not None and size > self.max_bytes:
            found, limit = size_in_words(size), size_in_words(self.max_bytes)
            if found == limit:  # "50 KB, and at most 50 KB": say the bytes
                found, limit = _bytes(size), _bytes(self.max_bytes)
            return gettext("{name} is too large: {size}, and a file may have at most {limit}.").format(
                name=shown, size=found, limit=limit
            )
        return None

    def too_large(self, name: str) -> str:
        """What a body that grew past the limit while it streamed is told."""
        return gettext("{name} is too large: a file may have at most {limit}.").format(
            name=shown_name(name), limit=size_in_words(self.max_bytes)
        )

    def accepts(self, name: str, content_type: str | None) -> bool:
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if media_type and media_type in self.accept:
            return True
        return PurePosixPath(name.lower()).suffix in self.accept if "." in name else False


def shown_name(name: str) -> str:
    """A file name as a message quotes it (a very long one shortened in the middle)."""
    if len(name) > 80:
        name = f"{name[:50]}…{name[-25:]}"
    return gettext("“{name}”").format(name=name) if name else gettext("The file")


def size_in_words(size: int) -> str:
    """``3 bytes``, ``12.5 KB``, ``50 KB``, ``2 MB`` (1 KB = 1,000 bytes, as file managers show),
    in the current language ("12,5 KB")."""
    if size < 1000:
        return _bytes(size)
    number, unit = (size / 1000, "KB") if size < 1_000_000 else (size / 1_000_000, "MB")
    return f"{current_language().format_number(round(number, 1))} {unit}"


def _bytes(size: int) -> str:
    return ngettext("{count} byte", "{count} bytes", size).format(
        count=current_language().format_number(size)
    )


@dataclass(frozen=True)
class Upload:
    """One file, received whole: the client's id for it, its name and declared type, its bytes."""

    id: str
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class UploadResult:
    """What the route answers for one file, and what the page shows of it.

    ``message`` is a sentence for the person; ``link`` an address of what was made (optional);
    ``repeated`` marks the answer to a file stored before under the same id.
    """

    outcome: Outcome
    message: str
    status: int = 200
    link: str | None = None
    repeated: bool = False

    @classmethod
    def stored(cls, message: str, *, link: str | None = None, repeated: bool = False) -> UploadResult:
        return cls("stored", message, 200, link, repeated)

    @classmethod
    def refused(cls, message: str, status: int = 200) -> UploadResult:
        """A refusal. The product's refusals of a file's contents (not UTF-8, too long) keep
        the default 200: the request went well and the answer is the file's outcome (browsers
        log every 4xx answer as a console error); the route's own refusals carry 4xx codes."""
        return cls("refused", message, status)

    def response(self, upload_id: str | None) -> JSONResponse:
        body: dict[str, Any] = {"id": upload_id, "outcome": self.outcome, "message": self.message}
        if self.link is not None:
            body["link"] = self.link
        if self.repeated:
            body["repeated"] = True
        return json_response(body, status=self.status, headers={"Cache-Control": "no-store"})


def install_upload_route(
    app: Sanic[Any, Any],
    path: str,
    policy: UploadPolicy,
    *,
    owner: Callable[[Request], Awaitable[OwnerT | None]],
    store: Callable[[Upload, OwnerT], Awaitable[UploadResult]],
    name: str,
) -> None:
    """``POST path``: one file per request, checked and read as the module docstring says.

    ``owner(request)`` says who uploads (None: not signed in, 401); ``store(upload, owner)``
    keeps a whole file and says what became of it. When either raises, nothing was stored:
    an error that means the database is unavailable (``is_unavailable``) answers 503 with
    ``UNAVAILABLE`` (the client tries again), any other 500 with ``FAILED`` (and a traceback). Sanic's own body limit does not apply to
    this route: ``policy.max_bytes`` does, while the body streams.
    """
    settings = app.ctx.settings
    if not isinstance(settings, HeavySettings):
        raise TypeError("install_upload_route needs an app built by heavy.create_app")
    origins = OriginPolicy.for_app(settings, os.environ)

    async def upload(request: Request) -> JSONResponse:
        upload_id = request.headers.get(ID_HEADER, "")
        refusal = _refused_request(request, origins, upload_id)
        if refusal is not None:
            return refusal.response(upload_id if _UPLOAD_ID.match(upload_id) else None)
        try:
            result = await receive(request, upload_id)
        except Exception as error:  # the product's owner or store: nothing was stored
            result = _failure(error)
        return result.response(upload_id)

    async def receive(request: Request, upload_id: str) -> UploadResult:
        file_name = _file_name(request.headers.get(NAME_HEADER, ""))
        if file_name is None:
            return UploadResult.refused(gettext("The file's name could not be read."), 400)
        uploader = await owner(request)
        if uploader is None:
            return UploadResult.refused(gettext("Sign in to upload files."), 401)
        content_type = request.headers.get("content-type", "")
        declared = _declared_length(request)
        if declared == -1:
            return UploadResult.refused(gettext("The request's length could not be read."), 400)
        why = policy.refusal(file_name, declared, content_type)
        if why is not None:
            return UploadResult.refused(why, 415 if not policy.accepts(file_name, content_type) else 413)
        data = await _read_body(request, policy.max_bytes)
        if data is None:
            return UploadResult.refused(policy.too_large(file_name), 413)
        return await store(Upload(upload_id, file_name, content_type, data), uploader)

    app.add_route(upload, path, methods=["POST"], name=name, stream=True)


def _refused_request(request: Request, origins: OriginPolicy, upload_id: str) -> UploadResult | None:
    """A request from a foreign page, or without an upload id, is refused before anything else."""
    refusal = origins.refusal(Handshake.of(request))
    if refusal is not None:
        origin, host = request.headers.get("origin", "none"), request.host
        logger.warning(
            "Refused an upload from origin %r to host %r (not allowed: %s)",
            origin[:100],
            host[:100],
            refusal.origins_setting,
        )
        return UploadResult.refused(gettext("This page's address may not upload files here."), 403)
    if not _UPLOAD_ID.match(upload_id):
        return UploadResult.refused(gettext("An upload needs its id (Heavy-Upload-Id)."), 400)
    return None


def _failure(error: Exception) -> UploadResult:
    """What a failure of the product's owner or store answers: the database being away is
    worth a retry (503, which heavy's client retries); anything else is a bug (500, logged)."""
    if is_unavailable(error):
        logger.warning("An upload was not stored: the database is unavailable (%r)", error)
        return UploadResult.refused(gettext(UNAVAILABLE), 503)
    logger.exception("An upload failed; nothing was stored")
    return UploadResult.refused(gettext(FAILED), 500)


def _file_name(header: str) -> str | None:
    """The name the client percent-encoded into its header (UTF-8); None when unreadable."""
    try:
        name = unquote(header, errors="strict")
    except UnicodeDecodeError:
        return None
    name = clean_text(name).strip()
    return name if len(name) <= MAX_NAME_LENGTH else None


def _declared_length(request: Request) -> int | None:
    """The body's declared length; None for a chunked body, -1 when unreadable."""
    value = request.headers.get("content-length")
    if value is None:
        return None
    return int(value) if value.isascii() and value.isdigit() else -1


async def _read_body(request: Request, max_bytes: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``max_bytes`` (the rest is not read).

    A connection dropped midway cancels the handler here: nothing reaches the product.
    """
    if request.stream is None:
        return bytes(request.body or b"")
    stream = cast(Http, request.stream)  # HTTP/1.1: Sanic's Http reads the body
    chunks: list[bytes] = []
    received = 0
    while True:
        chunk = await stream.read()
        if chunk is None:
            return b"".join(chunks)
        received += len(chunk)
        if received > max_bytes:
            return None
        chunks.append(chunk)


def upload_zone_attributes(path: str, policy: UploadPolicy) -> dict[str, str]:
    """The attributes that make an element an upload zone of heavy's client (files dropped on
    it or chosen in a file input inside it go to ``path``)."""
    return {
        "data-heavy-upload": path,
        "data-heavy-upload-max-bytes": str(policy.max_bytes),
        "data-heavy-upload-accept": policy.accept_attribute,
        "data-heavy-upload-max-files": str(policy.max_files),
    }


def upload_report_attributes(component_token: str) -> dict[str, str]:
    """The attributes of the zone's report input (hidden; its ``onChange`` takes an
    ``UploadReport``): the client sets its value to every file's state and fires a change.

    ``component_token`` is made once per mounted component (``use_ref(new_component_token())``):
    the client tells every file's state again to a report input whose token it has not told,
    such as a new layout's after a reconnect, which starts knowing nothing of them.
    """
    return {"data-heavy-upload-report": component_token, "type": "hidden"}


def new_component_token() -> str:
    """A token for ``upload_report_attributes`` (random: one per mounted component)."""
    return secrets.token_hex(6)


def upload_progress_attributes(upload_id: str) -> dict[str, str]:
    """The attributes of a file's ``<progress>``: the client sets its value as bytes go out."""
    return {"data-heavy-upload-progress": upload_id, "max": "100"}


UploadState = Literal["waiting", "sending", "retrying", "done", "refused", "failed"]
_STATES: frozenset[str] = frozenset({"waiting", "sending", "retrying", "done", "refused", "failed"})
MAX_MESSAGE_LENGTH = 500


@dataclass(frozen=True, slots=True)
class ReportedFile:
    """One file as the client reports it: its id, name, size, type and state, and (once done)
    the route's answer."""

    id: str
    name: str
    size: int
    content_type: str
    state: UploadState
    result: UploadResult | None = None


@dataclass(frozen=True, slots=True)
class UploadReport(Event):
    """The client's report of an upload zone's files (a handler's event type).

    The client's words, so read defensively: an entry that does not fit is left out, at most
    ``max_files`` are kept, texts are cleaned and bounded. What a page shows from it concerns
    only the person's own page; what was stored, the page may read from its own database.
    """

    files: tuple[ReportedFile, ...]
    name: ClassVar[str] = "an upload report"
    max_files: ClassVar[int] = 100

    @classmethod
    def parse(cls, data: Sequence[Any]) -> UploadReport | None:
        if len(data) != 1 or not isinstance(data[0], dict):
            return None
        target = data[0].get("target")
        value = target.get("value") if isinstance(target, dict) else None
        if not isinstance(value, str):
            return None
        try:
            entries = json.loads(value)
        except ValueError:
            return None
        if not isinstance(entries, list):
            return None
        files = (_reported_file(entry) for entry in entries[: cls.max_files])
        return cls(tuple(file for file in files if file is not None))


def _reported_file(entry: object) -> ReportedFile | None:
    if not isinstance(entry, dict):
        return None
    upload_id, name, size = entry.get("id"), entry.get("name"), entry.get("size")
    content_type, state = entry.get("type", ""), entry.get("state")
    if not (isinstance(upload_id, str) and _UPLOAD_ID.match(upload_id)):
        return None
    if not (isinstance(name, str) and isinstance(content_type, str) and state in _STATES):
        return None
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return None
    result = _reported_result(entry.get("result"))
    name = clean_text(name)[:MAX_NAME_LENGTH]
    return ReportedFile(upload_id, name, size, clean_text(content_type)[:100], state, result)


def _reported_result(value: object) -> UploadResult | None:
    if not isinstance(value, dict):
        return None
    outcome, message, link = value.get("outcome"), value.get("message"), value.get("link")
    if outcome not in ("stored", "refused") or not isinstance(message, str):
        return None
    safe_link = link if isinstance(link, str) and link.startswith("/") and not link.startswith("//") else None
    return UploadResult(
        outcome,
        clean_text(message)[:MAX_MESSAGE_LENGTH],
        link=safe_link,
        repeated=value.get("repeated") is True,
    )
