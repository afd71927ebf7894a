// The page's websocket to the live layout, opened again after each drop.
//
// ReactPy's own client does the same, but gives the page no say: it never tells a new layout
// where the page is, and sends while down into a closed socket. This one hands each event to
// the page (live_page.js), which decides what to show and what to send.

import { DEFAULT_RETRY, nextInterval, withJitter } from "./backoff.js";

// WebSocket.OPEN, named here so a fake socket in the tests needs no WebSocket class.
const OPEN = 1;

/**
 * @typedef {object} SocketLike the parts of a WebSocket used here
 * @property {number} readyState
 * @property {(data: string) => void} send
 * @property {(type: "open" | "message" | "close", listener: (event: { data?: unknown }) => void) => void} addEventListener
 */

/**
 * @typedef {object} ConnectionEvents what the page is told
 * @property {(socket: SocketLike, first: boolean) => void} opened a connection opened
 *   (`first`: the page's first connection, not a reconnect)
 * @property {(message: { type?: unknown }, first: boolean) => void} message a message came
 * @property {(drop: Drop) => void} closed a connection closed, or failed to open
 */

/**
 * @typedef {object} Drop
 * @property {boolean} opened whether this connection had opened
 * @property {boolean} first whether it was the page's first connection
 * @property {number | null} retryInMs when the next try starts; null: no more tries
 */

/**
 * @typedef {object} ConnectionOptions
 * @property {() => string} url the stream's URL, asked for each try
 * @property {(url: string) => SocketLike} open opens a socket (a WebSocket in a page)
 * @property {(callback: () => void, ms: number) => unknown} schedule setTimeout in a page
 * @property {() => number} [random] Math.random in a page
 * @property {import("./backoff.js").RetryPolicy} [retry]
 * @property {ConnectionEvents} events
 */

export class Connection {
  /** @param {ConnectionOptions} options */
  constructor(options) {
    this.options = options;
    this.retry = options.retry || DEFAULT_RETRY;
    this.random = options.random || Math.random;
    /** @type {SocketLike | null} the open socket, if any */
    this.live = null;
    /** connections tried so far */
    this.attempts = 0;
    this.everOpened = false;
    this.retries = 0;
    this.interval = this.retry.firstIntervalMs;
  }

  /** Open the first connection. */
  start() {
    this.connect();
  }

  /**
   * Send `message` (as JSON) if a connection is open.
   *
   * @param {object} message
   * @returns {boolean} whether it was sent
   */
  send(message) {
    if (!this.live || this.live.readyState !== OPEN) {
      return false;
    }
    this.live.send(JSON.stringify(message));
    return true;
  }

  /** @private */
  connect() {
    const first = this.attempts === 0;
    this.attempts += 1;
    const socket = this.options.open(this.options.url());
    const events = this.options.events;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.everOpened = true;
      this.live = socket;
      this.retries = 0;
      this.interval = this.retry.firstIntervalMs;
      events.opened(socket, first);
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return; // not ReactPy's: nothing to render
      }
      if (message && typeof message === "object") {
        events.message(message, first);
      }
    });
    socket.addEventListener("close", () => {
      if (this.live === socket) {
        this.live = null;
      }
      // As ReactPy's client: a page that never had a connection does not retry (the page
      // asks the server why instead, see live_page.js); one that had does, for a while.
      const retrying = this.everOpened && this.retries < this.retry.maxRetries;
      const retryInMs = retrying ? withJitter(this.interval, this.retry, this.random) : null;
      events.closed({ opened, first, retryInMs });
      if (retryInMs !== null) {
        this.options.schedule(() => this.connect(), retryInMs);
        this.interval = nextInterval(this.interval, this.retry);
        this.retries += 1;
      }
    });
  }
}

/**
 * The stream's URL for the page at `location`, as ReactPy's client builds it: the page's path
 * and query follow the stream's path (the server reads the first location from it).
 *
 * @param {Location} location
 * @param {string} streamPath
 * @returns {string}
 */
export function streamUrl(location, streamPath) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const path = `${streamPath}${location.pathname}`.replace(/\/+$/, "");
  return `${scheme}://${location.host}${path}${location.search}`;
}
