// The first paint: the server sends each page's HTML in #heavy-first-paint, beside ReactPy's
// empty #app, so the page shows before the websocket connects (and without JavaScript). Once
// the live layout has rendered the page into #app, the first paint is removed in the same
// task, before the browser paints: no flash, no doubled content. What was typed into it
// (passwords included: it stays in this document), the focus and caret, clicks on its
// buttons (held, not lost) and a press still down on one of its links or buttons are carried
// over to the live page.

import { retype } from "./recovery.js";

export const FIRST_PAINT_ID = "heavy-first-paint";
export const MOUNT_ID = "app";
// Every page renders its title in this element (the product's Page component).
export const TITLE_ID = "heavy-page-title";
const NOT_CARRIED = ["hidden", "file", "checkbox", "radio"];
const PRESSABLE = "a[id], button[id], input[id][type=submit], input[id][type=button]";
// A mouse's click comes in the task of its release; a tap's may come later (the browser makes
// it once it has seen the tap end, up to 300 ms on pages that can zoom with a double tap).
const TAP_CLICK_WAIT_MS = 350;

/**
 * @param {Element} element
 * @returns {element is import("./recovery.js").Field}
 */
function typedInto(element) {
  const field = /** @type {HTMLInputElement} */ (element);
  return Boolean(
    field.id &&
      (field.tagName === "TEXTAREA" || (field.tagName === "INPUT" && !NOT_CARRIED.includes(field.type))) &&
      field.value !== field.defaultValue,
  );
}

export class FirstPaint {
  /** @param {PageWindow} win */
  constructor(win) {
    this.win = win;
    /** @type {Array<[string, boolean]>} [element id, is a form] clicked or sent in the first paint */
    this.heldClicks = [];
    /** @type {string | null} the id of a first-paint link or button pressed and not yet released */
    this.pressed = null;
  }

  /** @returns {HTMLElement | null} */
  element() {
    return this.win.document.getElementById(FIRST_PAINT_ID);
  }

  /** Hold clicks and submits in the first paint until the live page is there. */
  listen() {
    const document = this.win.document;
    document.addEventListener("click", (event) => this.holdUntilLive(event), true);
    document.addEventListener("submit", (event) => this.holdUntilLive(event), true);
    document.addEventListener("pointerdown", (event) => this.notePress(event), true);
    for (const type of ["pointerup", "pointercancel"]) {
      document.addEventListener(type, () => (this.pressed = null), true); // ended before the take-over
    }
  }

  /**
   * Remember which first-paint link or button a press began on: if the take-over replaces it
   * before the release, the browser sees the press end on another element and sends no click.
   *
   * @param {Event} event
   */
  notePress(event) {
    const painted = this.element();
    const target = /** @type {Element} */ (event.target);
    const pressable = painted && painted.contains(target) ? target.closest(PRESSABLE) : null;
    this.pressed = pressable ? pressable.id : null;
  }

  /**
   * A press that began on the first paint ends on the live page: click the live element with
   * the same id if the release lands on it (a press dragged away is no click), unless the
   * browser clicked it itself.
   *
   * @param {string} id
   */
  clickOnRelease(id) {
    const document = this.win.document;
    const armed = new this.win.AbortController(); // until this press ends, released or cancelled
    document.addEventListener("pointercancel", () => armed.abort(), { capture: true, signal: armed.signal });
    document.addEventListener(
      "pointerup",
      (release) => {
        armed.abort();
        const live = document.getElementById(id);
        if (!live || !live.contains(/** @type {Node} */ (release.target))) {
          return;
        }
        let clicked = false;
        /** @param {Event} click */
        const seen = (click) => {
          clicked = clicked || live.contains(/** @type {Node} */ (click.target));
        };
        document.addEventListener("click", seen, true);
        const tap = /** @type {PointerEvent} */ (release).pointerType === "touch";
        this.win.setTimeout(
          () => {
            document.removeEventListener("click", seen, true);
            if (!clicked) {
              live.click();
            }
          },
          tap ? TAP_CLICK_WAIT_MS : 0,
        );
      },
      { capture: true, signal: armed.signal },
    );
  }

