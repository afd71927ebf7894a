// Runs first in the page's <head>. It does two things:
//
// 1. Defines window.heavyBridge, which queues the calls the server renders into the page
//    until Brython is running; reactpy_bridge.start() then replays the queue and takes over.
// 2. Loads Brython without blocking the page: ReactPy connects and renders while the
//    runtime (several MB) is still downloading.
(function () {
  "use strict";
  const config = document.currentScript.dataset;

  // ReactPy 1.1 can run a script element's contents twice (its effect reruns on the next
  // render): remember the call ids already taken, so each call runs exactly once.
  const KEPT_IDS = 1000;
  const seen = new Set();

  window.heavyBridge = {
    pending: [],
    run: null,
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
      }
    },
  };

  // Brython starts itself on the page's load event, but only when brython.js ran before the
  // DOM was parsed; otherwise nobody would start it, so we do.
  let startsItself = false;
  const runtime = config.runtime.split(" ");
  runtime.forEach((url, index) => {
    const script = document.createElement("script");
    script.src = url;
    script.async = false; // run in order: the standard library needs brython.js
    if (index === 0) {
      script.onload = () => {
        startsItself = document.readyState === "loading";
      };
    }
    if (index === runtime.length - 1) {
      script.onload = () => {
        if (!startsItself) {
          window.brython();
        }
      };
    }
    document.head.appendChild(script);
  });
})();
