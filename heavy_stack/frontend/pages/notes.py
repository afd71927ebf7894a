"""The notes example: a signed-in user's notes, each with its three most related notes.

Every manager call passes the signed-in user as the owner, taken from the ``AppContext``
(so from the session cookie), never from event data: a hand-crafted event can name any note id,
but reaches only the sender's own notes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4

from heavy import (
    N_,
    Handler,
    TopicMessage,
    current_language,
    heavy_event,
    heavy_use_context,
    heavy_use_effect,
    heavy_use_presence,
    heavy_use_state,
    heavy_use_topic,
    html,
    ngettext,
)
from heavy import gettext as t
from reactpy import component, use_ref
from reactpy_router import navigate, use_params, use_search_params

from heavy_stack.backend.data.model_managers.note_manager import NoteNotFoundError
from heavy_stack.frontend.app_context import AppContext
from heavy_stack.frontend.components import (
    Button,
    ButtonKind,
    ButtonRow,
    CenteredColumn,
    Dialog,
    Feedback,
    Form,
    FormMessage,
    LineInput,
    PageTitle,
    Paragraph,
    RouterLink,
    Section,
    TextArea,
    dialog_cancel,
    keep_in,
)
from heavy_stack.frontend.contexts import CurrentUserContext
from heavy_stack.frontend.pages.note_import import NoteImportSection
from heavy_stack.frontend.pages.notes_reindex import ReindexPanel
from heavy_stack.frontend.timezone import format_in_zone, use_timezone
from heavy_stack.frontend.types import Component
from heavy_stack.shared_models.note import BODY_MAX_LENGTH, Note, NoteId, RelatedNote
from heavy_stack.shared_models.user import UserId

NOT_FOUND = N_("There is no such note among yours.")


# How much of a note's first line the list shows (the rest is cut with an ellipsis).
EXCERPT_LENGTH = 140
# After a delete, the list says so (a flag, not the title: a link cannot put words on the page).
DELETED_FLAG = "deleted"
DELETED = N_("The note was deleted.")
UPDATED_FROM_ELSEWHERE = N_("This note was changed elsewhere; you see the new version.")
CHANGED_ELSEWHERE = N_("This note was changed elsewhere while you were editing it.")
DELETED_ELSEWHERE = N_("This note was deleted elsewhere. Your text is still here.")


def note_topic(note_id: NoteId) -> str:
    """What pages showing one note follow (saves and deletes), and are present on."""
    return f"note:{note_id}"


def notes_of_topic(owner_id: UserId) -> str:
    """What the list of one user's notes follows: any of their notes added, saved or deleted."""
    return f"notes-of:{owner_id}"


def _publish_change(context: AppContext, note_id: NoteId, change: str, by: str = "") -> None:
    """Tell the pages showing the note, and the owner's list, once the write is committed.
    ``by``: the page that made it (it knows already). What changed is read again from the
    database by whoever follows: the message says only that it changed."""
    owner = context.require_user().id
    context.publish(note_topic(note_id), {"change": change, "by": by})
    context.publish(notes_of_topic(owner), {"change": change, "note": str(note_id)})


