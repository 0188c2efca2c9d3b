#!/usr/bin/env node
// Serves the demo and the built package on 127.0.0.1:
//
//   node web/demo/serve.mjs [--port N] [--no-isolation]
//
// By default every response carries COOP same-origin + COEP require-corp, so
// the page is cross-origin isolated and runs the threaded build;
// --no-isolation leaves them out (the page then runs the single-threaded
// build, and says why). --port 0 picks a free port. Prints the demo's URL.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startStaticServer } from "../tools/static_server.mjs";

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let port = 8080;
let isolate = true;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; ++i) {
  if (argv[i] === "--port" && i + 1 < argv.length) port = Number(argv[++i]);
  else if (argv[i] === "--no-isolation") isolate = false;
  else {
    console.error("usage: node web/demo/serve.mjs [--port N] [--no-isolation]");
    process.exit(2);
  }
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: --port must be 0 to 65535, got ${port}`);
  process.exit(2);
}
if (!fs.existsSync(path.join(web, "dist", "handtrack.mjs"))) {
  console.error("serve: web/dist is missing: build the package first (scripts/build_web.sh, or npm run build in web/)");
  process.exit(1);
}
const { origin } = await startStaticServer({
  routes: { "/demo/": path.join(web, "demo"), "/dist/": path.join(web, "dist") },
  files: new Map([["/", path.join(web, "demo", "index.html")]]),
  isolate,
  port,
});
console.log(`handtrack demo: ${origin}/demo/ (cross-origin isolated: ${isolate ? "yes, threaded build" : "no, single-threaded build"})`);
