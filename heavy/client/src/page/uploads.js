// Upload zones (heavy/web/uploads.py): files chosen in a zone's file input or dropped on the
// zone go to the zone's upload route, one request each, with a progress bar per file; the
// page (rendered on the server) is told every file's state and shows each outcome in words.
//
// - A file the zone's limits refuse (size, kind) is never sent: the page, told its size and
//   type, says why in words (the server's policy decides the words, this script only whether
//   to send).
// - Each file gets an id made here. A request cut off (a dropped connection, a restarting
//   server, a proxy's 502) is sent again whole with the same id, a few times with growing
//   waits: the server stores an id once, so a retry whose first try was stored gets that
//   first result instead of a second note.
// - Reports go to the zone's report input (a hidden input whose onChange the page handles)
//   as every file's state at once, so a report is never a delta to lose: while the page is
//   down none is sent. The input's data-heavy-upload-report names the component that renders
//   it (a token made when it mounts): a new one (a new layout after a reconnect, the live page
//   after the first paint) has not heard of the files, and is told them all. Watched with a
//   MutationObserver from the first file on (a page that never uploads pays nothing), as a
//   render may come at any time after the update that caused it.
// - Progress is the browser's upload progress events, set on the page's
//   <progress data-heavy-upload-progress=ID> elements (again after each render).

import { MOUNT_ID } from "./first_paint.js";
import { retype } from "./recovery.js";

export const ZONE = "data-heavy-upload";
export const REPORT = "data-heavy-upload-report";
export const PROGRESS = "data-heavy-upload-progress";
export const DRAG_OVER_CLASS = "heavy-upload-over";
// Seconds before each new try of a request that was cut off; then the file failed.
export const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 8000];
// Files sent at once per zone (the others wait their turn).
const AT_ONCE = 2;
// Statuses a proxy answers while no instance can, and the route while the database is away:
// try again.
const RETRIED_STATUSES = [0, 502, 503, 504];

/**
 * @typedef {"waiting" | "sending" | "retrying" | "done" | "refused" | "failed"} UploadState
 */

/**
 * @typedef {object} UploadResult the route's answer (heavy.UploadResult)
 * @property {"stored" | "refused"} outcome
 * @property {string} message
 * @property {string} [link]
 * @property {boolean} [repeated]
 */

/**
 * @typedef {object} Entry one file of a zone
 * @property {string} id
 * @property {File} file
 * @property {UploadState} state
 * @property {number} tries requests sent so far
 * @property {number} progress percent sent of the current try
 * @property {UploadResult | null} result
 */

/**
 * @typedef {object} Zone
 * @property {string} path
 * @property {Entry[]} entries
 * @property {string | null} reportedTo the token of the report input the last report went to
 * @property {boolean} unreported whether the page has not seen the latest states
 */

/**
 * @typedef {object} UploadOptions
 * @property {() => boolean} isLive whether the page has an open connection
 * @property {number[]} [retryDelaysMs]
 */

/**
 * Whether a zone's limits let this file be sent (heavy.UploadPolicy decides the same way).
 *
 * @param {{ name: string, size: number, type: string }} file
 * @param {string[]} accept extensions (".md") and MIME types ("text/plain")
 * @param {number} maxBytes
 */
export function mayBeSent(file, accept, maxBytes) {
  const type = file.type.split(";")[0].trim().toLowerCase();
  const name = file.name.toLowerCase();
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 || (dot === 0 && name.length > 1) ? name.slice(dot) : "";
  const kind = (type !== "" && accept.includes(type)) || (extension !== "" && accept.includes(extension));
  return kind && file.size <= maxBytes;
}

/**
 * A new upload id: 32 hex digits from the browser's random source (crypto.randomUUID needs a
 * secure context; getRandomValues does not).
 *
 * @param {PageWindow} win
 */