@component
def NotesPage() -> Component:
    """``/notes``: the user's notes, newest edit first, and a form for a new one."""
    no_notes: tuple[Note, ...] | None = None
    notes, set_notes = heavy_use_state(no_notes)
    title, body = use_ref(""), use_ref("")
    just_deleted = DELETED_FLAG in use_search_params()
    message, set_message = heavy_use_state(Feedback.success(t(DELETED)) if just_deleted else Feedback())
    form_key, set_form_key = heavy_use_state(0)

    async def load(context: AppContext) -> None:
        loaded = tuple(await context.managers.notes.list_owned(context.require_user().id))
        # Only if nothing newer arrived meanwhile (a note added before this first load ended).
        # A read-only unit writes nothing: its state is set at once.
        set_notes(lambda current: loaded if current is None else current)

    heavy_use_effect(load, [], reads_only=True)

    async def list_again(context: AppContext, _message: TopicMessage) -> None:
        # A note added, saved or deleted in another page (or another browser of the user's).
        set_notes(tuple(await context.managers.notes.list_owned(context.require_user().id)))

    user = heavy_use_context(CurrentUserContext)
    heavy_use_topic(None if user is None else notes_of_topic(user.id), list_again, reads_only=True)

    async def add(context: AppContext) -> None:
        owner = context.require_user().id
        try:
            note = await context.managers.notes.create(owner, title.current, body.current)
        except ValueError as problem:  # the draft stays in the form
            context.on_commit(set_message, Feedback.error(str(problem)))
            return
        _embed_after_commit(context, note.id)
        _publish_change(context, note.id, "added")
        # All shows once the note is committed, the new draft too (it lives in refs, which are
        # not state): a save refused at COMMIT shows nothing and keeps the draft.
        context.on_commit(set_notes, tuple(await context.managers.notes.list_owned(owner)))
        context.on_commit(set_form_key, form_key + 1)
        context.on_commit(set_message, Feedback.success(t("Added “{title}”.").format(title=note.title)))
        context.on_commit(start_a_new_draft)

    def start_a_new_draft() -> None:
        title.current = body.current = ""

    return CenteredColumn(
        PageTitle(t("Your notes")),
        NoteList(notes),
        Section(
            t("New note"),
            Form(
                "new-note-form",
                add,
                LineInput(t("Title"), keep_in(title), id="new-note-title"),
                TextArea(t("Text"), keep_in(body), id="new-note-body", max_length=BODY_MAX_LENGTH),
                ButtonRow(Button(t("Add note"), id="new-note-submit", type="submit")),
                reset_key=str(form_key),
            ),
            _message(message),
        ),
        NoteImportSection(set_notes),
        ReindexPanel(),
    )


@component
def NoteList(notes: tuple[Note, ...] | None) -> Component:
    """Each note with the date of its last edit and its first line; the whole card opens it."""
    zone = use_timezone()
    if notes is None:
        return Paragraph(t("Loading…"), id="note-list")
    if not notes:
        return html.div(
            {"id": "note-list", "className": "empty-state"},
            html.h2({"className": "empty-state-title"}, t("No notes yet")),
            Paragraph(
                t(
                    "Write your first one below: a title is enough to start, and related notes appear as you add more."
                )
            ),
        )
    edited = t("edited {when}")
    items = [
        html.li(
            {"key": str(note.id), "className": "note-item"},
            RouterLink(note.title, f"/notes/{note.id}", id=f"note-link-{note.id}"),
            html.time(
                {
                    "className": "note-date",
                    "dateTime": note.last_edited.isoformat(),
                    "id": f"note-date-{note.id}",
                },
                edited.format(when=format_in_zone(note.last_edited, zone, True)),
            ),
            html.p({"className": "note-excerpt"}, first_line(note.body)) if note.body.strip() else "",
        )
        for note in notes
    ]
    return html.ul({"id": "note-list", "className": "note-list", "aria-label": t("Your notes")}, *items)


