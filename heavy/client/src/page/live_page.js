// Keeps a live page alive across websocket drops: server restarts, deploys, a closed socket.
//
// The page owns the connection (connection.js); ReactPy's client, mounted by the live bundle
// (../live/main.js), renders what comes and sends its events through it. Between the two,
// the page
//
// 1. shows a banner while it is not connected, and refuses input visibly meanwhile (an event
//    sent while down would be lost: the new layout's handler ids are different), though not
//    the router's own reports of the location, which each new layout is told anyway;
// 2. on each connection, tells the layout the page's location as soon as the router is there
//    (reactpy-router's History tells it only on its first load, never after a reconnect);
// 3. once the page is back, types in again what the person typed and did not send
//    (recovery.js), so the new server has it too;
// 4. hands the server's first paint over to the live page (first_paint.js);
// 5. shows a theme chosen at once (theme.js) and opens the server's dialogs as modal ones (dialogs.js).
// 6. sends the files of upload zones, and tells each new layout their states (uploads.js);
// 7. keeps the browser's time zone in a cookie before the first connection (time_zone.js);
// 8. sends the typing of debounced fields when the person pauses or acts (held_changes.js).
//
// Nothing depends on the old server process: the location and the typed values come from the
// browser, the signed-in visitor from the cookie sent with the new handshake.
//
// A connection that never opened may have been refused: the server answers a handshake from
// an address it does not allow (another host name, a proxy's address) with a bare 403 that a
// page cannot read. The page then asks the server why (a POST to the stream check runs the
// same check, and a browser sends the page's Origin with a POST as with the handshake) and
// shows its answer, which names the setting to change, instead of "Reconnecting…" for ever.

import { Banner } from "./banner.js";
import { Connection, streamUrl } from "./connection.js";
import { openServerDialogs } from "./dialogs.js";
import { DidNotLoad } from "./did_not_load.js";
import { FirstPaint } from "./first_paint.js";
import { historyTarget, locationEvent, reportsLocation, showsPage } from "./layout.js";
import { followRouterLinks } from "./links.js";
import { HeldChanges } from "./held_changes.js";
import { FormRecovery } from "./recovery.js";
import { followThemeChoices } from "./theme.js";
import { rememberTimeZone } from "./time_zone.js";
import { Uploads } from "./uploads.js";

export const RECONNECTING = "Reconnecting…";
export const NOT_SENT = "Reconnecting… Your last action was not sent: try it again once the page is back.";
export const GAVE_UP = "The server did not come back. Reload the page to try again.";

/**
 * What the page itself says, in English; the server gives them in the page's language
 * (`data-texts`, from heavy's catalogue: heavy/web/client.py, CLIENT_TEXTS).
 *
 * @typedef {object} Texts
 * @property {string} reconnecting
 * @property {string} notSent
 * @property {string} gaveUp
 * @property {string} didNotLoad
 * @property {string} reloading
 */

/** @type {Texts} */
export const TEXTS = {
  reconnecting: RECONNECTING,
  notSent: NOT_SENT,
  gaveUp: GAVE_UP,
  didNotLoad: "This page did not load completely. Reload it to try again.",
  reloading: "This page did not load completely. Loading it again once the server answers…",
};

/**
 * @typedef {object} LivePageConfig
 * @property {string} streamPath the live layout's websocket path
 * @property {string} modulesPath where ReactPy serves the JavaScript modules of components
 * @property {string} streamCheckPath where the server says why it refused a connection
 * @property {number} maxRetypedBytes see RecoveryOptions
 * @property {Partial<Texts>} [texts] what the page says, in its language (English by default)
 * @property {import("./backoff.js").RetryPolicy} [retry]
 */

/**
 * @typedef {object} LivePage what the live bundle uses (window.heavyLive)
 * @property {string} modulesPath
 * @property {(deliver: (message: object) => void) => void} connect open the connection and
 *   hand each message to `deliver` (ReactPy's client); once only
 * @property {(message: object) => void} send send an event, or refuse it visibly while down
 */

/**
 * @typedef {object} StreamVerdict the stream check's answer
 * @property {boolean} [refused]
 * @property {unknown} [message]
 */

/**
 * Set up the page in `win` (listeners, connection) and return what the live bundle uses.
 *
 * @param {PageWindow} win
 * @param {LivePageConfig} config
 * @returns {LivePage}
 */
