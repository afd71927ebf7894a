import assert from "node:assert/strict";
import { test } from "node:test";

import { Connection, streamUrl } from "../src/page/connection.js";
import { FakeClock, FakeSocket } from "./fakes.js";

/**
 * A connection on fake sockets, and what it told the page.
 *
 * @param {Partial<import("../src/page/backoff.js").RetryPolicy>} [retry]
 */
function connection(retry = {}) {
  const clock = new FakeClock();
  /** @type {import("../src/page/connection.js").Drop[]} */
  const drops = [];
  /** @type {object[]} */
  const messages = [];
  FakeSocket.opened = [];
  const made = new Connection({
    url: () => "ws://example.test/_reactpy/stream",
    open: (url) => new FakeSocket(url),
    schedule: (callback, ms) => clock.setTimeout(callback, ms),
    random: () => 0.5, // no jitter
    retry: {
      firstIntervalMs: 750,
      maxIntervalMs: 1000,
      backoffRate: 1.1,
      jitter: 0.1,
      maxRetries: 3,
      ...retry,
    },
    events: {
      opened: () => {},
      message: (message) => messages.push(message),
      closed: (drop) => drops.push(drop),
    },
  });
  made.start();
  return { made, clock, drops, messages };
}

test("a dropped connection is tried again with growing waits, up to the maximum", async () => {
  const { made, clock, drops } = connection();
  FakeSocket.opened[0].open();
  FakeSocket.opened[0].drop();
  assert.deepEqual(drops, [{ opened: true, first: true, retryInMs: 750 }]);
  for (const wait of [750, 825, 907.5]) {
    const before = FakeSocket.opened.length;
    await clock.tick(wait - 1);
    assert.equal(FakeSocket.opened.length, before, `no try before ${wait} ms`);
    await clock.tick(2);
    assert.equal(FakeSocket.opened.length, before + 1, `a new try after ${wait} ms`);
    FakeSocket.opened.at(-1)?.drop(); // the server is still away: the try never opens
  }
  assert.deepEqual(
    drops.map((drop) => [drop.opened, drop.first, drop.retryInMs && Math.round(drop.retryInMs * 10) / 10]),
    [
      [true, true, 750],
      [false, false, 825],
      [false, false, 907.5],
      [false, false, null], // three tries after the drop: no more
    ],
  );
  await clock.tick(120_000);
  assert.equal(FakeSocket.opened.length, 4);
  assert.equal(made.live, null);
});

test("the wait starts again from the first once a try opens", async () => {
  const { clock, drops } = connection({ maxRetries: 50 });
  FakeSocket.opened[0].open();
  FakeSocket.opened[0].drop();
  await clock.tick(750);
  FakeSocket.opened[1].drop();
  await clock.tick(825);
  FakeSocket.opened[2].open();
  FakeSocket.opened[2].drop();
  assert.equal(drops.at(-1)?.retryInMs, 750);
});

test("the waits never pass the policy's maximum", async () => {
  const { clock, drops } = connection({ maxRetries: 50 });
  FakeSocket.opened[0].open();
  FakeSocket.opened[0].drop();
  for (let i = 0; i < 20; i++) {
    await clock.tick(1000);
    FakeSocket.opened.at(-1)?.drop();
  }
  const waits = drops.map((drop) => drop.retryInMs);
  assert.equal(Math.max(.../** @type {number[]} */ (waits)), 1000);
});

test("a first connection that never opens is not tried again", async () => {
  const { clock, drops } = connection();
  FakeSocket.opened[0].drop();
  assert.deepEqual(drops, [{ opened: false, first: true, retryInMs: null }]);
  await clock.tick(120_000);
  assert.equal(FakeSocket.opened.length, 1);
});

test("nothing is sent while no connection is open", () => {
  const { made } = connection();
  assert.equal(made.send({ type: "layout-event" }), false);
  FakeSocket.opened[0].open();
  assert.equal(made.send({ type: "layout-event" }), true);
  assert.deepEqual(FakeSocket.opened[0].sent, [{ type: "layout-event" }]);
  FakeSocket.opened[0].drop();
  assert.equal(made.send({ type: "layout-event" }), false);
});

test("messages reach the page parsed; what is not JSON is left out", () => {
  const { messages } = connection();
  const socket = FakeSocket.opened[0];
  socket.open();
  socket.emit("message", { data: "not json" });
  socket.receive({ type: "layout-update", path: "", model: {} });
  assert.deepEqual(messages, [{ type: "layout-update", path: "", model: {} }]);
});

test("the stream's URL carries the page's path and query, as ReactPy's client builds it", () => {
  const at = (/** @type {string} */ url) => /** @type {Location} */ (/** @type {unknown} */ (new URL(url)));
  assert.equal(streamUrl(at("http://h:8000/notes?x=1"), "/_reactpy/stream"), "ws://h:8000/_reactpy/stream/notes?x=1");
  assert.equal(streamUrl(at("https://h/"), "/_reactpy/stream"), "wss://h/_reactpy/stream");
});
