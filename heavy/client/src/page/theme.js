// The theme switch: a click on an element with data-heavy-theme="<name>" shows that theme at
// once (the data-theme attribute on <html>, which the product's stylesheet reads) and keeps it
// in a cookie, so the server writes the same attribute into every later page's first paint
// (heavy/web/theme.py). "system" removes the attribute: the page follows prefers-color-scheme.
// The live layout hears the same click and marks the chosen button; this part does not wait
// for it, and works while the page is reconnecting.

export const THEME_COOKIE = "theme";
export const SYSTEM_THEME = "system";
const ONE_YEAR_S = 365 * 24 * 3600;

/** @param {PageWindow} win */
export function followThemeChoices(win) {
  win.document.addEventListener("click", (event) => {
    const target = /** @type {Element | null} */ (event.target);
    const choice = /** @type {HTMLElement | null} */ (
      target && target.closest ? target.closest("[data-heavy-theme]") : null
    );
    const theme = choice && choice.dataset.heavyTheme;
    if (theme) {
      applyTheme(win, theme);
    }
  });
}

/**
 * Show `theme` and remember it for the next page loads.
 *
 * @param {PageWindow} win
 * @param {string} theme
 */
export function applyTheme(win, theme) {
  const root = win.document.documentElement;
  if (theme === SYSTEM_THEME) {
    root.removeAttribute("data-theme");
  } else {
    root.setAttribute("data-theme", theme);
  }
  const secure = win.location.protocol === "https:" ? "; Secure" : "";
  win.document.cookie =
    `${THEME_COOKIE}=${encodeURIComponent(theme)}; Path=/; Max-Age=${ONE_YEAR_S}; SameSite=Lax${secure}`;
}
