// The visitor's time zone, told to the server without asking the page for it: the page script
// keeps the browser's zone in a cookie before the websocket opens, so the handshake carries
// it (the live layout knows the zone from its first render) and every later page's first
// paint does too (heavy/web/time_zone.py reads it). No round trip, no Brython.

export const TIME_ZONE_COOKIE = "time_zone";
const ONE_YEAR_S = 365 * 24 * 3600;
// IANA names ("America/Argentina/Buenos_Aires", "Etc/GMT+5") are cookie-safe as they are:
// written unencoded, the server reads them as they are. Anything else is not written.
const ZONE_NAME = /^[A-Za-z0-9_+\-/]{1,64}$/;

/**
 * Keep the browser's time zone (an IANA name such as "Europe/Paris") in the cookie, when it
 * names one and the cookie does not already say it.
 *
 * @param {PageWindow} win
 * @param {string | undefined} [zone] the zone to keep; the browser's by default
 */
export function rememberTimeZone(win, zone = browserTimeZone()) {
  if (!zone || !ZONE_NAME.test(zone)) {
    return;
  }
  if (win.document.cookie.split("; ").includes(`${TIME_ZONE_COOKIE}=${zone}`)) {
    return;
  }
  const secure = win.location.protocol === "https:" ? "; Secure" : "";
  win.document.cookie =
    `${TIME_ZONE_COOKIE}=${zone}; Path=/; Max-Age=${ONE_YEAR_S}; SameSite=Lax${secure}`;
}

/** @returns {string | undefined} the browser's time zone, if it names one */
function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}
