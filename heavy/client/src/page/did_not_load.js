// A page whose live part could not load (the server went away while it loaded: its HTML came,
// the live bundle did not) would stay the first paint for ever, its clicks held. It says so
// and loads itself again once the server answers; drafts typed into it are kept (recovery.js).

const RELOADS_KEY = "heavy-live-reloads"; // sessionStorage: reloads in a row that did not help
export const MAX_RELOADS = 3;
const LOAD_GRACE_MS = 3000; // after the load event, for the live bundle to open its socket
const ASK_EVERY_MS = 1000;
// Answers 200 while the server process runs (the server defines it).
const LIVENESS_PATH = "/livez";

export class DidNotLoad {
  /**
   * @param {PageWindow} win
   * @param {import("./banner.js").Banner} banner
   * @param {{ isLive: () => boolean, firstPaintShown: () => boolean, started: () => boolean }} page
   * @param {{ didNotLoad: string, reloading: string }} texts what the banner says, in the page's language
   */
  constructor(win, banner, page, texts) {
    this.win = win;
    this.banner = banner;
    this.page = page;
    this.texts = texts;
    this.reloading = false;
  }

  /** Watch for a live bundle that fails to load, or never starts. */
  listen() {
    // A script that failed to load (resource errors do not bubble: listen while capturing).
    this.win.addEventListener(
      "error",
      (event) => {
        const element = /** @type {HTMLScriptElement | null} */ (event.target);
        if (element && element.tagName === "SCRIPT" && element.type === "module") {
          this.didNotLoad();
        }
      },
      true,
    );
    // And whatever else kept the live bundle from starting.
    this.win.addEventListener("load", () => {
      this.win.setTimeout(() => {
        if (!this.page.started()) {
          this.didNotLoad();
        }
      }, LOAD_GRACE_MS);
    });
  }

  /** The page is connected: a later failure may reload it again. */
  loaded() {
    this.setReloadsInARow(0);
  }

  didNotLoad() {
    if (this.reloading || this.page.isLive() || !this.page.firstPaintShown()) {
      return;
    }
    this.reloading = true;
    if (this.reloadsInARow() >= MAX_RELOADS) {
      this.banner.show(this.texts.didNotLoad);
      return;
    }
    this.banner.show(this.texts.reloading);
    this.reloadWhenServerAnswers();
  }

  /** @private */
  reloadWhenServerAnswers() {
    const again = () => this.win.setTimeout(() => this.reloadWhenServerAnswers(), ASK_EVERY_MS);
    this.win
      .fetch(LIVENESS_PATH, { cache: "no-store" })
      .then((answer) => {
        if (!answer.ok) {
          again();
          return;
        }
        this.setReloadsInARow(this.reloadsInARow() + 1);
        this.win.location.reload();
      })
      .catch(again);
  }

  /** @private */
  reloadsInARow() {
    try {
      return Number(this.win.sessionStorage.getItem(RELOADS_KEY) || 0);
    } catch {
      return MAX_RELOADS; // no storage: no count, so no reloading by itself
    }
  }

  /**
   * @private
   * @param {number} count
   */
  setReloadsInARow(count) {
    try {
      this.win.sessionStorage.setItem(RELOADS_KEY, String(count));
    } catch {
      // storage disabled: see reloadsInARow
    }
  }
}
