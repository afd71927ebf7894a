// Builds the two scripts the framework serves into ../src/heavy/static/ (committed, so the
// wheel carries them and running the app never needs Node). `node build.js --check` builds in
// memory and fails when the committed files differ from what the sources build.

import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const OUT_DIR = fileURLToPath(new URL("../src/heavy/static/", import.meta.url));
const BUILT = "// Built from heavy/client/src by `make build-js`: edit the sources, not this file.";
/** @param {string} name */
async function installedVersion(name) {
  const text = await readFile(new URL(`node_modules/${name}/package.json`, import.meta.url), "utf8");
  return JSON.parse(text).version;
}
// What heavy_live.js bundles, each under the MIT licence (see their packages in node_modules).
const BUNDLED =
  `// Bundles @reactpy/client ${await installedVersion("@reactpy/client")}, event-to-object, ` +
  `json-pointer and Preact ${await installedVersion("preact")} (MIT).`;

/** @type {Array<{ out: string } & import("esbuild").BuildOptions>} */
const BUNDLES = [
  // Classic and blocking in <head>: it must catch the first paint's clicks from the start.
  { out: "heavy_page.js", entryPoints: ["src/page/main.js"], format: "iife", banner: { js: BUILT } },
  // A module (deferred): ReactPy's client and Preact, as ReactPy's own bundle has them.
  {
    out: "heavy_live.js",
    entryPoints: ["src/live/main.js"],
    format: "esm",
    banner: { js: `${BUILT}\n${BUNDLED}` },
    alias: { react: "preact/compat", "react-dom": "preact/compat" },
  },
];

const check = process.argv.includes("--check");
let stale = 0;
for (const { out, ...options } of BUNDLES) {
  const result = await esbuild.build({
    ...options,
    bundle: true,
    minify: true,
    target: "es2020",
    legalComments: "eof",
    write: false,
    logLevel: "warning",
  });
  const text = result.outputFiles[0].text;
  const path = OUT_DIR + out;
  if (!check) {
    await writeFile(path, text);
    console.log(`${out}: ${text.length} bytes`);
  } else if ((await readFile(path, "utf8").catch(() => "")) !== text) {
    console.error(`${out} is not what heavy/client/src builds: run make build-js and commit it.`);
    stale += 1;
  }
}
process.exitCode = stale ? 1 : 0;
