"""Notes from text and Markdown files: what a file becomes, and the import of one file.

One file is one note: its title is the file's first Markdown heading, else its first line,
else the file's name (without its extension); its text is the rest. A file is imported in one
transaction with a record of its upload id (``note_imports``), so an upload retried after a
reconnect finds the first one's note instead of making a second.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from heavy import N_, CommitFailedError, Database, Upload, UploadPolicy, UploadResult, shown_name
from heavy import gettext as t
from sqlalchemy.exc import IntegrityError

from heavy_stack.backend.data.model_managers.note_manager import clean_note
from heavy_stack.backend.data.model_managers.registry import managers
from heavy_stack.backend.services.note_search import NoteSearch
from heavy_stack.shared_models.note import TITLE_MAX_LENGTH, NoteId
from heavy_stack.shared_models.note_import import NoteImport
from heavy_stack.shared_models.user import UserId

logger = logging.getLogger(__name__)

# Room for a full note in any script (a character takes at most 4 bytes in UTF-8: 40,800 bytes
# for a title and text at their limits), in a round number a person can read.
NOTE_FILE_POLICY = UploadPolicy(
    max_bytes=50_000,
    accept=(".txt", ".md", ".markdown", "text/plain", "text/markdown", "text/x-markdown"),
    kinds=N_("text or Markdown files (.txt, .md)"),
)

# An ATX heading ("# Title", "## Title ##").
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
# The line under a Setext heading ("Title" then "=====" or "-----").
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")


def note_from_text(file_name: str, text: str) -> tuple[str, str]:
    """The title and text a file's contents become; ValueError with the reason in words."""
    shown = shown_name(file_name)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise ValueError(t("{name} holds NUL characters: it is not a text file.").format(name=shown))
    lines = text.split("\n")
    if not any(_words_of(line) for line in lines):
        raise ValueError(t("{name} is empty: there is nothing to import.").format(name=shown))
    title, rest = _title_line(lines)
    if title and len(title) <= TITLE_MAX_LENGTH:
        body = "\n".join(rest)
    else:
        title, body = PurePosixPath(file_name).stem.strip(), text
        if not title or len(title) > TITLE_MAX_LENGTH:
            raise ValueError(
                t(
                    "{name} has no title of at most {limit} characters: "
                    "its first line and its name are both longer (or empty)."
                ).format(name=shown, limit=TITLE_MAX_LENGTH)
            )
    try:
        return clean_note(title, body)
    except ValueError as problem:
        raise ValueError(f"{shown}: {problem}") from None


def _title_line(lines: list[str]) -> tuple[str, list[str]]:
    """The first heading with words (ATX anywhere, or Setext on the first line) and the other
    lines; else the first line with words and the lines after it."""
    for index, line in enumerate(lines):
        heading = _ATX_HEADING.match(line)
        if heading and heading.group(1).strip():
            return heading.group(1).strip(), lines[:index] + lines[index + 1 :]
    first = next(index for index, line in enumerate(lines) if _words_of(line))
    if first + 1 < len(lines) and _SETEXT_UNDERLINE.match(lines[first + 1]):
        return lines[first].strip(), lines[first + 2 :]
    return _words_of(lines[first]), lines[first + 1 :]


def _words_of(line: str) -> str:
    """A line's text; an empty heading marker ("#") has none."""
    text = line.strip()
    return "" if text.strip("#") == "" else text


def decoded(upload: Upload) -> str:
    """The file's text; ValueError when it is not UTF-8."""
    try:
        return upload.data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(
            t("{name} is not UTF-8 text: save it as UTF-8 (or plain text) and try again.").format(
                name=shown_name(upload.name)
            )
        ) from None


@dataclass(frozen=True)
class NoteImporter:
    """Imports files as notes for their owner (one transaction per file)."""

    database: Database
    note_search: NoteSearch

    async def import_file(self, upload: Upload, owner_id: UserId) -> UploadResult:
        """The note ``upload`` becomes, stored once per upload id; or a refusal in words."""
        try:
            title, body = note_from_text(upload.name, decoded(upload))
        except ValueError as problem:
            return UploadResult.refused(str(problem))
        try:
            async with self.database.transaction():
                earlier = await self.imported(owner_id, [upload.id])
                if earlier:
                    return _imported(earlier[0], repeated=True)
                note = await managers().notes.create(owner_id, title, body)
                await managers().note_imports.record(owner_id, upload.id, note.id, upload.name)
        except (IntegrityError, CommitFailedError):
            # The same upload id stored meanwhile by another try (its key refused this one).
            async with self.database.transaction():
                earlier = await self.imported(owner_id, [upload.id])
            if not earlier:
                raise
            return _imported(earlier[0], repeated=True)
        await self._embed(note.id)
        return _imported(NoteImport(upload_id=upload.id, file_name=upload.name, note_id=note.id, title=title))

    async def imported(self, owner_id: UserId, upload_ids: list[str]) -> list[NoteImport]:
        """The owner's notes made from these uploads (in the caller's transaction)."""
        return await managers().note_imports.find_owned(owner_id, upload_ids)

    async def _embed(self, note_id: NoteId) -> None:
        try:
            await self.note_search.embed_pending([note_id])
        except Exception:  # the note is stored: the catch-up job embeds it later
            logger.exception("Could not embed an imported note now; the catch-up job will")


def _imported(note_import: NoteImport, *, repeated: bool = False) -> UploadResult:
    return UploadResult.stored(
        t("Imported as “{title}”.").format(title=note_import.title),
        link=f"/notes/{note_import.note_id}",
        repeated=repeated,
    )
