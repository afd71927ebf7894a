// Fakes for the client's tests: a socket the test opens, closes and speaks through, and a
// clock whose timers run when the test moves it on.

import { JSDOM } from "jsdom";

/** A WebSocket the test drives: `open()`, `receive(message)`, `drop()`. */
export class FakeSocket {
  /** @type {FakeSocket[]} every socket opened, in order */
  static opened = [];

  /** @param {string} url */
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    /** @type {object[]} what the page sent, parsed */
    this.sent = [];
    /** @type {Map<string, Array<(event: { data?: unknown }) => void>>} */
    this.listeners = new Map();
    FakeSocket.opened.push(this);
  }

  /**
   * @param {string} type
   * @param {(event: { data?: unknown }) => void} listener
   */
  addEventListener(type, listener) {
    this.listeners.set(type, [...(this.listeners.get(type) || []), listener]);
  }

  /** @param {string} data */
  send(data) {
    if (this.readyState !== 1) {
      throw new Error("sent on a socket that is not open");
    }
    this.sent.push(JSON.parse(data));
  }

  /**
   * @param {string} type
   * @param {{ data?: unknown }} [event]
   */
  emit(type, event = {}) {
    for (const listener of this.listeners.get(type) || []) {
      listener(event);
    }
  }

  open() {
    this.readyState = 1;
    this.emit("open");
  }

  /** @param {object} message */
  receive(message) {
    this.emit("message", { data: JSON.stringify(message) });
  }

  drop() {
    this.readyState = 3;
    this.emit("close");
  }
}

/** Timers that run only when the test moves the clock on. */
export class FakeClock {
  constructor() {
    this.now = 0;
    this.lastId = 0;
    /** @type {Array<{ id: number, at: number, callback: () => void }>} */
    this.timers = [];
  }

  /**
   * @param {() => void} callback
   * @param {number} [ms]
   * @returns {number}
   */
  setTimeout(callback, ms = 0) {
    this.lastId += 1;
    this.timers.push({ id: this.lastId, at: this.now + ms, callback });
    return this.lastId;
  }

  /** @param {number} id */
  clearTimeout(id) {
    this.timers = this.timers.filter((timer) => timer.id !== id);
  }

  /**
   * Run every timer due within `ms` from now, in order (and those they set, when due).
   *
   * @param {number} ms
   */
  async tick(ms) {
    const until = this.now + ms;
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve)); // answered promises (fetch) settle first
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > until) {
        break;
      }
      this.timers.shift();
      this.now = next.at;
      next.callback();
    }
    this.now = until;
  }
}

/**
 * A page as the server sends it, in jsdom, with the fake socket and clock, and a fetch that
 * answers with `answer(url, init)`.
 *
 * @param {{ body?: string, url?: string, answer?: (url: string, init?: RequestInit) => Promise<Response> }} [options]
 */
export function fakePage(options = {}) {
  const body = options.body || '<div id="app"></div>';
  const dom = new JSDOM(`<!doctype html><html><head></head><body>${body}</body></html>`, {
    url: options.url || "http://127.0.0.1:8000/notes?tab=mine",
  });
  const win = /** @type {PageWindow} */ (/** @type {unknown} */ (dom.window));
  const clock = new FakeClock();
  /** @type {Array<{ url: string, init?: RequestInit }>} */
  const requests = [];
  FakeSocket.opened = [];
  Object.assign(win, {
    WebSocket: FakeSocket,
    setTimeout: (/** @type {() => void} */ callback, /** @type {number} */ ms) => clock.setTimeout(callback, ms),
    clearTimeout: (/** @type {number} */ id) => clock.clearTimeout(id),
    fetch: (/** @type {string} */ url, /** @type {RequestInit} */ init) => {
      requests.push({ url, init });
      return options.answer ? options.answer(url, init) : new Promise(() => {}); // no answer
    },
  });
  return { dom, win, clock, requests };
}
