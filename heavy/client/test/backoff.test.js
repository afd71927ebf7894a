import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_RETRY, nextInterval, withJitter } from "../src/page/backoff.js";

test("the wait grows by the rate after each try and never passes the maximum", () => {
  let interval = DEFAULT_RETRY.firstIntervalMs;
  const waits = [interval];
  for (let i = 0; i < DEFAULT_RETRY.maxRetries; i++) {
    interval = nextInterval(interval, DEFAULT_RETRY);
    waits.push(interval);
  }
  assert.equal(waits[0], 750);
  assert.ok(Math.abs(waits[1] - 825) < 1e-9);
  for (let i = 1; i < waits.length; i++) {
    assert.ok(waits[i] >= waits[i - 1]);
    assert.ok(waits[i] <= DEFAULT_RETRY.maxIntervalMs);
  }
  assert.equal(nextInterval(DEFAULT_RETRY.maxIntervalMs, DEFAULT_RETRY), DEFAULT_RETRY.maxIntervalMs);
});

test("the jitter moves a wait by at most its share, either way", () => {
  const interval = 1000;
  assert.equal(withJitter(interval, DEFAULT_RETRY, () => 0), 900);
  assert.equal(withJitter(interval, DEFAULT_RETRY, () => 0.5), 1000);
  assert.ok(withJitter(interval, DEFAULT_RETRY, () => 0.999999) <= 1100);
  for (let i = 0; i < 100; i++) {
    const wait = withJitter(interval, DEFAULT_RETRY, Math.random);
    assert.ok(wait >= 900 && wait <= 1100, String(wait));
  }
});
