// The page's reconnect paths, in jsdom with a fake socket and clock (the real thing, a server
// killed and started again under Chromium, is tests/e2e/test_reconnect_in_browser.py).

import assert from "node:assert/strict";
import { test } from "node:test";

import { BANNER_ID } from "../src/page/banner.js";
import { GAVE_UP, NOT_SENT, RECONNECTING, createLivePage } from "../src/page/live_page.js";
import { FakeSocket, fakePage } from "./fakes.js";

const STREAM_CHECK = "/_heavy/stream-check";
const FIELDS = '<input id="title"><textarea id="body"></textarea><input id="secret" type="password">';

/** A fresh layout's first update: the router's History only. @param {string} target */
function routerOnly(target) {
  const history = { tagName: "History", eventHandlers: { onHistoryChangeCallback: { target } } };
  return { type: "layout-update", path: "", model: { tagName: "", children: [history] } };
}

/** heavy's router's first update: History beside the page. @param {string} target */
function routerWithPage(target) {
  const history = { tagName: "History", eventHandlers: { onHistoryChangeCallback: { target } } };
  return { type: "layout-update", path: "", model: { tagName: "", children: [history, "the page"] } };
}

const PAGE_UPDATE = { type: "layout-update", path: "", model: { tagName: "div", children: ["the page"] } };

/**
 * A live page on fake sockets, connected (its first socket not yet open).
 *
 * @param {Parameters<typeof fakePage>[0] & { maxRetypedBytes?: number, maxRetries?: number, texts?: object }} [options]
 */
function livePage(options = {}) {
  const page = fakePage(options);
  const live = createLivePage(page.win, {
    streamPath: "/_reactpy/stream",
    modulesPath: "/_reactpy/modules",
    streamCheckPath: STREAM_CHECK,
    maxRetypedBytes: options.maxRetypedBytes ?? 1000,
    texts: options.texts,
    retry: { firstIntervalMs: 750, maxIntervalMs: 60_000, backoffRate: 1.1, jitter: 0, maxRetries: options.maxRetries ?? 50 },
  });
  /** @type {object[]} */
  const rendered = [];
  live.connect((message) => rendered.push(message));
  const banner = () => page.win.document.getElementById(BANNER_ID);
  return { ...page, live, rendered, banner };
}

/** Open `socket` and play a fresh layout on it: the router, then the page. @param {FakeSocket} socket */
function serve(socket, target = "history-1") {
  socket.open();
  socket.receive(routerOnly(target));
  socket.receive(PAGE_UPDATE);
}

/** @param {PageWindow} win @param {string} id @param {string} value */
function typeInto(win, id, value) {
  const field = /** @type {HTMLInputElement} */ (win.document.getElementById(id));
  field.value = value;
  field.dispatchEvent(new win.Event("input", { bubbles: true }));
}

const PAINTED_LINKS = '<a id="next" href="/next">Next</a><a id="other" href="/other">Other</a>';

/**
 * Dispatch a pointer event of `type` on the element `id` (jsdom has no PointerEvent).
 *
 * @param {PageWindow} win @param {string} type @param {string} id @param {string} [pointerType]
 */
function press(win, type, id, pointerType = "mouse") {
  const event = new win.MouseEvent(type, { bubbles: true });
  Object.defineProperty(event, "pointerType", { value: pointerType });
  /** @type {HTMLElement} */ (win.document.getElementById(id)).dispatchEvent(event);
}

/** ReactPy renders the page into #app; the first paint's observer takes over in a microtask. @param {PageWindow} win @param {string} painted */
async function renderLive(win, painted) {
  const app = /** @type {HTMLElement} */ (win.document.getElementById("app"));
  app.innerHTML = `<span id="heavy-page-title" data-title="Live"></span>${painted}`;
  await new Promise((resolve) => setImmediate(resolve));
}

test("each layout is told where the page is, the new one after a reconnect too", async () => {
  const { clock, rendered } = livePage({ url: "http://127.0.0.1:8000/notes?tab=mine" });
  const first = FakeSocket.opened[0];
  assert.equal(first.url, "ws://127.0.0.1:8000/_reactpy/stream/notes?tab=mine");
  first.open();
  first.receive(routerOnly("history-1"));
  const location = [{ pathname: "/notes", search: "?tab=mine" }];
  assert.deepEqual(first.sent, [{ type: "layout-event", target: "history-1", data: location }]);
  first.receive(PAGE_UPDATE);
  assert.equal(rendered.length, 2); // ReactPy's client got both updates
  assert.equal(first.sent.length, 1); // the location once per layout

  first.drop();
  await clock.tick(825);
  const second = FakeSocket.opened[1];
  second.open();
  second.receive(routerOnly("history-2"));
  assert.deepEqual(second.sent, [{ type: "layout-event", target: "history-2", data: location }]);
});

