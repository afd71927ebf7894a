// Runs first in the page's <head>. It defines window.heavyBridge, which
//
// 1. loads Brython on demand: a page that never calls a Brython function never downloads its
//    runtime (brython.js is 1.4 MB, about 290 KB compressed). The first call the server
//    renders into the page (or heavyBridge.load(), for a page that will call soon) adds the
//    runtime's script tags; the page is live and painted by then, so nothing waits for it;
// 2. queues the calls until Brython is running; reactpy_bridge.start() then replays the queue
//    in order and takes over. A call made while Brython is still loading waits, it is not lost.
(function () {
  "use strict";
  const config = document.currentScript.dataset;

  // ReactPy 1.1 can run a script element's contents twice (its effect reruns on the next
  // render): remember the call ids already taken, so each call runs exactly once.
  const KEPT_IDS = 1000;
  const seen = new Set();
  // The runtime's scripts not loaded yet: brython.js, then the project's package file.
  let toLoad = config.runtime.split(" ");
  let loading = false;

  // One script after the other (the package file needs brython.js), then start Brython: added
  // after the page's load event, it does not start itself. A download that failed (the network
  // dropped) stops there; the next call tries it again, and the calls queued meanwhile stay
  // queued and run then.
  function loadRuntime() {
    const script = document.createElement("script");
    script.src = toLoad[0];
    script.onload = () => {
      toLoad = toLoad.slice(1);
      if (toLoad.length) {
        loadRuntime();
      } else {
        window.brython();
      }
    };
    script.onerror = () => {
      script.remove();
      loading = false;
    };
    document.head.appendChild(script);
  }

  window.heavyBridge = {
    pending: [],
    run: null,
    /** Start loading Brython, once (a page that will call it soon may ask ahead). */
    load() {
      if (loading) {
        return;
      }
      loading = true;
      if (document.readyState === "loading") {
        // Not while the page is still being parsed: the first paint comes first.
        document.addEventListener("DOMContentLoaded", loadRuntime, { once: true });
      } else {
        loadRuntime();
      }
    },
    call(request) {
      if (seen.has(request.id)) {
        return;
      }
      seen.add(request.id);
      if (seen.size > KEPT_IDS) {
        seen.delete(seen.values().next().value);
      }
      if (this.run) {
        this.run(request);
      } else {
        this.pending.push(request);
        this.load();
      }
    },
  };
})();
