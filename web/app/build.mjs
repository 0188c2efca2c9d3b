#!/usr/bin/env node
// Builds the web app that `handtrack serve` serves at / (docs/WEBAPP.md) into web/build/app/:
//   index.html, sessions.html, session.html   the pages (web/app/pages/)
//   assets/{live,sessions,session}.js         each page's TypeScript bundled by esbuild, with the
//                                             package (web/dist/handtrack.mjs) and uPlot inside
//   assets/app.css, assets/session.css        the style sheet, and uPlot's
//   engine/                                   the package's worker, wasm modules and models (web/dist/)
// after type-checking the app (tsc --noEmit). Needs web/dist (npm run build). Every file the
// pages load is in this folder: nothing comes from a CDN.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const app = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(app, "..");
const dist = path.join(web, "dist");
const out = path.join(web, "build", "app");
const kPages = ["index.html", "sessions.html", "session.html"];
const kEntries = ["live", "sessions", "session"];
const kEngineFiles = ["handtrack.worker.js", "handtrack_st.js", "handtrack_st.wasm", "handtrack_mt.js", "handtrack_mt.wasm", "handtrack_mt.worker.js"];

function fail(message) {
  console.error(`build app: ${message}`);
  process.exit(1);
}

if (!fs.existsSync(path.join(dist, "handtrack.mjs"))) fail(`${dist}/handtrack.mjs is missing: build the package first (npm run build)`);

execFileSync(process.execPath, [path.join(web, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(app, "tsconfig.json")], { stdio: "inherit" });

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, "assets"), { recursive: true });
fs.mkdirSync(path.join(out, "engine", "models"), { recursive: true });

await esbuild.build({
  entryPoints: Object.fromEntries(kEntries.map((name) => [name, path.join(app, "src", `${name}.ts`)])),
  outdir: path.join(out, "assets"),
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  legalComments: "none",
  logLevel: "warning",
  // The built package, so that its code matches the worker and modules copied to engine/.
  alias: { "@handtrack/tasks-vision": path.join(dist, "handtrack.mjs") },
});
fs.copyFileSync(path.join(app, "styles", "app.css"), path.join(out, "assets", "app.css"));
for (const page of kPages) fs.copyFileSync(path.join(app, "pages", page), path.join(out, page));

for (const file of kEngineFiles) {
  const source = path.join(dist, file);
  if (fs.existsSync(source)) fs.copyFileSync(source, path.join(out, "engine", file));
  else if (!file.startsWith("handtrack_mt")) fail(`${source} is missing: build the package first (scripts/build_web.sh)`);
}
for (const model of fs.readdirSync(path.join(dist, "models"))) {
  fs.copyFileSync(path.join(dist, "models", model), path.join(out, "engine", "models", model));
}

const rows = [];
for (const folder of ["", "assets"]) {
  for (const file of fs.readdirSync(path.join(out, folder))) {
    const full = path.join(out, folder, file);
    if (fs.statSync(full).isFile()) rows.push(`  ${path.join(folder, file).padEnd(22)} ${String(fs.statSync(full).size).padStart(9)} bytes`);
  }
}
console.log(`build app: ${out} (plus engine/, the package's files):\n${rows.join("\n")}`);
