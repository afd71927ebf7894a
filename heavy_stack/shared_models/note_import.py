"""A file imported as a note: what the notes page shows of each upload."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from heavy_stack.shared_models.note import NoteId

# Upload ids are made by the browser (heavy's client): at most 64 characters.
UPLOAD_ID_MAX_LENGTH = 64


class NoteImport(BaseModel):
    """The note a file became: which upload, which file, which note with what title."""

    model_config = ConfigDict(frozen=True)

    upload_id: str
    file_name: str
    note_id: NoteId
    title: str
