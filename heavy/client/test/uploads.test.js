// Upload zones in jsdom, with a fake XMLHttpRequest and clock (the real thing, files chosen and
// dropped in Chromium against two instances behind nginx, is tests/e2e/test_uploads_in_browser.py).

import assert from "node:assert/strict";
import { test } from "node:test";

import { DRAG_OVER_CLASS, Uploads, mayBeSent, parseResult } from "../src/page/uploads.js";
import { fakePage } from "./fakes.js";

/** An upload zone whose report input names the component that rendered it. */
function zoneHtml(token = "first-layout") {
  return (
    '<div id="zone" data-heavy-upload="/notes/import" data-heavy-upload-max-bytes="100"' +
    ' data-heavy-upload-accept=".txt,.md,text/plain" data-heavy-upload-max-files="3">' +
    `<input id="files" type="file" multiple><input id="report" type="hidden" data-heavy-upload-report="${token}">` +
    "</div>"
  );
}
const ACCEPT = [".txt", ".md", "text/plain"];

/** An XMLHttpRequest the test answers: `progress(loaded, total)`, `answer(status, body)`. */
class FakeRequest {
  /** @type {FakeRequest[]} */
  static sent = [];

  constructor() {
    /** @type {Record<string, string>} */
    this.headers = {};
    this.status = 0;
    this.responseText = "";
    /** @type {Map<string, Array<(event: object) => void>>} */
    this.listeners = new Map();
    this.upload = { addEventListener: (/** @type {string} */ type, /** @type {(event: object) => void} */ listener) => this.on(`upload-${type}`, listener) };
    /** @type {unknown} */
    this.body = null;
  }

  /** @param {string} type @param {(event: object) => void} listener */
  on(type, listener) {
    this.listeners.set(type, [...(this.listeners.get(type) || []), listener]);
  }

  /** @param {string} type @param {(event: object) => void} listener */
  addEventListener(type, listener) {
    this.on(type, listener);
  }

  /** @param {string} method @param {string} url */
  open(method, url) {
    this.method = method;
    this.url = url;
  }

  /** @param {string} name @param {string} value */
  setRequestHeader(name, value) {
    this.headers[name] = value;
  }

  /** @param {unknown} body */
  send(body) {
    this.body = body;
    FakeRequest.sent.push(this);
  }

  /** @param {string} type @param {object} [event] */
  emit(type, event = {}) {
    for (const listener of this.listeners.get(type) || []) {
      listener(event);
    }
  }

  /** @param {number} loaded @param {number} total */
  progress(loaded, total) {
    this.emit("upload-progress", { lengthComputable: true, loaded, total });
  }

  /** @param {number} status @param {object | string} body */
  answer(status, body) {
    this.status = status;
    this.responseText = typeof body === "string" ? body : JSON.stringify(body);
    this.emit("loadend");
  }
}

/** A page with an upload zone; `reports` collects what the page is told, parsed. */
function zonePage(live = { now: true }) {
  const page = fakePage({ body: `<div id="app">${zoneHtml()}</div>` });
  FakeRequest.sent = [];
  Object.assign(page.win, { XMLHttpRequest: FakeRequest });
  const uploads = new Uploads(page.win, { isLive: () => live.now, retryDelaysMs: [1000, 2000] });
  uploads.listen();
  /** @type {Array<Array<{ id: string, name: string, size: number, type: string, state: string, result?: { outcome: string, message: string } }>>} */
  const reports = [];
  const listen = () =>
    page.win.document.getElementById("report")?.addEventListener("input", (event) => {
      reports.push(JSON.parse(/** @type {HTMLInputElement} */ (event.target).value));
    });
  listen();
  return { ...page, uploads, reports, listen, live };
}

/** @param {PageWindow} win @param {File[]} files */
function choose(win, files) {
  const input = /** @type {HTMLInputElement} */ (win.document.getElementById("files"));
  Object.defineProperty(input, "files", { value: files, configurable: true });
  input.dispatchEvent(new win.Event("change", { bubbles: true }));
}

/** @param {PageWindow} win @param {string} name @param {string} text @param {string} [type] */
function file(win, name, text, type = "") {
  return new win.File([text], name, { type });
}

