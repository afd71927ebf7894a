// Typing sent when the person pauses. A field the server marks `data-heavy-debounce="MS"`
// (heavy's `debounced()`) has its changes held here: the server gets the latest one once
// nothing more has been typed in that field for MS milliseconds, or at once when the page
// sends anything else (a keystroke in another field, a click, a submit, the router's report
// of a navigation), so events still reach the server in the order the person made them and a
// submit sees the whole text. A field whose handler only keeps the text (a form's) then costs
// the server one event per pause instead of one per keystroke: on the demo visit, 37
// keystrokes were most of the events a server handles and about a third of its CPU.
//
// Which handlers are held is read from the layout's own updates: the element's attribute
// beside the targets of its change handlers. A held change is not sent over a later
// connection (the new layout's handlers have other targets): form recovery types the field's
// text in again once the page is back.

export const DEBOUNCE = "data-heavy-debounce";
// The events of a field that carry what was typed.
const TYPING_EVENTS = ["onChange", "onInput"];

/**
 * @typedef {object} Timers
 * @property {(callback: () => void, ms: number) => number} schedule
 * @property {(timer: number) => void} cancel
 */

/**
 * @typedef {object} VdomElement the parts of a layout model read here
 * @property {Record<string, unknown>} [attributes]
 * @property {Record<string, { target?: unknown }>} [eventHandlers]
 * @property {unknown[]} [children]
 */

export class HeldChanges {
  /**
   * @param {Timers} timers
   * @param {(event: object) => void} send how a held change is sent when its pause is over
   */
  constructor(timers, send) {
    this.timers = timers;
    this.send = send;
    /** @type {Map<string, number>} handler target -> pause in ms */
    this.pauses = new Map();
    /** @type {{ target: string, event: object, timer: number } | null} */
    this.held = null;
  }

  /**
   * Note the held handlers in `model` (a layout update's).
   *
   * @param {unknown} model
   */
  learn(model) {
    if (!model || typeof model !== "object") {
      return;
    }
    const element = /** @type {VdomElement} */ (model);
    const pause = element.attributes ? Number(element.attributes[DEBOUNCE]) : NaN;
    if (pause > 0 && element.eventHandlers) {
      for (const name of TYPING_EVENTS) {
        const target = element.eventHandlers[name] && element.eventHandlers[name].target;
        if (typeof target === "string") {
          this.pauses.set(target, pause);
        }
      }
    }
    for (const child of element.children || []) {
      this.learn(child);
    }
  }

  /**
   * Hold `event` if it is a change of a held field (true), replacing that field's held one.
   *
   * @param {object} event a message ReactPy's client sends
   * @returns {boolean}
   */
  hold(event) {
    const target = /** @type {{ target?: unknown }} */ (event).target;
    const pause = typeof target === "string" ? this.pauses.get(target) : undefined;
    if (typeof target !== "string" || pause === undefined) {
      return false;
    }
    if (this.held && this.held.target !== target) {
      this.release(); // another field's text is complete: it goes first
    } else if (this.held) {
      this.timers.cancel(this.held.timer);
    }
    this.held = { target, event, timer: this.timers.schedule(() => this.release(), pause) };
    return true;
  }

  /** Send the held change now, if there is one. */
  release() {
    const held = this.held;
    if (held) {
      this.held = null;
      this.timers.cancel(held.timer);
      this.send(held.event);
    }
  }

  /** Drop the held change and what was learned: the connection they belonged to is gone. */
  forget() {
    if (this.held) {
      this.timers.cancel(this.held.timer);
      this.held = null;
    }
    this.pauses.clear();
  }
}
