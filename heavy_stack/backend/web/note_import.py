"""``POST /notes/import``: a text or Markdown file in, a note out (heavy's upload route).

heavy's route checks the page's origin, the declared size and type before reading the body,
and reads it with the limit enforced; here the uploader is the signed-in visitor of the
request's session cookie, and each whole file goes to ``NoteImporter`` (one transaction).
"""

from __future__ import annotations

from typing import Any, cast

from heavy import Upload, UploadResult, install_upload_route
from sanic import Request, Sanic

from heavy_stack.backend.services.note_import import NOTE_FILE_POLICY
from heavy_stack.backend.web.accounts import visitor_of
from heavy_stack.backend.web.app_state import AppState, app_state
from heavy_stack.shared_models.user import UserId

NOTE_IMPORT_PATH = "/notes/import"


def install_note_import(app: Sanic[Any, Any]) -> None:
    """The import route (the notes page's upload zone sends its files there)."""

    async def owner(request: Request) -> UserId | None:
        visitor = await visitor_of(request, app_state(request).services)
        if visitor.is_unchecked:  # not signed out: heavy answers 503, and the client tries again
            raise ConnectionError("The session could not be checked: the database is unavailable")
        return visitor.user.id if visitor.user is not None else None

    async def store(upload: Upload, owner_id: UserId) -> UploadResult:
        return await cast(AppState, app.ctx).services.note_import.import_file(upload, owner_id)

    install_upload_route(
        app, NOTE_IMPORT_PATH, NOTE_FILE_POLICY, owner=owner, store=store, name="note_import"
    )
