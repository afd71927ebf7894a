// Keeps a live page alive across websocket drops: server restarts, deploys, a closed socket.
//
// ReactPy's client reconnects by itself and receives a fresh layout, but a reactpy-router page
// then stays blank: the router's History component told the old server where the page is, and
// never tells the new one. This script, loaded in <head> before ReactPy's client, wraps the
// client's websocket to
//
// 1. show a banner while the page is not connected, and refuse input visibly meanwhile (an
//    event sent while down would be lost: the new layout's handler ids are different);
// 2. on a reconnect, tell the new layout the page's location (as History does on first load);
// 3. once the page is back, replay what the person typed into inputs and text areas and did not
//    submit (like Phoenix LiveView's form recovery), so the new server has it too.
//
// Nothing depends on the old server process: the location and the typed values come from the
// browser, the signed-in visitor from the cookie sent with the new handshake.
//
// Typed values are also kept per page address in the tab's sessionStorage until the form is
// sent and cleared, so a draft survives leaving the page: a forced sign-in after a session ended
// elsewhere, a reload. A later visit to the same address in this tab types it back into empty
// fields.
//
// It also makes router links (<a data-router-link>) change the page without a reload: the URL is
// pushed and a popstate event lets History report it, with no per-link script to go stale.
//
// The first paint: the server sends each page's HTML in #heavy-first-paint, beside ReactPy's
// empty #app, so the page shows before the websocket connects (and without JavaScript). On the
// first connection this script tells the layout the location at once (without waiting for
// History's module), and when the layout has rendered the page into #app it removes the first
// paint in the same task, before the browser paints: no flash, no doubled content. What was
// typed into the first paint (passwords included: it stays in this document), the focus and
// caret, and clicks on its buttons (held, not lost) are carried over to the live page.
// It also keeps the window title to the live page's (Page renders it in #heavy-page-title).
//
// A page whose live part could not load (the server went away while it loaded: its HTML came,
// ReactPy's client did not) would stay the first paint for ever, its clicks held. It says so
// and loads itself again once the server answers; drafts typed into it are kept (see above).
//
// A connection that never opened may have been refused: the server answers a handshake from an
// address it does not allow (another host name, a proxy's address) with a bare 403 that a page
// cannot read. The page then asks the server why (POST /_heavy/stream-check runs the same
// check, and a browser sends the page's Origin with a POST as with the handshake) and shows
// its answer, which names the setting to change, instead of "Reconnecting…" for ever.
(function () {
  "use strict";

  const STREAM_PATH = "/_reactpy/stream";
  const BANNER_ID = "heavy-connection-banner";
  const FIRST_PAINT_ID = "heavy-first-paint";
  const MOUNT_ID = "app";
  const TITLE_ID = "heavy-page-title";
  const HISTORY_CALLBACK = "onHistoryChangeCallback";
  const STREAM_CHECK_PATH = "/_heavy/stream-check"; // STREAM_CHECK_PATH in security/origin.py
  const NativeWebSocket = window.WebSocket;
  // The server closes a connection whose message is over this size (1009): a value that big
  // is not typed back in after a reconnect, or the page would reconnect for ever.
  const MAX_RETYPED_BYTES = Number(document.currentScript.dataset.maxMessageBytes || 0) / 2;

  let connections = 0;
  let live = null; // the open stream socket, if any
  let refusedWhileDown = false;
  let refusal = null; // the server's message, once it refused this page's connection
  const typed = new Map(); // element id -> value typed and not yet submitted
  const DRAFTS_KEY = "heavy-live-drafts"; // sessionStorage: {pathname: {element id: value}}
  const draftsRestored = new Set(); // addresses whose stored drafts this document typed back
  const sent = new Set(); // ids of fields in a form just submitted: forgotten once cleared

  // --- the banner --------------------------------------------------------------------------

  // role "alert" for what the person must act on (a refused connection), else "status".
  function showBanner(text, role = "status") {
    let banner = document.getElementById(BANNER_ID);
    if (!banner) {
      banner = document.createElement("div");
      banner.id = BANNER_ID;
      document.body.prepend(banner);
    }
    banner.setAttribute("role", role);
    banner.setAttribute("aria-live", role === "alert" ? "assertive" : "polite");
    banner.textContent = text;
    banner.hidden = false;
  }

  function hideBanner() {
    const banner = document.getElementById(BANNER_ID);
    if (banner) {
      banner.hidden = true;
    }
  }

  function showDisconnected() {
    if (refusal) {
      showBanner(refusal, "alert"); // reconnecting would not help
      return;
    }
    showBanner(
      refusedWhileDown
        ? "Reconnecting… Your last action was not sent: try it again once the page is back."
        : "Reconnecting…"
    );
  }

  // --- finding the router's History in a layout ---------------------------------------------

  function historyTarget(model) {
    if (!model || typeof model !== "object") {
      return null;
    }
    const handler = model.eventHandlers && model.eventHandlers[HISTORY_CALLBACK];
    if (handler && handler.target) {
      return handler.target;
    }
    for (const child of model.children || []) {
      const found = historyTarget(child);
      if (found) {
        return found;
      }
    }
    return null;
  }

  function here() {
    return { pathname: window.location.pathname, search: window.location.search };
  }

  // --- the first paint ----------------------------------------------------------------------

  const heldClicks = []; // [element id, is a form] clicked or submitted in the first paint

  function firstPaint() {
    return document.getElementById(FIRST_PAINT_ID);
  }

  // Before the live page is there, its buttons do nothing yet: hold the click (and keep the
  // form from submitting the usual way, which would reload the page and lose what was typed).
  function holdUntilLive(event) {
    const painted = firstPaint();
    if (!painted || !painted.contains(event.target)) {
      return;
    }
    if (event.type === "click") {
      const button = event.target.closest("button, input[type=submit], input[type=button]");
      if (!button) {
        return; // links work as links; the rest has nothing to do
      }
      event.preventDefault();
      if (button.id) {
        heldClicks.push([button.id, false]);
      }
    } else {
      event.preventDefault(); // a submit without a button (Enter in a lone field)
      event.stopImmediatePropagation(); // not sent: its typed values are not forgotten
      if (event.target.id) {
        heldClicks.push([event.target.id, true]);
      }
    }
  }
  document.addEventListener("click", holdUntilLive, true);
  document.addEventListener("submit", holdUntilLive, true);

  function typedInto(element) {
    return (
      element.id &&
      (element.tagName === "TEXTAREA" ||
        (element.tagName === "INPUT" && !["hidden", "file", "checkbox", "radio"].includes(element.type))) &&
      element.value !== element.defaultValue
    );
  }

  // The live layout has rendered the page into #app: remove the first paint and carry over
  // what the person did in it. Runs before the browser paints (from a mutation observer).
  function takeOver() {
    const painted = firstPaint();
    if (!painted) {
      return;
    }
    const active = painted.contains(document.activeElement) ? document.activeElement : null;
    let caret = null;
    try {
      caret = active && active.selectionStart !== null ? [active.selectionStart, active.selectionEnd] : null;
    } catch {
      caret = null; // inputs without a caret (number, email) throw or answer null
    }
    const values = [];
    for (const element of painted.querySelectorAll("input, textarea")) {
      if (typedInto(element)) {
        values.push([element.id, element.value]);
      }
    }
    painted.remove();
    for (const [id, value] of values) {
      const element = document.getElementById(id);
      if (element && (element.tagName === "TEXTAREA" || element.tagName === "INPUT") && element.value !== value) {
        retype(element, value);
      }
    }
    const focused = active && active.id ? document.getElementById(active.id) : null;
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
    for (const [id, isForm] of heldClicks.splice(0)) {
      const element = document.getElementById(id);
      if (element && isForm && element.requestSubmit) {
        element.requestSubmit();
      } else if (element) {
        element.click();
      }
    }
    keepTitle();
  }

  // Take over as soon as ReactPy has rendered a page into #app (every route's Page holds the
  // title marker). ReactPy renders in a microtask after a message; this observer's callback is
  // the microtask right after that render: the same task, so the browser never paints both.
  function takeOverWhenRendered() {
    const mount = document.getElementById(MOUNT_ID);
    if (!firstPaint() || !mount) {
      return;
    }
    const observer = new MutationObserver(() => {
      if (mount.querySelector("#" + TITLE_ID)) {
        observer.disconnect();
        takeOver();
      }
    });
    observer.observe(mount, { childList: true, subtree: true });
  }

  function keepTitle() {
    const mount = document.getElementById(MOUNT_ID);
    const marker = mount && mount.querySelector("#" + TITLE_ID);
    const title = marker && marker.dataset.title;
    if (title && document.title !== title) {
      document.title = title;
    }
  }

  // --- form recovery -------------------------------------------------------------------------

  function recoverable(element) {
    return (
      element &&
      element.id &&
      (element.tagName === "TEXTAREA" ||
        (element.tagName === "INPUT" && !["password", "hidden", "file"].includes(element.type)))
    );
  }

  document.addEventListener(
    "input",
    (event) => {
      if (!event.isTrusted || !recoverable(event.target)) {
        return; // our own retyping, or nothing to recover
      }
      const value = event.target.value;
      if (new Blob([value]).size <= MAX_RETYPED_BYTES) {
        typed.set(event.target.id, value);
        storeDraft(event.target.id, value);
      } else {
        typed.delete(event.target.id);
        storeDraft(event.target.id, null);
      }
    },
    true
  );

  document.addEventListener(
    "submit",
    (event) => {
      if (!live) {
        return; // refused while down (see send): typed back into the page once it is back
      }
      for (const element of event.target.elements || []) {
        typed.delete(element.id);
        if (recoverable(element)) {
          sent.add(element.id); // the stored draft goes once the page shows the field empty
        }
      }
    },
    true
  );

  // --- drafts kept in the tab ------------------------------------------------------------

  function readDrafts() {
    try {
      return JSON.parse(window.sessionStorage.getItem(DRAFTS_KEY) || "{}");
    } catch {
      return {}; // storage disabled or full of something else: drafts are a nicety
    }
  }

  function storeDraft(id, value) {
    const drafts = readDrafts();
    const here = drafts[window.location.pathname] || {};
    if (value === null || value === "") {
      delete here[id];
    } else {
      here[id] = value;
    }
    drafts[window.location.pathname] = here;
    try {
      window.sessionStorage.setItem(DRAFTS_KEY, JSON.stringify(drafts));
    } catch {
      // storage disabled or full: the draft lives on in the page only
    }
  }

  // After each update: forget drafts of forms that were sent and cleared, and type this
  // address's stored drafts into its empty fields once they are on the page.
  function afterUpdate() {
    if (firstPaint()) {
      return; // its fields share the live page's ids: wait until it is gone
    }
    keepTitle();
    for (const id of sent) {
      const element = document.getElementById(id);
      if (element && element.value === "") {
        storeDraft(id, null);
        sent.delete(id);
      }
    }
    const path = window.location.pathname;
    if (draftsRestored.has(path)) {
      return;
    }
    const stored = Object.entries(readDrafts()[path] || {});
    const fields = stored.map(([id]) => document.getElementById(id));
    if (fields.some((element) => !recoverable(element))) {
      return; // not all on the page yet: the next update tries again
    }
    draftsRestored.add(path);
    stored.forEach(([id, value], index) => {
      if (fields[index].value === "") {
        typed.set(id, value);
      }
    });
    restoreTyped(); // retypes, and again if a render right after wipes a field
  }

  // Set the value as a person would: React tracks the value it last saw, so go through the
  // native setter and fire an input event, which ReactPy sends to the new server as onChange.
  function retype(element, value) {
    const prototype = element.tagName === "TEXTAREA" ? HTMLTextAreaElement : HTMLInputElement;
    Object.getOwnPropertyDescriptor(prototype.prototype, "value").set.call(element, value);
    element.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // The page's elements may arrive, or be rendered again, over a few updates: for a couple of
  // seconds, retype each remembered value once it is there (the new server has never seen it,
  // even where the browser kept it on screen), and again if a render wiped it.
  function restoreTyped(retyped = new Set(), triesLeft = 20) {
    for (const [id, value] of typed) {
      const element = document.getElementById(id);
      if (recoverable(element) && (!retyped.has(id) || element.value !== value)) {
        retype(element, value);
        retyped.add(id);
      }
    }
    if (triesLeft > 0) {
      setTimeout(() => restoreTyped(retyped, triesLeft - 1), 100);
    }
  }

  // --- the wrapped websocket ----------------------------------------------------------------

  function resume(socket, first) {
    // The first update of a fresh layout holds the router only; the page follows once the
    // router hears the location. Then the page's elements are there to retype into (after a
    // reconnect), or to take over the first paint from (on the first connection).
    let toldLocation = false;
    socket.addEventListener("message", function onMessage(message) {
      let update;
      try {
        update = JSON.parse(message.data);
      } catch {
        return;
      }
      if (update.type !== "layout-update") {
        return;
      }
      const target = toldLocation ? null : historyTarget(update.model);
      if (target) {
        toldLocation = true;
        socket.send(JSON.stringify({ type: "layout-event", target, data: [here()] }));
        return;
      }
      socket.removeEventListener("message", onMessage);
      if (first) {
        return; // the first paint is taken over when the page is rendered (takeOverWhenRendered)
      }
      // ReactPy renders the update on its next tick: retype after that.
      setTimeout(() => {
        restoreTyped();
        refusedWhileDown = false;
        hideBanner();
      }, 0);
    });
  }

  // --- a connection that never opened ------------------------------------------------------

  function askWhyRefused() {
    return fetch(STREAM_CHECK_PATH, { method: "POST", cache: "no-store" })
      .then((answer) => (answer.ok ? answer.json() : null))
      .catch(() => null); // no answer: the server is away, not refusing
  }

  // ReactPy's client retries a connection that opened before; one that never did, it gives up.
  function neverOpened(first) {
    askWhyRefused().then((verdict) => {
      if (live) {
        return; // a later connection opened meanwhile
      }
      if (verdict && verdict.refused && typeof verdict.message === "string") {
        refusal = verdict.message;
        showBanner(refusal, "alert");
      } else if (first) {
        didNotLoad(); // nothing retries it: load the page again once the server answers
      }
    });
  }

  class LiveSocket extends NativeWebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      if (!String(url).includes(STREAM_PATH)) {
        return;
      }
      const reconnect = connections > 0;
      connections += 1;
      this.addEventListener("message", () => setTimeout(afterUpdate, 0));
      // Tell the location as soon as the router is there: on the first connection too, where
      // History would only tell it once its module has loaded (the page then shows sooner).
      resume(this, !reconnect);
      if (!reconnect) {
        takeOverWhenRendered();
      }
      let opened = false;
      this.addEventListener("open", () => {
        opened = true;
        live = this;
        refusal = null;
        setReloadsInARow(0);
      });
      this.addEventListener("close", () => {
        if (live === this) {
          live = null;
        }
        if (!opened) {
          neverOpened(!reconnect);
        }
        if (opened || reconnect) {
          showDisconnected();
        }
      });
    }

    send(data) {
      if (this.readyState !== NativeWebSocket.OPEN) {
        refusedWhileDown = true;
        showDisconnected();
        return;
      }
      super.send(data);
    }
  }

  window.WebSocket = LiveSocket;

  // --- a page whose live part did not load ------------------------------------------------

  const RELOADS_KEY = "heavy-live-reloads"; // sessionStorage: reloads in a row that did not help
  const MAX_RELOADS = 3;
  const LOAD_GRACE_MS = 3000; // after the load event, for ReactPy's client to open its socket

  function reloadsInARow() {
    try {
      return Number(window.sessionStorage.getItem(RELOADS_KEY) || 0);
    } catch {
      return MAX_RELOADS; // no storage: no count, so no reloading by itself
    }
  }

  function setReloadsInARow(count) {
    try {
      window.sessionStorage.setItem(RELOADS_KEY, String(count));
    } catch {
      // storage disabled: see reloadsInARow
    }
  }

  let reloading = false;

  function didNotLoad() {
    if (reloading || live || !firstPaint()) {
      return;
    }
    reloading = true;
    if (reloadsInARow() >= MAX_RELOADS) {
      showBanner("This page did not load completely. Reload it to try again.");
      return;
    }
    showBanner("This page did not load completely. Loading it again once the server answers…");
    reloadWhenServerAnswers();
  }

  function reloadWhenServerAnswers() {
    const again = () => setTimeout(reloadWhenServerAnswers, 1000);
    fetch("/livez", { cache: "no-store" })
      .then((answer) => {
        if (!answer.ok) {
          again();
          return;
        }
        setReloadsInARow(reloadsInARow() + 1);
        window.location.reload();
      })
      .catch(again);
  }

  // A script that failed to load (resource errors do not bubble: listen while capturing).
  window.addEventListener(
    "error",
    (event) => {
      const element = event.target;
      if (element && element.tagName === "SCRIPT" && element.type === "module") {
        didNotLoad();
      }
    },
    true
  );
  // And whatever else kept ReactPy's client from opening a socket.
  window.addEventListener("load", () => {
    setTimeout(() => {
      if (connections === 0) {
        didNotLoad();
      }
    }, LOAD_GRACE_MS);
  });

  // --- router links --------------------------------------------------------------------------

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-router-link]");
    if (
      !link ||
      event.defaultPrevented ||
      event.button !== 0 ||
      event.ctrlKey ||
      event.metaKey ||
      event.shiftKey ||
      event.altKey ||
      !live // while down, let the browser load the page the usual way
    ) {
      return;
    }
    event.preventDefault();
    if (link.href !== window.location.href) {
      window.history.pushState(null, "", link.href);
    }
    window.dispatchEvent(new PopStateEvent("popstate"));
  });
})();
