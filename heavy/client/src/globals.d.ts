// The object heavy_page.js leaves for heavy_live.js.
interface Window {
  heavyLive?: import("./page/live_page.js").LivePage;
}

// A page's window with its constructors (the tests pass a jsdom window).
type PageWindow = Window & typeof globalThis;
