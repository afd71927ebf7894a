"""Import notes from files: an upload zone on the notes page (heavy's upload machinery).

heavy's client sends the files dropped on the zone or chosen in its file input to
``POST /notes/import`` with a progress bar each, and reports every file's state to this
component (``UploadReport``). What the person reads is decided here, on the server: a file the
limits refuse is refused in the policy's words (the client only decided not to send it), an
imported one is shown with the title of the note it became, read from the database by its
upload id, and the route's refusal (not UTF-8, empty, too long) is shown as it answered.
"""

from __future__ import annotations

from collections.abc import Callable

from heavy import (
    N_,
    ReportedFile,
    UploadReport,
    heavy_event,
    heavy_use_state,
    html,
    new_component_token,
    size_in_words,
    upload_progress_attributes,
    upload_report_attributes,
    upload_zone_attributes,
)
from heavy import gettext as t
from reactpy import component, use_ref

from heavy_stack.backend.services.note_import import NOTE_FILE_POLICY
from heavy_stack.backend.web.note_import import NOTE_IMPORT_PATH
from heavy_stack.frontend.app_context import AppContext
from heavy_stack.frontend.components import RouterLink, Section
from heavy_stack.frontend.types import Component
from heavy_stack.shared_models.note import Note
from heavy_stack.shared_models.note_import import NoteImport

# What a file's state says while it has no outcome yet.
STATE_WORDS = {
    "waiting": N_("Waiting to be sent…"),
    "sending": N_("Sending…"),
    "retrying": N_("The connection was lost: sending it again…"),
    "failed": N_("Not sent: the connection did not come back. Choose the file again to retry."),
}
TOO_MANY = N_("Not sent: choose at most {count} files at a time.")


@component
def NoteImportSection(show_notes: Callable[[tuple[Note, ...]], None]) -> Component:
    """The zone: a file input (keyboard) and a drop target, and one line per file sent."""
    no_files: tuple[ReportedFile, ...] = ()
    files, set_files = heavy_use_state(no_files)
    no_imports: dict[str, NoteImport] = {}
    imported, set_imported = heavy_use_state(no_imports)
    # A new one per mount: a layout after a reconnect is told the files again (heavy's client).
    token = use_ref(new_component_token()).current

    async def reported(context: AppContext, report: UploadReport) -> None:
        set_files(report.files)
        stored = [file.id for file in report.files if _stored(file) and file.id not in imported]
        if not stored:
            return
        owner = context.require_user().id
        found = await context.services.note_import.imported(owner, stored)
        set_imported(lambda known: known | {item.upload_id: item for item in found})
        if found:
            show_notes(tuple(await context.managers.notes.list_owned(owner)))

    policy = NOTE_FILE_POLICY
    zone = upload_zone_attributes(NOTE_IMPORT_PATH, policy) | {
        "id": "note-import",
        "className": "upload-zone",
    }
    return Section(
        t("Import from files"),
        html.div(
            zone,
            html.label(
                {"htmlFor": "note-import-files", "className": "upload-label"},
                t("Drop text or Markdown files here, or choose them: "),
            ),
            html.input(
                {
                    "type": "file",
                    "id": "note-import-files",
                    "multiple": True,
                    "accept": policy.accept_attribute,
                }
            ),
            html.input(
                upload_report_attributes(token)
                | {"id": "note-import-report", "onChange": heavy_event(reported, reads_only=True)}
            ),
            html.p(
                {"id": "note-import-help", "className": "upload-help"},
                t(
                    "One note per file: its first heading or line is the title. "
                    "At most {size} a file, {count} files at a time."
                ).format(size=size_in_words(policy.max_bytes), count=policy.max_files),
            ),
            _file_list(files, imported),
        ),
        id="import",
    )


def _file_list(files: tuple[ReportedFile, ...], imported: dict[str, NoteImport]) -> Component:
    if not files:
        return html.ul({"id": "note-import-list", "className": "upload-list"})
    return html.ul(
        {"id": "note-import-list", "className": "upload-list", "aria-live": "polite"},
        *(_file_line(file, imported.get(file.id)) for file in files),
    )


def _file_line(file: ReportedFile, note: NoteImport | None) -> Component:
    outcome, kind = _outcome(file, note)
    # A bar while the file goes, full once imported; none for a refused file.
    bar = upload_progress_attributes(file.id) | {
        "aria-label": t("Sent of {name}").format(name=file.name),
        "className": "progress",
    }
    progress = {"pending": html.progress(bar), "imported": html.progress(bar | {"value": "100"})}.get(
        kind, ""
    )
    return html.li(
        {"key": file.id, "className": f"upload-line upload-{kind}"},
        html.span({"className": "upload-name"}, file.name or t("(no name)")),
        progress,
        html.span({"className": "upload-outcome"}, *outcome),
    )


def _outcome(file: ReportedFile, note: NoteImport | None) -> tuple[list[Component], str]:
    """What the line says, and its kind: imported, refused or pending."""
    refusal = NOTE_FILE_POLICY.refusal(file.name, file.size, file.content_type)
    if refusal is not None:
        return [refusal], "refused"
    if note is not None:
        before, _, after = t("Imported as {title}.").partition("{title}")
        return [before, RouterLink(note.title, f"/notes/{note.note_id}"), after], "imported"
    result = file.result
    if file.state == "done" and result is not None:
        return [result.message], "imported" if result.outcome == "stored" else "refused"
    if file.state == "refused":
        return [t(TOO_MANY).format(count=NOTE_FILE_POLICY.max_files)], "refused"
    words = STATE_WORDS.get(file.state)
    return [t(words) if words else ""], "refused" if file.state == "failed" else "pending"


def _stored(file: ReportedFile) -> bool:
    return file.state == "done" and file.result is not None and file.result.outcome == "stored"