  /**
   * Before the live page is there, its buttons do nothing yet: hold the click (and keep the
   * form from submitting the usual way, which would reload the page and lose what was typed).
   *
   * @param {Event} event
   */
  holdUntilLive(event) {
    const painted = this.element();
    const target = /** @type {Element} */ (event.target);
    if (!painted || !painted.contains(target)) {
      return;
    }
    if (event.type === "click") {
      const button = target.closest("button, input[type=submit], input[type=button]");
      if (!button) {
        return; // links work as links; the rest has nothing to do
      }
      event.preventDefault();
      if (button.id) {
        this.heldClicks.push([button.id, false]);
      }
    } else {
      event.preventDefault(); // a submit without a button (Enter in a lone field)
      event.stopImmediatePropagation(); // not sent: its typed values are not forgotten
      if (target.id) {
        this.heldClicks.push([target.id, true]);
      }
    }
  }

  /**
   * Take over as soon as the live layout has rendered a page into #app (every page holds the
   * title marker). ReactPy renders in a microtask after a message; this observer's callback is
   * the microtask right after that render: the same task, so the browser never paints both.
   */
  takeOverWhenRendered() {
    const mount = this.win.document.getElementById(MOUNT_ID);
    if (!this.element() || !mount) {
      return;
    }
    const observer = new this.win.MutationObserver(() => {
      if (mount.querySelector("#" + TITLE_ID)) {
        observer.disconnect();
        this.takeOver();
      }
    });
    observer.observe(mount, { childList: true, subtree: true });
  }

  /** Remove the first paint and carry over what the person did in it. */
  takeOver() {
    const document = this.win.document;
    const painted = this.element();
    if (!painted) {
      return;
    }
    const active = painted.contains(document.activeElement)
      ? /** @type {HTMLInputElement | null} */ (document.activeElement)
      : null;
    /** @type {[number, number] | null} */
    let caret = null;
    try {
      caret =
        active && active.selectionStart !== null && active.selectionEnd !== null
          ? [active.selectionStart, active.selectionEnd]
          : null;
    } catch {
      caret = null; // inputs without a caret (number, email) throw or answer null
    }
    /** @type {Array<[string, string]>} */
    const values = [];
    for (const element of Array.from(painted.querySelectorAll("input, textarea"))) {
      if (typedInto(element)) {
        values.push([element.id, element.value]);
      }
    }
    painted.remove();
    if (this.pressed) {
      this.clickOnRelease(this.pressed);
      this.pressed = null;
    }
    for (const [id, value] of values) {
      const element = /** @type {HTMLInputElement | null} */ (document.getElementById(id));
      if (element && (element.tagName === "TEXTAREA" || element.tagName === "INPUT") && element.value !== value) {
        retype(this.win, element, value);
      }
    }
    const focused = active && active.id ? /** @type {HTMLInputElement | null} */ (document.getElementById(active.id)) : null;
    if (focused) {
      focused.focus({ preventScroll: true });
      if (caret) {
        try {
          focused.setSelectionRange(caret[0], caret[1]);
        } catch {
          // no caret to place
        }
      }
    }
    for (const [id, isForm] of this.heldClicks.splice(0)) {
      const element = document.getElementById(id);
      if (element && isForm && "requestSubmit" in element) {
        /** @type {HTMLFormElement} */ (element).requestSubmit();
      } else if (element) {
        element.click();
      }
    }
    this.keepTitle();
  }

  /** Keep the window's title to the live page's (Page renders it in #heavy-page-title). */
  keepTitle() {
    const document = this.win.document;
    const mount = document.getElementById(MOUNT_ID);
    const marker = /** @type {HTMLElement | null} */ (mount && mount.querySelector("#" + TITLE_ID));
    const title = marker && marker.dataset.title;
    if (title && document.title !== title) {
      document.title = title;
    }
  }
}
