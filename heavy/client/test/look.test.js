// The theme switch and the server's dialogs (theme.js, dialogs.js), in jsdom. The real thing,
// in Chromium with the first paint and a keyboard, is tests/e2e/test_theme_in_browser.py.

import assert from "node:assert/strict";
import { test } from "node:test";

import { openServerDialogs } from "../src/page/dialogs.js";
import { followThemeChoices } from "../src/page/theme.js";
import { rememberTimeZone } from "../src/page/time_zone.js";
import { fakePage } from "./fakes.js";

const SWITCH =
  '<button id="auto" data-heavy-theme="system">Auto</button>' +
  '<button id="dark" data-heavy-theme="dark"><span id="dark-label">Dark</span></button>';

test("a theme chosen shows at once on <html> and is kept in a cookie; system removes it", () => {
  const { win } = fakePage({ body: SWITCH });
  followThemeChoices(win);
  const root = win.document.documentElement;
  win.document.getElementById("dark-label")?.click(); // a click inside the button counts
  assert.equal(root.getAttribute("data-theme"), "dark");
  assert.match(win.document.cookie, /(^|; )theme=dark(;|$)/);
  win.document.getElementById("auto")?.click();
  assert.equal(root.hasAttribute("data-theme"), false);
  assert.match(win.document.cookie, /(^|; )theme=system(;|$)/);
});

/** Let the mutation observer run. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

test("a server dialog opens where it appears; Escape presses its cancel; the focus comes back", async () => {
  const { win } = fakePage({ body: '<button id="opener">Delete…</button><div id="app"></div>' });
  const document = win.document;
  openServerDialogs(win);
  const opener = /** @type {HTMLButtonElement} */ (document.getElementById("opener"));
  opener.focus();
  const app = /** @type {HTMLElement} */ (document.getElementById("app"));
  app.innerHTML =
    '<dialog id="d" data-heavy-dialog="true"><button id="cancel" data-heavy-dialog-cancel="true">Cancel</button></dialog>';
  await settled();
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("d"));
  assert.equal(dialog.hasAttribute("open"), true);

  let cancelled = 0;
  document.getElementById("cancel")?.addEventListener("click", () => (cancelled += 1));
  const escape = new win.Event("cancel", { cancelable: true });
  dialog.dispatchEvent(escape);
  assert.equal(cancelled, 1);
  assert.equal(escape.defaultPrevented, true); // the server closes it, not the browser

  app.innerHTML = ""; // the server stopped rendering it
  await settled();
  assert.equal(document.activeElement, opener);
});

test("the browser's time zone is kept in a cookie; a browser naming none leaves it alone", () => {
  const { win } = fakePage({ body: "" });
  rememberTimeZone(win, "Asia/Tokyo");
  assert.match(win.document.cookie, /(^|; )time_zone=Asia\/Tokyo(;|$)/);
  rememberTimeZone(win, "America/Argentina/Buenos_Aires");
  assert.match(win.document.cookie, /(^|; )time_zone=America\/Argentina\/Buenos_Aires(;|$)/);
  rememberTimeZone(win, ""); // a browser that names none leaves the cookie alone
  rememberTimeZone(win, "x; Path=/other"); // nor does a name that is not one
  assert.match(win.document.cookie, /(^|; )time_zone=America\/Argentina\/Buenos_Aires(;|$)/);
});
