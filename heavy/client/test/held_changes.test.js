// Typing in a debounced field, through the live page in jsdom with a fake socket and clock
// (in Chromium against a real server: tests/e2e/test_landing_in_browser.py).

import assert from "node:assert/strict";
import { test } from "node:test";

import { DEBOUNCE } from "../src/page/held_changes.js";
import { createLivePage } from "../src/page/live_page.js";
import { FakeSocket, fakePage } from "./fakes.js";

const PAUSE_MS = 300;

/**
 * A field with a change handler, debounced when `pause` is given.
 *
 * @param {string} id
 * @param {string} target
 */
function field(id, target, pause = 0) {
  const attributes = pause ? { id, [DEBOUNCE]: String(pause) } : { id };
  return { tagName: "input", attributes, eventHandlers: { onChange: { target } } };
}

/**
 * The router and a page of two debounced fields, a plain one and a button.
 *
 * @param {string} prefix of the handlers' targets
 */
function page(prefix) {
  const history = { tagName: "History", eventHandlers: { onHistoryChangeCallback: { target: `${prefix}history` } } };
  const content = {
    tagName: "form",
    children: [
      field("title", `${prefix}title`, PAUSE_MS),
      field("body", `${prefix}body`, PAUSE_MS),
      field("number", `${prefix}number`),
      { tagName: "button", eventHandlers: { onClick: { target: `${prefix}save` } } },
    ],
  };
  return { type: "layout-update", path: "", model: { tagName: "", children: [history, content] } };
}

/** @param {string} target @param {string} value */
function change(target, value) {
  return { type: "layout-event", target, data: [{ target: { value } }] };
}

/** A connected live page showing `page("a-")`; what its socket was sent, after the location. */
function livePage() {
  const fake = fakePage();
  const live = createLivePage(fake.win, {
    streamPath: "/_reactpy/stream",
    modulesPath: "/_reactpy/modules",
    streamCheckPath: "/_heavy/stream-check",
    maxRetypedBytes: 1000,
    retry: { firstIntervalMs: 750, maxIntervalMs: 60_000, backoffRate: 1.1, jitter: 0, maxRetries: 50 },
  });
  live.connect(() => {});
  const socket = FakeSocket.opened[0];
  socket.open();
  socket.receive(page("a-"));
  const events = () => /** @type {Array<{ target: string, data: any[] }>} */ (socket.sent.slice(1));
  const sent = () => events().map((event) => [event.target, event.data[0]?.target?.value]);
  return { ...fake, live, socket, sent };
}

test("typing in a debounced field is sent once the person pauses: the latest text only", async () => {
  const { clock, live, sent } = livePage();
  for (const text of ["h", "he", "hel", "hell", "hello"]) {
    live.send(change("a-title", text));
    await clock.tick(60);
  }
  assert.deepEqual(sent(), []); // still typing
  await clock.tick(PAUSE_MS);
  assert.deepEqual(sent(), [["a-title", "hello"]]);
  await clock.tick(PAUSE_MS * 3);
  assert.equal(sent().length, 1); // nothing more to send
});

test("anything else the page sends goes after the held text: a submit sees the whole of it", async () => {
  const { clock, live, sent } = livePage();
  live.send(change("a-title", "draft"));
  live.send(change("a-title", "draft one"));
  live.send({ type: "layout-event", target: "a-save", data: [] });
  assert.deepEqual(sent(), [["a-title", "draft one"], ["a-save", undefined]]);
  await clock.tick(PAUSE_MS * 2);
  assert.equal(sent().length, 2); // the released change is not sent again
});

test("moving to another field sends the first field's text before the second's", async () => {
  const { clock, live, sent } = livePage();
  live.send(change("a-title", "Title"));
  live.send(change("a-body", "B"));
  live.send(change("a-body", "Body"));
  assert.deepEqual(sent(), [["a-title", "Title"]]);
  await clock.tick(PAUSE_MS);
  assert.deepEqual(sent(), [["a-title", "Title"], ["a-body", "Body"]]);
});

test("a field without the attribute sends every change at once", async () => {
  const { live, sent } = livePage();
  live.send(change("a-number", "4"));
  live.send(change("a-number", "42"));
  assert.deepEqual(sent(), [["a-number", "4"], ["a-number", "42"]]);
});

test("a field that becomes debounced in a later update is held from then on", async () => {
  const { clock, live, socket, sent } = livePage();
  const debounced = { ...field("number", "a-number", PAUSE_MS) };
  socket.receive({ type: "layout-update", path: "/children/1/children/2", model: debounced });
  live.send(change("a-number", "4"));
  live.send(change("a-number", "42"));
  await clock.tick(PAUSE_MS);
  assert.deepEqual(sent(), [["a-number", "42"]]);
});

test("a change held when the connection drops is not sent to the next layout", async () => {
  const { clock, live, socket } = livePage();
  live.send(change("a-title", "typed before the drop"));
  socket.drop();
  await clock.tick(825); // the pause ends while down, then the page connects again
  const second = FakeSocket.opened[1];
  second.open();
  second.receive(page("b-"));
  await clock.tick(PAUSE_MS * 2);
  assert.deepEqual(socket.sent.slice(1), []);
  const targets = /** @type {Array<{ target: string }>} */ (second.sent).map((event) => event.target);
  assert.ok(!targets.includes("a-title")); // its handler is gone
  live.send(change("b-title", "typed after")); // the new layout's fields are held again
  await clock.tick(PAUSE_MS);
  assert.deepEqual(second.sent.at(-1), change("b-title", "typed after"));
});