test("a banner shows while the page is down and goes once the page is back", async () => {
  const { clock, banner } = livePage();
  serve(FakeSocket.opened[0]);
  await clock.tick(0);
  assert.equal(banner(), null); // nothing on a page that never dropped

  FakeSocket.opened[0].drop();
  assert.equal(banner()?.textContent, RECONNECTING);
  assert.equal(banner()?.getAttribute("role"), "status");
  assert.equal(banner()?.hidden, false);

  await clock.tick(825);
  const second = FakeSocket.opened[1];
  second.open();
  second.receive(routerOnly("history-2"));
  await clock.tick(0);
  assert.equal(banner()?.hidden, false); // the router is back, the page not yet
  second.receive(PAGE_UPDATE);
  await clock.tick(0);
  assert.equal(banner()?.hidden, true);
});

test("a router that shows the page in its first update brings the page back with that update", async () => {
  const { clock, banner } = livePage({ url: "http://127.0.0.1:8000/notes" });
  const first = FakeSocket.opened[0];
  first.open();
  first.receive(routerWithPage("history-1"));
  const location = [{ pathname: "/notes", search: "" }];
  assert.deepEqual(first.sent, [{ type: "layout-event", target: "history-1", data: location }]);

  first.drop();
  assert.equal(banner()?.hidden, false);
  await clock.tick(825);
  const second = FakeSocket.opened[1];
  second.open();
  second.receive(routerWithPage("history-2"));
  assert.deepEqual(second.sent, [{ type: "layout-event", target: "history-2", data: location }]);
  await clock.tick(0);
  assert.equal(banner()?.hidden, true); // no second update needed
});

test("an event sent while down is refused visibly, and sent again by the person once back", async () => {
  const { clock, live, banner } = livePage();
  serve(FakeSocket.opened[0]);
  FakeSocket.opened[0].drop();
  live.send({ type: "layout-event", target: "save", data: [] });
  assert.equal(banner()?.textContent, NOT_SENT);

  await clock.tick(825);
  serve(FakeSocket.opened[1], "history-2");
  await clock.tick(0);
  assert.equal(banner()?.hidden, true);
  live.send({ type: "layout-event", target: "save", data: [] });
  assert.deepEqual(FakeSocket.opened[1].sent.at(-1), { type: "layout-event", target: "save", data: [] });

  FakeSocket.opened[1].drop(); // a later drop says "Reconnecting…" again, not "not sent"
  assert.equal(banner()?.textContent, RECONNECTING);
});

test("the router's own report of the location while down is not the person's action: not refused", async () => {
  const { clock, live, banner } = livePage({ url: "http://127.0.0.1:8000/notes" });
  serve(FakeSocket.opened[0]);
  FakeSocket.opened[0].drop(); // the server went away before History's module had loaded
  const location = [{ pathname: "/notes", search: "" }];
  live.send({ type: "layout-event", target: "history-1", data: location }); // History mounts
  assert.equal(banner()?.textContent, RECONNECTING);

  await clock.tick(825);
  serve(FakeSocket.opened[1], "history-2"); // the new layout is told the location all the same
  assert.deepEqual(FakeSocket.opened[1].sent, [{ type: "layout-event", target: "history-2", data: location }]);
  await clock.tick(0);
  assert.equal(banner()?.hidden, true);
});

