// Router links (<a data-router-link>) change the page without a reload: the URL is pushed and
// a popstate event lets reactpy-router's History report it, with no per-link script to go stale.

/**
 * @param {PageWindow} win
 * @param {() => boolean} isLive while down, links load their page the usual way
 */
export function followRouterLinks(win, isLive) {
  win.document.addEventListener("click", (event) => {
    const target = /** @type {Element | null} */ (event.target);
    const link = /** @type {HTMLAnchorElement | null} */ (
      target && target.closest ? target.closest("a[data-router-link]") : null
    );
    if (
      !link ||
      event.defaultPrevented ||
      event.button !== 0 ||
      event.ctrlKey ||
      event.metaKey ||
      event.shiftKey ||
      event.altKey ||
      !isLive()
    ) {
      return;
    }
    event.preventDefault();
    if (link.href !== win.location.href) {
      win.history.pushState(null, "", link.href);
    }
    win.dispatchEvent(new win.PopStateEvent("popstate"));
  });
}