def first_line(text: str) -> str:
    """The first line of ``text`` that holds something, cut to ``EXCERPT_LENGTH`` characters."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= EXCERPT_LENGTH else line[: EXCERPT_LENGTH - 1].rstrip() + "…"


@component
def NotePage() -> Component:
    """``/notes/<id>``: one note, to edit or delete, with its related notes."""
    note_id = NoteId(use_params()["note_id"])
    # A new editor for each note: its state and form start afresh when a related note is opened.
    return CenteredColumn(
        NoteEditor(note_id, key=str(note_id)),
        Paragraph(RouterLink(t("← All notes"), "/notes", id="to-notes-list")),
    )


@component
def NoteEditor(note_id: NoteId) -> Component:
    no_note: Note | None = None
    note, set_note = heavy_use_state(no_note)
    status, set_status = heavy_use_state("loading")  # loading, found, missing, deleted
    title, body = use_ref(""), use_ref("")
    message, set_message = heavy_use_state(Feedback())
    confirming, set_confirming = heavy_use_state(False)
    # Live: who else has the note open, and what they saved (``theirs``) while this page
    # held unsaved edits, or that they deleted it; ``page`` tells this page's own saves apart.
    page, _ = heavy_use_state(lambda: uuid4().hex)
    theirs, set_theirs = heavy_use_state(no_note)
    # The last edit this page has seen (loaded, saved, or seen and declined with "Keep mine").
    no_edit: datetime | None = None
    known_edit, set_known_edit = heavy_use_state(no_edit)
    deleted_elsewhere, set_deleted_elsewhere = heavy_use_state(False)
    form_version, set_form_version = heavy_use_state(0)
    topic = note_topic(note_id) if status == "found" else None
    elsewhere = max(heavy_use_presence(topic) - 1, 0)

    def show(found: Note | None) -> None:
        if found is not None:
            title.current, body.current = found.title, found.body
            set_known_edit(found.last_edited)
        set_note(found)
        set_status("found" if found else "missing")

    def show_version(found: Note) -> None:
        """Another page's version in the form (new inputs: the browser's text is replaced)."""
        show(found)
        set_theirs(None)
        set_form_version(lambda version: version + 1)

    def has_unsaved_edits() -> bool:
        return note is not None and (title.current, body.current) != (note.title, note.body)

    async def load(context: AppContext) -> None:
        show(await context.managers.notes.get_owned(context.require_user().id, note_id))

    heavy_use_effect(load, [], reads_only=True)

    async def changed_elsewhere(context: AppContext, message: TopicMessage) -> None:
        if _sent_by(message, page):
            return
        found = await context.managers.notes.get_owned(context.require_user().id, note_id)
        if found is None:
            if has_unsaved_edits():
                set_deleted_elsewhere(True)  # the form stays, with the visitor's text
            else:
                set_status("deleted")
        elif found.last_edited != known_edit:
            if has_unsaved_edits():
                set_theirs(found)  # the visitor chooses: load theirs, or keep theirs own
            else:
                show_version(found)
                set_message(Feedback.info(t(UPDATED_FROM_ELSEWHERE)))

    heavy_use_topic(topic, changed_elsewhere, reads_only=True)

    def keep_mine() -> None:
        # The form keeps the visitor's text; Save will overwrite their version.
        if theirs is not None:
            set_known_edit(theirs.last_edited)
        set_theirs(None)

    def load_theirs() -> None:
        if theirs is not None:
            show_version(theirs)
            set_message(Feedback())

    async def save(context: AppContext) -> None:
        owner = context.require_user().id
        try:
            saved = await context.managers.notes.update(owner, note_id, title.current, body.current)
        except NoteNotFoundError:
            context.on_commit(show, None)
            return
        except ValueError as problem:
            context.on_commit(set_message, Feedback.error(str(problem)))
            return
        _embed_after_commit(context, saved.id)
        _publish_change(context, note_id, "saved", by=page)
        context.on_commit(set_note, saved)
        context.on_commit(set_known_edit, saved.last_edited)
        context.on_commit(set_theirs, None)
        context.on_commit(set_message, Feedback.success(t("Saved.")))

    async def save_as_new(context: AppContext) -> None:
        try:
            created = await context.managers.notes.create(
                context.require_user().id, title.current, body.current
            )
        except ValueError as problem:
            context.on_commit(set_message, Feedback.error(str(problem)))
            return
        _embed_after_commit(context, created.id)
        _publish_change(context, created.id, "added")
        context.on_commit(set_status, f"moved:{created.id}")

    async def delete(context: AppContext) -> None:
        try:
            await context.managers.notes.delete(context.require_user().id, note_id)
        except NoteNotFoundError:
            context.on_commit(show, None)
            return
        search = context.services.note_search
        context.after_commit(lambda: search.forget(note_id))
        _publish_change(context, note_id, "deleted", by=page)
        context.on_commit(set_status, "deleted")

    if status == "loading":
        return Paragraph(t("Loading…"), id="note-status")
    if status == "deleted":
        return html._(
            Paragraph(t(DELETED), id="note-status"), navigate(f"/notes?{DELETED_FLAG}=1", replace=True)
        )
    if status.startswith("moved:"):
        return navigate(f"/notes/{status.removeprefix('moved:')}", replace=True)
    if note is None:
        return html._(PageTitle(t("Note not found")), Paragraph(t(NOT_FOUND), id="note-status"))
    if deleted_elsewhere:
        actions = ButtonRow(Button(t("Save as a new note"), heavy_event(save_as_new), id="note-save-as-new"))
    else:
        actions = ButtonRow(
            Button(t("Save"), id="note-save", type="submit"),
            end=(
                Button(
                    t("Delete…"),
                    heavy_event(lambda: set_confirming(True)),
                    id="note-delete",
                    kind=ButtonKind.DESTRUCTIVE,
                ),
            ),
        )
    return html._(
        PageTitle(note.title),
        _open_elsewhere(elsewhere),
        _elsewhere_notice(theirs, deleted_elsewhere, heavy_event(load_theirs), heavy_event(keep_mine)),
        Form(
            "note-form",
            save,
            # Each keystroke at once: a save from elsewhere must find this page's edits.
            LineInput(t("Title"), keep_in(title), id="note-title", initial=note.title, each_keystroke=True),
            TextArea(
                t("Text"),
                keep_in(body),
                id="note-body",
                max_length=BODY_MAX_LENGTH,
                initial=note.body,
                each_keystroke=True,
            ),
            actions,
            reset_key=str(form_version),
        ),
        _message(message),
        _delete_dialog(set_confirming, heavy_event(delete)) if confirming else "",
        RelatedNotes(note),
    )


def _sent_by(message: TopicMessage, page: str) -> bool:
    payload: Any = message.payload
    return isinstance(payload, dict) and payload.get("by") == page


def _open_elsewhere(count: int) -> Component:
    """How many other pages (this browser's tabs, other browsers) show this note now."""
    also = ngettext(
        "Also open in {count} other page right now.", "Also open in {count} other pages right now.", count
    )
    text = "" if count == 0 else also.format(count=count)
    return html.p({"id": "note-open-elsewhere", "className": "muted live-line"}, text)


def _elsewhere_notice(
    theirs: Note | None, deleted: bool, load_theirs: Handler, keep_mine: Handler
) -> Component:
    """Another page saved or deleted the note while this one held unsaved edits: say so, and
    let the visitor choose (nothing of what they typed is replaced unless they ask)."""
    if deleted:
        text = t(DELETED_ELSEWHERE)
        buttons: list[Component] = []
    elif theirs is not None:
        text = t(CHANGED_ELSEWHERE) + " " + t("Their title: “{title}”.").format(title=theirs.title)
        buttons = [
            ButtonRow(
                Button(t("Load their version"), load_theirs, id="note-load-theirs"),
                Button(t("Keep mine"), keep_mine, id="note-keep-mine", kind=ButtonKind.SECONDARY),
            )
        ]
    else:
        return html.div({"id": "note-changed-elsewhere", "hidden": True})
    return html.div(
        {"id": "note-changed-elsewhere", "className": "changed-elsewhere", "role": "alert"},
        html.p(text),
        *buttons,
    )


@component
def RelatedNotes(note: Note) -> Component:
    """The three notes of the same user whose text is closest to this one's."""
    no_related: list[RelatedNote] | None = None
    related, set_related = heavy_use_state(no_related)
    unavailable, set_unavailable = heavy_use_state(False)

    async def find(context: AppContext) -> None:
        found = await context.services.note_search.related(context.require_user().id, note)
        set_unavailable(found is None)
        set_related(found or [])

    heavy_use_effect(find, [note.id, note.last_edited], reads_only=True)
    content: Component
    if unavailable:
        content = Paragraph(t("Related notes are unavailable right now."), id="related-notes")
    elif related is None:
        content = Paragraph(t("Looking for related notes…"), id="related-notes")
    elif not related:
        content = Paragraph(t("No other notes yet."), id="related-notes")
    else:
        language = current_language()
        similar = t(" · {percent} similar")
        content = html.ol(
            {"id": "related-notes"},
            *(
                html.li(
                    {"key": str(item.id)},
                    RouterLink(item.title, f"/notes/{item.id}", id=f"related-{item.id}"),
                    html.span(
                        {"className": "muted"},
                        similar.format(percent=language.format_percent(item.similarity)),
                    ),
                )
                for item in related
            ),
        )
    return Section(t("Related notes"), content, id="related")


def _embed_after_commit(context: AppContext, note_id: NoteId) -> None:
    search = context.services.note_search
    context.after_commit(lambda: search.embed_pending([note_id]))


def _delete_dialog(set_confirming: Callable[[bool], None], delete: Handler) -> Component:
    """Delete asks first, in a dialog: "Cancel" (which has the focus, and Escape presses) or
    "Delete note"."""
    return Dialog(
        t("Delete this note?"),
        Paragraph(t("It is deleted for good: this cannot be undone."), id="note-delete-question"),
        id="note-delete-dialog",
        actions=(
            Button(
                t("Cancel"),
                heavy_event(lambda: set_confirming(False)),
                id="note-delete-cancel",
                attributes=dialog_cancel(),
            ),
            Button(t("Delete note"), delete, id="note-delete-confirm", kind=ButtonKind.DESTRUCTIVE),
        ),
    )


def _message(feedback: Feedback) -> Component:
    return FormMessage(feedback, id="note-message")
