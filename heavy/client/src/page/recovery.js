// Form recovery: what the person typed and did not send is typed back into the page after a
// reconnect (like Phoenix LiveView's form recovery), so the new server has it too.
//
// Typed values are also kept per page address in the tab's sessionStorage until the form is
// sent and cleared, so a draft survives leaving the page: a forced sign-in after a session
// ended elsewhere, a reload. A later visit to the same address in this tab types it back into
// empty fields.

const DRAFTS_KEY = "heavy-live-drafts"; // sessionStorage: {pathname: {element id: value}}
const NOT_RECOVERED = ["password", "hidden", "file"];
// After a reconnect the page's elements may arrive, or be rendered again, over a few updates:
// each remembered value is typed again while a render wipes it, this many times this far apart.
const RETYPE_TRIES = 20;
const RETYPE_EVERY_MS = 100;
// True while retype() fires its input event: what this script types is not typing to keep.
let retyping = false;

/**
 * @typedef {HTMLInputElement | HTMLTextAreaElement} Field
 */

/**
 * Whether `element` is a field whose typed value is kept (never passwords).
 *
 * @param {Element | null} element
 * @returns {element is Field}
 */
export function recoverable(element) {
  if (!element || !element.id) {
    return false;
  }
  if (element.tagName === "TEXTAREA") {
    return true;
  }
  return element.tagName === "INPUT" && !NOT_RECOVERED.includes(/** @type {HTMLInputElement} */ (element).type);
}

/**
 * Set the value as a person would: React tracks the value it last saw, so go through the
 * native setter and fire an input event, which ReactPy sends to the server as onChange.
 *
 * @param {PageWindow} win
 * @param {Field} element
 * @param {string} value
 */
export function retype(win, element, value) {
  const prototype = element.tagName === "TEXTAREA" ? win.HTMLTextAreaElement : win.HTMLInputElement;
  const setter = Object.getOwnPropertyDescriptor(prototype.prototype, "value")?.set;
  if (setter) {
    setter.call(element, value);
  }
  retyping = true; // listeners run within dispatchEvent
  try {
    element.dispatchEvent(new win.Event("input", { bubbles: true }));
  } finally {
    retyping = false;
  }
}

/**
 * @typedef {object} RecoveryOptions
 * @property {number} maxRetypedBytes a longer value is not typed back: the server would close
 *   the connection over it (message too big) and the page would reconnect for ever
 * @property {() => boolean} isLive whether the page has an open connection
 * @property {() => boolean} firstPaintShown whether the server's first paint is still there
 */

export class FormRecovery {
  /**
   * @param {PageWindow} win
   * @param {RecoveryOptions} options
   */
  constructor(win, options) {
    this.win = win;
    this.options = options;
    /** @type {Map<string, string>} element id -> value typed and not yet sent */
    this.typed = new Map();
    /** @type {Set<string>} addresses whose stored drafts this document typed back */
    this.draftsRestored = new Set();
    /** @type {Set<string>} ids of fields in a form just sent: forgotten once cleared */
    this.sent = new Set();
  }

  /** Listen to what the person types and sends. */
  listen() {
    const document = this.win.document;
    document.addEventListener("input", (event) => this.onInput(event), true);
    document.addEventListener("submit", (event) => this.onSubmit(event), true);
  }

  /** @param {Event} event */
  onInput(event) {
    const element = /** @type {Element | null} */ (event.target);
    if (retyping || !recoverable(element)) {
      return; // our own retyping, or nothing to recover
    }
    const value = element.value;
    if (new TextEncoder().encode(value).length <= this.options.maxRetypedBytes) {
      this.typed.set(element.id, value);
      this.storeDraft(element.id, value);
    } else {
      this.typed.delete(element.id);
      this.storeDraft(element.id, null);
    }
  }

  /** @param {Event} event */
  onSubmit(event) {
    if (!this.options.isLive()) {
      return; // refused while down: typed back into the page once it is back
    }
    const form = /** @type {HTMLFormElement} */ (event.target);
    for (const element of Array.from(form.elements || [])) {
      this.typed.delete(element.id);
      if (recoverable(element)) {
        this.sent.add(element.id); // the stored draft goes once the page shows the field empty
      }
    }
  }

  /** @returns {Record<string, Record<string, string>>} */
  readDrafts() {
    try {
      return JSON.parse(this.win.sessionStorage.getItem(DRAFTS_KEY) || "{}");
    } catch {
      return {}; // storage disabled or full of something else: drafts are a nicety
    }
  }

  /**
   * @param {string} id
   * @param {string | null} value null or "": forget it
   */
  storeDraft(id, value) {
    const drafts = this.readDrafts();
    const path = this.win.location.pathname;
    const here = drafts[path] || {};
    if (value === null || value === "") {
      delete here[id];
    } else {
      here[id] = value;
    }
    drafts[path] = here;
    try {
      this.win.sessionStorage.setItem(DRAFTS_KEY, JSON.stringify(drafts));
    } catch {
      // storage disabled or full: the draft lives on in the page only
    }
  }

  /**
   * After each update: forget drafts of forms that were sent and cleared, and type this
   * address's stored drafts into its empty fields once they are on the page.
   */
  afterUpdate() {
    if (this.options.firstPaintShown()) {
      return; // its fields share the live page's ids: wait until it is gone
    }
    const document = this.win.document;
    for (const id of this.sent) {
      const element = /** @type {Field | null} */ (document.getElementById(id));
      if (element && element.value === "") {
        this.storeDraft(id, null);
        this.sent.delete(id);
      }
    }
    const path = this.win.location.pathname;
    if (this.draftsRestored.has(path)) {
      return;
    }
    const stored = Object.entries(this.readDrafts()[path] || {});
    const fields = stored.map(([id]) => document.getElementById(id));
    if (!fields.every(recoverable)) {
      return; // not all on the page yet: the next update tries again
    }
    this.draftsRestored.add(path);
    let added = false;
    stored.forEach(([id, value], index) => {
      if (/** @type {Field} */ (fields[index]).value === "") {
        this.typed.set(id, value);
        added = true;
      }
    });
    if (added) {
      this.restoreTyped(); // retypes, and again if a render right after wipes a field
    }
  }

  /**
   * Type each remembered value into its field once it is there (the new server has never
   * seen it, even where the browser kept it on screen), and again if a render wiped it.
   *
   * @param {Set<string>} [retyped]
   * @param {number} [triesLeft]
   */
  restoreTyped(retyped = new Set(), triesLeft = RETYPE_TRIES) {
    for (const [id, value] of this.typed) {
      const element = this.win.document.getElementById(id);
      if (recoverable(element) && (!retyped.has(id) || element.value !== value)) {
        retype(this.win, element, value);
        retyped.add(id);
      }
    }
    if (triesLeft > 0) {
      this.win.setTimeout(() => this.restoreTyped(retyped, triesLeft - 1), RETYPE_EVERY_MS);
    }
  }
}
