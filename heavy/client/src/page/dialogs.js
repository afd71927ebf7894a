// Modal dialogs the server renders: a <dialog data-heavy-dialog> is opened with showModal()
// as soon as it is in the page, so the browser traps the focus in it, makes the rest of the
// page inert and shows it above everything. Escape presses the dialog's
// [data-heavy-dialog-cancel] element (so the server hears it, as a click on Cancel) instead of
// closing it behind the server's back. Once the server removes the dialog, the focus goes back
// to where it was before the dialog opened (the button that opened it).

/** @param {PageWindow} win */
export function openServerDialogs(win) {
  const document = win.document;
  /** @type {Map<HTMLDialogElement, Element | null>} open dialogs, and where the focus was */
  const opened = new Map();

  function update() {
    for (const [dialog, before] of opened) {
      if (!dialog.isConnected) {
        opened.delete(dialog);
        if (before instanceof win.HTMLElement && before.isConnected) {
          before.focus();
        }
      }
    }
    for (const dialog of document.querySelectorAll("dialog[data-heavy-dialog]:not([open])")) {
      const modal = /** @type {HTMLDialogElement} */ (dialog);
      opened.set(modal, document.activeElement);
      if (typeof modal.showModal === "function") {
        modal.showModal();
      } else {
        modal.setAttribute("open", ""); // an old browser: shown in place, not modal
      }
    }
  }

  new win.MutationObserver(update).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener(
    "cancel",
    (event) => {
      const dialog = /** @type {Element} */ (event.target);
      if (dialog.matches && dialog.matches("dialog[data-heavy-dialog]")) {
        event.preventDefault();
        const cancel = /** @type {HTMLElement | null} */ (dialog.querySelector("[data-heavy-dialog-cancel]"));
        if (cancel) {
          cancel.click();
        }
      }
    },
    true,
  );
}