export function createLivePage(win, config) {
  const texts = { ...TEXTS, ...config.texts };
  const banner = new Banner(win.document);
  const firstPaint = new FirstPaint(win);
  const firstPaintShown = () => firstPaint.element() !== null;
  let refusedWhileDown = false;
  /** @type {string | null} the server's message, once it refused this page's connection */
  let refusal = null;
  /** @type {((message: object) => void) | null} */
  let deliver = null;
  // Per connection: the location was told; the page itself came (after the router).
  let toldLocation = false;
  let resumed = false;
  /** @type {string | null} the target of the latest layout's History, once told the location */
  let historyHandler = null;

  const connection = new Connection({
    url: () => streamUrl(win.location, config.streamPath),
    open: (url) => new win.WebSocket(url),
    schedule: (callback, ms) => win.setTimeout(callback, ms),
    retry: config.retry,
    events: { opened, message, closed },
  });
  const isLive = () => connection.live !== null;
  // A held change whose pause ends while down is not refused: recovery types it in again.
  const held = new HeldChanges(
    { schedule: (callback, ms) => win.setTimeout(callback, ms), cancel: (timer) => win.clearTimeout(timer) },
    (event) => connection.send(event),
  );
  const recovery = new FormRecovery(win, {
    maxRetypedBytes: config.maxRetypedBytes,
    isLive,
    firstPaintShown,
  });
  const uploads = new Uploads(win, { isLive });
  const didNotLoad = new DidNotLoad(win, banner, {
    isLive,
    firstPaintShown,
    started: () => connection.attempts > 0,
  }, texts);

  function showDisconnected() {
    if (refusal) {
      banner.show(refusal, "alert"); // reconnecting would not help
    } else {
      banner.show(refusedWhileDown ? texts.notSent : texts.reconnecting);
    }
  }

  function opened() {
    held.forget();
    refusal = null;
    toldLocation = false;
    resumed = false;
    didNotLoad.loaded();
  }

  /**
   * The first update of a fresh layout holds the router, told the location at once (its
   * History reports it too, once its module has loaded). heavy's router shows the page in that
   * same update, reactpy-router's own in the next. Then the page's elements are there to type
   * into again (after a reconnect), or to take over the first paint from (the first time).
   *
   * @param {{ type?: unknown, model?: unknown }} update
   * @param {boolean} first
   */
  function message(update, first) {
    if (update.type === "layout-update") {
      held.learn(update.model);
      const target = toldLocation ? null : historyTarget(update.model);
      if (target) {
        toldLocation = true;
        historyHandler = target;
        connection.send(locationEvent(target, win.location));
      }
      if (!resumed && (!target || showsPage(update.model))) {
        resumed = true;
        if (!first) {
          // ReactPy renders the update on its next tick: type in after that.
          win.setTimeout(() => {
            recovery.restoreTyped();
            refusedWhileDown = false;
            banner.hide();
          }, 0);
        }
      }
    }
    if (deliver) {
      deliver(update);
    }
    win.setTimeout(afterUpdate, 0);
  }

  /** @param {import("./connection.js").Drop} drop */
  function closed(drop) {
    held.forget();
    if (!drop.opened) {
      neverOpened(drop.first);
    }
    if (drop.opened || !drop.first) {
      showDisconnected();
    }
    if (drop.retryInMs === null && connection.everOpened && !refusal) {
      banner.show(texts.gaveUp); // no more tries: only a reload can bring the page back
    }
  }

  /**
   * Ask the server whether it refused the connection, and say so.
   *
   * @param {boolean} first
   */
  function neverOpened(first) {
    askWhyRefused().then((verdict) => {
      if (isLive()) {
        return; // a later connection opened meanwhile
      }
      if (verdict && verdict.refused && typeof verdict.message === "string") {
        refusal = verdict.message;
        banner.show(refusal, "alert");
      } else if (first) {
        didNotLoad.didNotLoad(); // nothing retries a first connection: load the page again
      }
    });
  }

  /** @returns {Promise<StreamVerdict | null>} */
  function askWhyRefused() {
    return win
      .fetch(config.streamCheckPath, { method: "POST", cache: "no-store" })
      .then((answer) => (answer.ok ? answer.json() : null))
      .catch(() => null); // no answer: the server is away, not refusing
  }

  function afterUpdate() {
    if (!firstPaintShown()) {
      firstPaint.keepTitle();
    }
    recovery.afterUpdate();
    uploads.afterUpdate();
  }

  firstPaint.listen();
  recovery.listen();
  didNotLoad.listen();
  uploads.listen();
  followRouterLinks(win, isLive);
  followThemeChoices(win);
  openServerDialogs(win);
  rememberTimeZone(win); // before connect(): the handshake carries it

  return {
    modulesPath: config.modulesPath,
    connect(receive) {
      if (deliver) {
        return;
      }
      deliver = receive;
      firstPaint.takeOverWhenRendered();
      connection.start();
    },
    send(event) {
      if (held.hold(event)) {
        return;
      }
      held.release(); // what was typed before this event goes before it
      if (connection.send(event) || reportsLocation(event, historyHandler)) {
        // The router's History reports the location when it mounts (once its module has
        // loaded, which may be after the page went live) and on each popstate: while down,
        // that is not the person's action to refuse, as each new layout is told where the
        // page is then (message() above).
        return;
      }
      refusedWhileDown = true;
      showDisconnected();
    },
  };
}
