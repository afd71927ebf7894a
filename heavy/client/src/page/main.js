// The page script (heavy_page.js), run in <head> before the page's body is parsed, so clicks
// and typing in the first paint are caught from the start. It sets up the page and leaves
// window.heavyLive for the live bundle (heavy_live.js), which mounts ReactPy's client on it.
// Its settings come from its script tag's data attributes (heavy/web/client.py writes them).

import { createLivePage } from "./live_page.js";

const script = /** @type {HTMLScriptElement | null} */ (document.currentScript);
const data = script ? script.dataset : {};

/** @returns {object} what the page says, in its language: English where this is not JSON */
function texts() {
  try {
    const parsed = JSON.parse(data.texts || "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

window.heavyLive = createLivePage(window, {
  streamPath: data.streamPath || "/_reactpy/stream",
  modulesPath: data.modulesPath || "/_reactpy/modules",
  streamCheckPath: data.streamCheckPath || "/_heavy/stream-check",
  // The server closes a connection whose message is over its limit (1009): a value that big
  // is not typed back in after a reconnect, or the page would reconnect for ever.
  maxRetypedBytes: Number(data.maxMessageBytes || 0) / 2,
  texts: texts(),
});