test("only what the zone's limits allow is sent: by extension or type, and size", () => {
  assert.equal(mayBeSent({ name: "plan.md", size: 10, type: "" }, ACCEPT, 100), true);
  assert.equal(mayBeSent({ name: "PLAN.TXT", size: 10, type: "application/octet-stream" }, ACCEPT, 100), true);
  assert.equal(mayBeSent({ name: "notes", size: 10, type: "text/plain; charset=utf-8" }, ACCEPT, 100), true);
  assert.equal(mayBeSent({ name: "photo.png", size: 10, type: "image/png" }, ACCEPT, 100), false);
  assert.equal(mayBeSent({ name: "md", size: 10, type: "" }, ACCEPT, 100), false);
  assert.equal(mayBeSent({ name: "big.txt", size: 101, type: "text/plain" }, ACCEPT, 100), false);
});

test("chosen files: refused ones are never sent, the others go with their id and name, and each outcome reaches the page", async () => {
  const { win, reports } = zonePage();
  choose(win, [file(win, "Über plan.md", "# Plan\nsoon"), file(win, "photo.png", "x", "image/png")]);
  assert.equal(FakeRequest.sent.length, 1);
  const [request] = FakeRequest.sent;
  assert.equal(request.method, "POST");
  assert.equal(request.url, "/notes/import");
  assert.equal(request.headers["Heavy-Upload-Name"], "%C3%9Cber%20plan.md");
  assert.match(request.headers["Heavy-Upload-Id"], /^[0-9a-f]{32}$/);
  assert.equal(request.headers["Content-Type"], undefined); // no type known: the server goes by the name
  const sending = reports.at(-1) || [];
  assert.deepEqual(
    sending.map((entry) => [entry.name, entry.state]),
    [
      ["Über plan.md", "sending"],
      ["photo.png", "refused"],
    ],
  );

  win.document.getElementById("zone")?.insertAdjacentHTML("beforeend", `<progress data-heavy-upload-progress="${sending[0].id}" max="100"></progress>`);
  request.progress(5, 10);
  assert.equal(/** @type {HTMLProgressElement} */ (win.document.querySelector("progress")).value, 50);

  request.answer(200, { id: sending[0].id, outcome: "stored", message: "Imported as “Plan”.", link: "/notes/1" });
  const done = reports.at(-1) || [];
  assert.equal(done[0].state, "done");
  assert.deepEqual(done[0].result, { outcome: "stored", message: "Imported as “Plan”.", link: "/notes/1" });
  assert.equal(done[0].id, sending[0].id);
});

test("a request cut off is sent again with the same id; after the last try the file failed", async () => {
  const { win, clock, reports } = zonePage();
  choose(win, [file(win, "a.txt", "hello", "text/plain")]);
  const [first] = FakeRequest.sent;
  first.answer(0, ""); // the connection dropped
  assert.equal(reports.at(-1)?.[0].state, "retrying");
  await clock.tick(1000);
  const second = FakeRequest.sent[1];
  assert.equal(second.headers["Heavy-Upload-Id"], first.headers["Heavy-Upload-Id"]);
  second.answer(502, "<html>Bad Gateway</html>"); // the proxy found no instance
  await clock.tick(2000);
  const third = FakeRequest.sent[2];
  assert.equal(third.headers["Heavy-Upload-Id"], first.headers["Heavy-Upload-Id"]);
  third.answer(0, "");
  await clock.tick(10_000);
  assert.equal(FakeRequest.sent.length, 3);
  assert.equal(reports.at(-1)?.[0].state, "failed");
});

test("the database away (503) is tried again; after the last try its words are the outcome", async () => {
  const { win, clock, reports } = zonePage();
  choose(win, [file(win, "a.txt", "hello", "text/plain")]);
  const away = { outcome: "refused", message: "The database is unavailable; nothing was saved." };
  FakeRequest.sent[0].answer(503, away);
  assert.equal(reports.at(-1)?.[0].state, "retrying");
  await clock.tick(1000);
  FakeRequest.sent[1].answer(503, away);
  await clock.tick(2000);
  FakeRequest.sent[2].answer(503, away);
  assert.equal(FakeRequest.sent.length, 3);
  assert.equal(reports.at(-1)?.[0].state, "done");
  assert.deepEqual(reports.at(-1)?.[0].result, away);
});

