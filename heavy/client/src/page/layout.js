// What the client reads in ReactPy's layout messages.

// The event reactpy-router's History component listens to for the browser's location.
const HISTORY_CALLBACK = "onHistoryChangeCallback";

/**
 * @typedef {object} VdomModel the parts of a ReactPy layout model read here
 * @property {Record<string, { target?: string }>} [eventHandlers]
 * @property {unknown[]} [children]
 */

/**
 * @typedef {object} LayoutUpdate a message from the server
 * @property {string} type
 * @property {string} [path]
 * @property {unknown} [model]
 */

/**
 * The target id of the router's History handler in `model`, or null when it has none.
 *
 * @param {unknown} model
 * @returns {string | null}
 */
export function historyTarget(model) {
  const found = findHistory(model, null);
  return found && found.target;
}

/**
 * Whether the router in `model` shows a page beside its History: heavy's router does in its
 * first update; reactpy-router's own only once History has told it the location.
 *
 * @param {unknown} model
 * @returns {boolean}
 */
export function showsPage(model) {
  const found = findHistory(model, null);
  return Boolean(found && found.parent && (found.parent.children || []).length > 1);
}

/**
 * The router's History handler in `model`, and the element holding History.
 *
 * @param {unknown} model
 * @param {VdomModel | null} parent the element holding `model`
 * @returns {{ target: string, parent: VdomModel | null } | null}
 */
function findHistory(model, parent) {
  if (!model || typeof model !== "object") {
    return null;
  }
  const vdom = /** @type {VdomModel} */ (model);
  const handler = vdom.eventHandlers && vdom.eventHandlers[HISTORY_CALLBACK];
  if (handler && handler.target) {
    return { target: handler.target, parent };
  }
  for (const child of vdom.children || []) {
    const found = findHistory(child, vdom);
    if (found) {
      return found;
    }
  }
  return null;
}

/**
 * The location as History reports it to the server.
 *
 * @param {Location} location
 * @returns {{ pathname: string, search: string }}
 */
export function locationOf(location) {
  return { pathname: location.pathname, search: location.search };
}

/**
 * The message that tells the layout's History where the page is.
 *
 * @param {string} target
 * @param {Location} location
 */
export function locationEvent(target, location) {
  return { type: "layout-event", target, data: [locationOf(location)] };
}

/**
 * Whether `event` is the router's History reporting the location to its handler `target`.
 *
 * @param {object} event a message ReactPy's client sends
 * @param {string | null} target
 * @returns {boolean}
 */
export function reportsLocation(event, target) {
  const sent = /** @type {{ type?: unknown, target?: unknown }} */ (event);
  return target !== null && sent.type === "layout-event" && sent.target === target;
}
