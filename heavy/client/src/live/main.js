// The live bundle (heavy_live.js): ReactPy's own client (@reactpy/client, the version ReactPy
// 1.1.0 ships), mounted on #app with a client object of ours. ReactPy renders; the page
// (window.heavyLive, from heavy_page.js) owns the connection: the client neither opens a
// socket nor knows about reconnects.

import { BaseReactPyClient, mount } from "@reactpy/client";

/** A ReactPy client that talks to the server through the page's connection. */
class PageClient extends BaseReactPyClient {
  /** @param {import("../page/live_page.js").LivePage} page */
  constructor(page) {
    super();
    this.page = page;
    // Ready once ReactPy's layout listens for updates: none is lost before that.
    this.ready.then(() => page.connect((message) => this.handleIncoming(message)));
  }

  /** @param {object} message */
  sendMessage(message) {
    this.page.send(message);
  }

  /** @param {string} moduleName */
  loadModule(moduleName) {
    return import(`${this.page.modulesPath}/${moduleName}`);
  }
}

const page = window.heavyLive;
const element = document.getElementById("app");
if (page && element) {
  mount(element, new PageClient(page));
}
