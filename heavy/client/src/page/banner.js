// The line at the top of the page that says the page is not connected, and why.

export const BANNER_ID = "heavy-connection-banner";

export class Banner {
  /** @param {Document} document */
  constructor(document) {
    this.document = document;
  }

  /**
   * Show `text`: with role "alert" for what the person must act on (a refused connection),
   * else "status" (read out politely by screen readers).
   *
   * @param {string} text
   * @param {"status" | "alert"} [role]
   */
  show(text, role = "status") {
    let banner = this.document.getElementById(BANNER_ID);
    if (!banner) {
      banner = this.document.createElement("div");
      banner.id = BANNER_ID;
      this.document.body.prepend(banner);
    }
    banner.setAttribute("role", role);
    banner.setAttribute("aria-live", role === "alert" ? "assertive" : "polite");
    banner.textContent = text;
    banner.hidden = false;
  }

  hide() {
    const banner = this.document.getElementById(BANNER_ID);
    if (banner) {
      banner.hidden = true;
    }
  }
}