test("what was typed and not sent is typed into the new layout's fields", async () => {
  const { win, clock } = livePage({ body: `<div id="app">${FIELDS}</div>` });
  serve(FakeSocket.opened[0]);
  await clock.tick(0);
  typeInto(win, "title", "Unsaved title");
  typeInto(win, "body", "typed before the restart");
  typeInto(win, "secret", "hunter2");
  FakeSocket.opened[0].drop();

  // The new layout renders the page afresh: empty fields, as a new server has them.
  const app = /** @type {HTMLElement} */ (win.document.getElementById("app"));
  app.innerHTML = FIELDS;
  /** @type {string[]} */
  const changes = [];
  app.addEventListener("input", (event) => changes.push(/** @type {HTMLInputElement} */ (event.target).id));
  await clock.tick(825);
  serve(FakeSocket.opened[1], "history-2");
  await clock.tick(0);

  const value = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (win.document.getElementById(id)).value;
  assert.equal(value("title"), "Unsaved title");
  assert.equal(value("body"), "typed before the restart");
  assert.equal(value("secret"), ""); // passwords are never kept
  assert.deepEqual(changes.sort(), ["body", "title"]); // ReactPy sends them as onChange
  const drafts = JSON.parse(win.sessionStorage.getItem("heavy-live-drafts") || "{}");
  assert.deepEqual(drafts[win.location.pathname], { title: "Unsaved title", body: "typed before the restart" });
});

test("a value the server would refuse as too big is not typed back", async () => {
  const { win, clock } = livePage({ body: `<div id="app">${FIELDS}</div>`, maxRetypedBytes: 10 });
  serve(FakeSocket.opened[0]);
  typeInto(win, "title", "é".repeat(6)); // 12 bytes in UTF-8
  FakeSocket.opened[0].drop();
  const app = /** @type {HTMLElement} */ (win.document.getElementById("app"));
  app.innerHTML = FIELDS;
  await clock.tick(825);
  serve(FakeSocket.opened[1], "history-2");
  await clock.tick(3000);
  assert.equal(/** @type {HTMLInputElement} */ (win.document.getElementById("title")).value, "");
});

test("a refused connection shows the server's reason as an alert, not Reconnecting…", async () => {
  const reason = "This address is not allowed: set APP_ALLOWED_ORIGINS.";
  const { clock, requests, banner } = livePage({
    answer: async (url) =>
      url === STREAM_CHECK ? Response.json({ refused: true, message: reason }) : new Response("", { status: 500 }),
  });
  FakeSocket.opened[0].drop(); // the handshake was answered 403: the socket never opened
  await clock.tick(0);
  assert.deepEqual(
    requests.map((request) => [request.url, request.init?.method]),
    [[STREAM_CHECK, "POST"]],
  );
  assert.equal(banner()?.textContent, reason);
  assert.equal(banner()?.getAttribute("role"), "alert");
  assert.equal(banner()?.getAttribute("aria-live"), "assertive");
});

test("a first connection that failed with no answer from the server waits for it, then loads again", async () => {
  const { clock, requests, banner } = livePage({
    body: '<div id="heavy-first-paint"><h1>First paint</h1></div><div id="app"></div>',
    answer: async () => {
      throw new TypeError("Failed to fetch"); // the server is away
    },
  });
  FakeSocket.opened[0].drop();
  await clock.tick(0);
  assert.equal(banner()?.textContent, "This page did not load completely. Loading it again once the server answers…");
  await clock.tick(2000);
  assert.deepEqual(
    requests.map((request) => request.url),
    [STREAM_CHECK, "/livez", "/livez", "/livez"], // asked again each second
  );
});

test("after three reloads in a row that did not help, the page stops and says so", async () => {
  const { win, clock, requests, banner } = livePage({
    body: '<div id="heavy-first-paint"><h1>First paint</h1></div><div id="app"></div>',
    answer: async () => new Response("{}", { status: 200 }),
  });
  win.sessionStorage.setItem("heavy-live-reloads", "3");
  FakeSocket.opened[0].drop();
  await clock.tick(5000);
  assert.equal(banner()?.textContent, "This page did not load completely. Reload it to try again.");
  assert.deepEqual(
    requests.map((request) => request.url),
    [STREAM_CHECK],
  );
});

test("the banner speaks the page's language when the server gives its words", async () => {
  const { clock, banner } = livePage({ texts: { reconnecting: "Verbindung wird wiederhergestellt…" } });
  serve(FakeSocket.opened[0]);
  FakeSocket.opened[0].drop();
  await clock.tick(0);
  assert.equal(banner()?.textContent, "Verbindung wird wiederhergestellt…");
});

test("when the tries run out, the banner says to reload", async () => {
  const { clock, banner } = livePage({ maxRetries: 2, answer: async () => new Response("{}") });
  serve(FakeSocket.opened[0]);
  FakeSocket.opened[0].drop();
  await clock.tick(825);
  FakeSocket.opened[1].drop();
  await clock.tick(0);
  assert.equal(banner()?.textContent, RECONNECTING);
  await clock.tick(1000);
  FakeSocket.opened[2].drop();
  await clock.tick(0);
  assert.equal(banner()?.textContent, GAVE_UP);
  assert.equal(FakeSocket.opened.length, 3);
});

