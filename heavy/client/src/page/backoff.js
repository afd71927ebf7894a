// How long to wait before each new try to reconnect: ReactPy 1.1's own policy (a first wait
// of 0.75 s, 1.1 times longer after each failed try, never over a minute, 50 tries), kept so
// a server restart is met the same way it was before the framework owned the client.

/**
 * @typedef {object} RetryPolicy
 * @property {number} firstIntervalMs the wait before the first try after a drop
 * @property {number} maxIntervalMs the longest wait between two tries
 * @property {number} backoffRate each failed try makes the next wait this much longer
 * @property {number} jitter each wait is moved by up to this share of it, either way, so
 *   pages dropped together do not all knock at once
 * @property {number} maxRetries tries after a drop before the page gives up
 */

/** @type {Readonly<RetryPolicy>} */
export const DEFAULT_RETRY = Object.freeze({
  firstIntervalMs: 750,
  maxIntervalMs: 60_000,
  backoffRate: 1.1,
  jitter: 0.1,
  maxRetries: 50,
});

/**
 * The interval after `interval`, grown by the policy's rate and capped by its maximum.
 *
 * @param {number} interval
 * @param {RetryPolicy} policy
 * @returns {number}
 */
export function nextInterval(interval, policy) {
  return Math.min(interval * policy.backoffRate, policy.maxIntervalMs);
}

/**
 * The wait for one try: `interval` moved by up to `policy.jitter` of itself either way.
 *
 * @param {number} interval
 * @param {RetryPolicy} policy
 * @param {() => number} random a number in [0, 1), as Math.random gives
 * @returns {number}
 */
export function withJitter(interval, policy, random) {
  return interval + (random() * 2 - 1) * policy.jitter * interval;
}