test("a refusal answered by the server is an outcome, not a reason to retry", () => {
  const { win, reports } = zonePage();
  choose(win, [file(win, "latin1.txt", "caf\xe9", "text/plain")]);
  FakeRequest.sent[0].answer(422, { outcome: "refused", message: "“latin1.txt” is not UTF-8 text." });
  assert.equal(FakeRequest.sent.length, 1);
  assert.deepEqual(reports.at(-1)?.[0].result, { outcome: "refused", message: "“latin1.txt” is not UTF-8 text." });
});

test("while the page is down nothing is reported; its next layout is told every file's state", () => {
  const { win, reports, uploads, live, listen } = zonePage({ now: false });
  choose(win, [file(win, "a.txt", "one", "text/plain"), file(win, "b.md", "two")]);
  FakeRequest.sent[0].answer(200, { outcome: "stored", message: "Imported as “one”." });
  assert.equal(reports.length, 0);

  // The new layout renders the zone again: a report input of another component.
  live.now = true;
  const zone = /** @type {HTMLElement} */ (win.document.getElementById("zone"));
  zone.outerHTML = zoneHtml("second-layout");
  listen();
  uploads.afterUpdate();
  assert.deepEqual(
    reports.at(-1)?.map((entry) => [entry.name, entry.state]),
    [
      ["a.txt", "done"],
      ["b.md", "sending"],
    ],
  );
  uploads.afterUpdate(); // told once, not again on every update
  assert.equal(reports.length, 1);

  // A layout after a reconnect whose render kept the same element: the token tells.
  win.document.getElementById("report")?.setAttribute("data-heavy-upload-report", "third-layout");
  uploads.afterUpdate();
  assert.equal(reports.length, 2);
});

test("the first paint's zone (outside the live page) is never reported to", () => {
  const page = fakePage({ body: `<div id="heavy-first-paint">${zoneHtml("painted")}</div><div id="app"></div>` });
  Object.assign(page.win, { XMLHttpRequest: FakeRequest });
  FakeRequest.sent = [];
  const uploads = new Uploads(page.win, { isLive: () => true });
  uploads.listen();
  /** @type {string[]} */
  const told = [];
  page.win.document.addEventListener("input", (event) => told.push(/** @type {HTMLElement} */ (event.target).getAttribute("data-heavy-upload-report") || ""));
  choose(page.win, [file(page.win, "early.txt", "chosen before the page was live", "text/plain")]);
  assert.equal(FakeRequest.sent.length, 1); // sent at once all the same
  assert.deepEqual(told, []);
  // The live page renders: the first paint goes, the zone is in #app.
  page.win.document.getElementById("heavy-first-paint")?.remove();
  /** @type {HTMLElement} */ (page.win.document.getElementById("app")).innerHTML = zoneHtml("live");
  uploads.afterUpdate();
  assert.deepEqual(told, ["live"]);
});

test("files dropped on the zone are taken; more than the zone's count are refused unsent", () => {
  const { win, reports } = zonePage();
  const zone = /** @type {HTMLElement} */ (win.document.getElementById("zone"));
  const over = new win.Event("dragover", { bubbles: true, cancelable: true });
  zone.dispatchEvent(over);
  assert.equal(over.defaultPrevented, true);
  assert.ok(zone.classList.contains(DRAG_OVER_CLASS));
  const drop = new win.Event("drop", { bubbles: true, cancelable: true });
  const files = ["1.txt", "2.txt", "3.txt", "4.txt"].map((name) => file(win, name, name, "text/plain"));
  Object.defineProperty(drop, "dataTransfer", { value: { files } });
  zone.dispatchEvent(drop);
  assert.equal(drop.defaultPrevented, true);
  assert.ok(!zone.classList.contains(DRAG_OVER_CLASS));
  assert.deepEqual(
    reports.at(-1)?.map((entry) => entry.state),
    ["sending", "sending", "waiting", "refused"],
  );
  assert.equal(FakeRequest.sent.length, 2); // two at a time
  FakeRequest.sent[0].answer(200, { outcome: "stored", message: "ok" });
  assert.equal(FakeRequest.sent.length, 3);
});

test("an answer that is not the route's (an error page) is not taken for one", () => {
  assert.equal(parseResult("<html>502</html>"), null);
  assert.equal(parseResult('{"outcome": "maybe", "message": "x"}'), null);
  assert.deepEqual(parseResult('{"outcome": "refused", "message": "no", "link": 3}'), { outcome: "refused", message: "no" });
});