test("the live page takes over the first paint with what was typed and clicked in it", async () => {
  const painted = '<input id="echo"><button id="send">Send</button>';
  const { win } = livePage({ body: `<div id="heavy-first-paint">${painted}</div><div id="app"></div>` });
  const document = win.document;
  typeInto(win, "echo", "typed early");
  /** @type {HTMLButtonElement} */ (document.getElementById("send")).click(); // nothing live yet: held

  // ReactPy renders the page into #app (every page holds the title marker).
  const app = /** @type {HTMLElement} */ (document.getElementById("app"));
  /** @type {string[]} */
  const clicks = [];
  app.addEventListener("click", (event) => clicks.push(/** @type {Element} */ (event.target).id));
  app.innerHTML = `<span id="heavy-page-title" data-title="Echo · Heavy"></span>${painted}`;
  await new Promise((resolve) => setImmediate(resolve)); // the observer's microtask

  assert.equal(document.getElementById("heavy-first-paint"), null);
  assert.equal(/** @type {HTMLInputElement} */ (document.getElementById("echo")).value, "typed early");
  assert.deepEqual(clicks, ["send"]); // the held click, replayed on the live button
  assert.equal(document.title, "Echo · Heavy");
});

test("a press begun on a first-paint link and released on the live one clicks it once", async () => {
  const { win, clock } = livePage({ body: `<div id="heavy-first-paint">${PAINTED_LINKS}</div><div id="app"></div>` });
  const document = win.document;
  /** @type {string[]} */
  const clicks = [];
  document.addEventListener("click", (event) => {
    event.preventDefault(); // jsdom does not navigate; the router would
    clicks.push(/** @type {Element} */ (event.target).id);
  });

  press(win, "pointerdown", "next"); // on the first paint...
  await renderLive(win, PAINTED_LINKS); // ...the live page takes over...
  assert.equal(document.getElementById("heavy-first-paint"), null);
  press(win, "pointerup", "next"); // ...and the press ends on the live link: no click from the browser
  await clock.tick(0);
  assert.deepEqual(clicks, ["next"]);

  press(win, "pointerup", "next"); // a later press is the browser's own: nothing more from the page
  await clock.tick(0);
  assert.deepEqual(clicks, ["next"]);
});

test("a first-paint press dragged off its link, cancelled, or ended before the take-over, clicks nothing", async () => {
  for (const ending of ["dragged off", "cancelled", "before the take-over"]) {
    const { win, clock } = livePage({ body: `<div id="heavy-first-paint">${PAINTED_LINKS}</div><div id="app"></div>` });
    const document = win.document;
    /** @type {string[]} */
    const clicks = [];
    document.addEventListener("click", (event) => clicks.push(/** @type {Element} */ (event.target).id));

    press(win, "pointerdown", "next");
    if (ending === "before the take-over") {
      press(win, "pointerup", "other");
    }
    await renderLive(win, PAINTED_LINKS);
    // The press ends off its link, or the browser cancels it (a scroll took the touch).
    press(win, ending === "cancelled" ? "pointercancel" : "pointerup", "other");
    press(win, "pointerdown", "next"); // and a new press, released on the live link
    press(win, "pointerup", "next");
    await clock.tick(0);
    assert.deepEqual(clicks, [], ending);
  }
});

test("a tap begun on the first paint clicks the live link once: the browser's late click, or the page's", async () => {
  for (const browserClicks of [false, true]) {
    const { win, clock } = livePage({ body: `<div id="heavy-first-paint">${PAINTED_LINKS}</div><div id="app"></div>` });
    const document = win.document;
    /** @type {string[]} */
    const clicks = [];
    document.addEventListener("click", (event) => {
      event.preventDefault();
      clicks.push(/** @type {Element} */ (event.target).id);
    });

    press(win, "pointerdown", "next", "touch");
    await renderLive(win, PAINTED_LINKS);
    press(win, "pointerup", "next", "touch");
    await clock.tick(100); // a tap's click may come well after its release
    assert.deepEqual(clicks, []);
    if (browserClicks) {
      /** @type {HTMLElement} */ (document.getElementById("next")).click();
    }
    await clock.tick(1000);
    assert.deepEqual(clicks, ["next"], browserClicks ? "the browser's click only" : "the page's click");
  }
});