export function newUploadId(win) {
  const bytes = win.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export class Uploads {
  /**
   * @param {PageWindow} win
   * @param {UploadOptions} options
   */
  constructor(win, options) {
    this.win = win;
    this.options = options;
    this.retryDelaysMs = options.retryDelaysMs || RETRY_DELAYS_MS;
    /** @type {Map<string, Zone>} by a selector of the zone's element: its id, else its path */
    this.zones = new Map();
    /** @type {MutationObserver | null} */
    this.observer = null;
  }

  /** Take files from zones' file inputs and from drops on zones. */
  listen() {
    const document = this.win.document;
    document.addEventListener("change", (event) => {
      const input = /** @type {HTMLInputElement} */ (event.target);
      const zone = input && input.type === "file" ? input.closest(`[${ZONE}]`) : null;
      if (zone && input.files && input.files.length) {
        this.take(zone, Array.from(input.files));
        input.value = ""; // the same file can be chosen again
      }
    });
    for (const type of ["dragenter", "dragover"]) {
      document.addEventListener(type, (event) => {
        const zone = this.zoneOf(event);
        if (zone) {
          event.preventDefault(); // this zone takes the drop
          zone.classList.add(DRAG_OVER_CLASS);
        }
      });
    }
    document.addEventListener("dragleave", (event) => {
      const zone = this.zoneOf(event);
      const into = /** @type {Node | null} */ (/** @type {DragEvent} */ (event).relatedTarget);
      if (zone && !(into && zone.contains(into))) {
        zone.classList.remove(DRAG_OVER_CLASS);
      }
    });
    document.addEventListener("drop", (event) => {
      const zone = this.zoneOf(event);
      const transfer = /** @type {DragEvent} */ (event).dataTransfer;
      if (zone) {
        event.preventDefault(); // not opened by the browser
        zone.classList.remove(DRAG_OVER_CLASS);
        if (transfer && transfer.files.length) {
          this.take(zone, Array.from(transfer.files));
        }
      }
    });
  }

  /** @param {Event} event */
  zoneOf(event) {
    const target = /** @type {Element | null} */ (event.target);
    return target && target.closest ? target.closest(`[${ZONE}]`) : null;
  }

  /**
   * Queue `files` on `element`'s zone and start sending what its limits allow.
   *
   * @param {Element} element
   * @param {File[]} files
   */
  take(element, files) {
    const zone = this.zone(element);
    const accept = (element.getAttribute(`${ZONE}-accept`) || "").split(",").map((kind) => kind.trim().toLowerCase());
    const maxBytes = Number(element.getAttribute(`${ZONE}-max-bytes`) || Infinity);
    const maxFiles = Number(element.getAttribute(`${ZONE}-max-files`) || 20);
    // The list the page is told stays short: finished files go first to make room.
    const room = Math.max(0, maxFiles - files.length);
    const finished = zone.entries.filter((entry) => isFinished(entry.state));
    const dropped = new Set(finished.slice(0, Math.max(0, zone.entries.length - room)));
    zone.entries = zone.entries.filter((entry) => !dropped.has(entry));
    files.forEach((file, index) => {
      const allowed = index < maxFiles && mayBeSent(file, accept, maxBytes);
      zone.entries.push({
        id: newUploadId(this.win),
        file,
        state: allowed ? "waiting" : "refused",
        tries: 0,
        progress: 0,
        result: null,
      });
    });
    this.watch();
    // Sending first: each send reports, and a report right behind another can reach a target the
    // first one's re-render replaced (dropped); this one then repeats the same, final states.
    this.sendNext(zone);
    this.report(zone);
  }

  /** From the first file on: report again whenever a new report input is rendered. */
  watch() {
    if (this.observer || !this.win.MutationObserver) {
      return;
    }
    this.observer = new this.win.MutationObserver(() => this.afterUpdate());
    this.observer.observe(this.win.document.documentElement, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: [REPORT],
    });
  }

  /**
   * @param {Element} element
   * @returns {Zone}
   */
  zone(element) {
    const path = element.getAttribute(ZONE) || "";
    // How the zone is found again in a later render of the page.
    const key = element.id ? `[id="${quoted(element.id)}"]` : `[${ZONE}="${quoted(path)}"]`;
    let zone = this.zones.get(key);
    if (!zone) {
      zone = { path, entries: [], reportedTo: null, unreported: false };
      this.zones.set(key, zone);
    }
    return zone;
  }

  /** @param {Zone} zone */
  sendNext(zone) {
    let sending = zone.entries.filter((entry) => entry.state === "sending").length;
    for (const entry of zone.entries) {
      if (sending >= AT_ONCE) {
        return;
      }
      if (entry.state === "waiting") {
        sending += 1;
        this.send(zone, entry);
      }
    }
  }

  /**
   * One try: the file as the body, its id and name in headers, progress as it goes.
   *
   * @param {Zone} zone
   * @param {Entry} entry
   */
  send(zone, entry) {
    const request = new this.win.XMLHttpRequest();
    entry.state = "sending";
    entry.tries += 1;
    entry.progress = 0;
    request.open("POST", zone.path);
    request.setRequestHeader("Heavy-Upload-Id", entry.id);
    request.setRequestHeader("Heavy-Upload-Name", encodeURIComponent(entry.file.name));
    if (entry.file.type) {
      request.setRequestHeader("Content-Type", entry.file.type);
    }
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) {
        entry.progress = Math.min(100, Math.round((100 * event.loaded) / event.total));
        this.showProgress(entry);
      }
    });
    request.addEventListener("loadend", () => this.answered(zone, entry, request.status, request.responseText));
    request.send(entry.file);
    this.report(zone);
  }

  /**
   * @param {Zone} zone
   * @param {Entry} entry
   * @param {number} status
   * @param {string} text
   */
  answered(zone, entry, status, text) {
    const result = parseResult(text);
    const again = RETRIED_STATUSES.includes(status) || !result;
    if (again && entry.tries <= this.retryDelaysMs.length) {
      entry.state = "retrying";
      this.win.setTimeout(() => {
        entry.state = "waiting";
        this.sendNext(zone);
      }, this.retryDelaysMs[entry.tries - 1]);
    } else if (result) {
      // The route's answer; after the last try, a 503's words (the database is away).
      entry.state = "done";
      entry.result = result;
      entry.progress = result.outcome === "stored" ? 100 : entry.progress;
    } else {
      entry.state = "failed";
    }
    this.showProgress(entry);
    this.report(zone);
    this.sendNext(zone);
  }

  /** @param {Entry} entry */
  showProgress(entry) {
    const bar = this.win.document.querySelector(`progress[${PROGRESS}="${entry.id}"]`);
    if (bar) {
      /** @type {HTMLProgressElement} */ (bar).value = entry.progress;
    }
  }

  /**
   * Tell the page every file's state (when it is connected; else after the next update).
   *
   * @param {Zone} zone
   */
  report(zone) {
    zone.unreported = true;
    const input = this.reportInput(zone);
    if (!input || !this.options.isLive()) {
      return;
    }
    const files = zone.entries.map((entry) => ({
      id: entry.id,
      name: entry.file.name,
      size: entry.file.size,
      type: entry.file.type,
      state: entry.state,
      ...(entry.result ? { result: entry.result } : {}),
    }));
    zone.unreported = false;
    zone.reportedTo = input.getAttribute(REPORT);
    retype(this.win, input, JSON.stringify(files));
  }

  /**
   * The zone's report input in the live page (the first paint's has no listener).
   *
   * @param {Zone} zone
   * @returns {HTMLInputElement | null}
   */
  reportInput(zone) {
    const live = this.win.document.getElementById(MOUNT_ID);
    for (const [key, known] of this.zones) {
      if (known === zone && live) {
        const element = live.querySelector(key);
        return element ? /** @type {HTMLInputElement | null} */ (element.querySelector(`input[${REPORT}]`)) : null;
      }
    }
    return null;
  }

  /**
   * After each update of the page: progress bars rendered again get their values, and a
   * zone whose report input is another component's (a new layout after a reconnect) or that
   * missed a report while the page was down is told every file's state again.
   */
  afterUpdate() {
    for (const zone of this.zones.values()) {
      zone.entries.forEach((entry) => this.showProgress(entry));
      const input = this.reportInput(zone);
      if (input && zone.entries.length && (zone.unreported || input.getAttribute(REPORT) !== zone.reportedTo)) {
        this.report(zone);
      }
    }
  }
}

/** @param {string} value a value for a quoted CSS attribute selector */
function quoted(value) {
  return value.replace(/["\\]/g, "\\$&");
}

/** @param {UploadState} state */
function isFinished(state) {
  return state === "done" || state === "refused" || state === "failed";
}

/**
 * The route's answer, or null when the text is not one (a proxy's error page).
 *
 * @param {string} text
 * @returns {UploadResult | null}
 */
export function parseResult(text) {
  try {
    const answer = JSON.parse(text);
    if (answer && (answer.outcome === "stored" || answer.outcome === "refused") && typeof answer.message === "string") {
      return {
        outcome: answer.outcome,
        message: answer.message,
        ...(typeof answer.link === "string" ? { link: answer.link } : {}),
        ...(answer.repeated === true ? { repeated: true } : {}),
      };
    }
  } catch {
    // not JSON
  }
  return null;
}
