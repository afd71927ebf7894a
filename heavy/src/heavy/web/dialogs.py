"""Modal dialogs a page renders on the server.

A ``<dialog>`` element carrying ``MODAL_DIALOG_ATTRIBUTE`` is opened with ``showModal()`` by
heavy's page script (``heavy/client/src/page/dialogs.js``) as soon as it is in the page: the
browser keeps the focus inside it and makes the rest of the page inert. Escape presses the
dialog's element that carries ``DIALOG_CANCEL_ATTRIBUTE`` (the live layout hears a click on
Cancel, and removes the dialog); once the dialog is removed, the focus goes back to the element
that had it before. A dialog is shown while it is rendered: no state lives in the browser.
"""

from __future__ import annotations

MODAL_DIALOG_ATTRIBUTE = "data-heavy-dialog"
DIALOG_CANCEL_ATTRIBUTE = "data-heavy-dialog-cancel"
