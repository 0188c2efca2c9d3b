#!/usr/bin/env node
// Builds the package into web/dist/ (npm run build):
//   handtrack.mjs          the ES module (esbuild, minified)
//   handtrack.worker.js    the engine's classic Web Worker (esbuild, minified)
//   handtrack.d.ts, types/ the type declarations (tsc)
//   handtrack_st.{js,wasm}, handtrack_mt.{js,wasm,worker.js}, handtrack_gpu.{js,wasm}   from web/build/wasm/
//   models/*.tflite        from $HANDTRACK_MODELS or ~/.cache/handtrack/models, checked by sha256
// and fails when the package's wasm and JavaScript (models excluded) exceed 2.5 MB.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(web, "dist");
const wasmDir = process.env.HANDTRACK_WASM_DIR ?? path.join(web, "build", "wasm");
const modelsDir = process.env.HANDTRACK_MODELS ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "handtrack", "models");
// Three builds (about 0.5 MB each for the CPU ones, 0.9 MB for the WebGPU one) and the JavaScript.
const kSizeBudgetBytes = 2_500_000;
const kModels = ["palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"];
const kRequiredWasm = ["handtrack_st.js", "handtrack_st.wasm"];
const kThreadedWasm = ["handtrack_mt.js", "handtrack_mt.wasm", "handtrack_mt.worker.js"];
const kGpuWasm = ["handtrack_gpu.js", "handtrack_gpu.wasm"];

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

// The expected sha256 of each model, from scripts/fetch_models.sh (the one list).
function modelChecksums() {
  const script = path.join(web, "..", "scripts", "fetch_models.sh");
  if (!fs.existsSync(script)) return new Map();
  const text = fs.readFileSync(script, "utf8");
  return new Map([...text.matchAll(/\[([a-z_]+)\.tflite\]=([0-9a-f]{64})/g)].map((m) => [m[1], m[2]]));
}

fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(path.join(dist, "models"), { recursive: true });

const common = { bundle: true, minify: true, target: "es2022", legalComments: "none", logLevel: "warning" };
await esbuild.build({ ...common, entryPoints: [path.join(web, "src", "handtrack.ts")], format: "esm", outfile: path.join(dist, "handtrack.mjs") });
await esbuild.build({ ...common, entryPoints: [path.join(web, "src", "worker.ts")], format: "iife", outfile: path.join(dist, "handtrack.worker.js") });

execFileSync(process.execPath, [path.join(web, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(web, "tsconfig.json")], { stdio: "inherit" });
fs.writeFileSync(path.join(dist, "handtrack.d.ts"), 'export * from "./types/handtrack.js";\n');

for (const file of kRequiredWasm) {
  if (!fs.existsSync(path.join(wasmDir, file))) fail(`${path.join(wasmDir, file)} is missing: build the module first (scripts/build_web.sh)`);
}
const threaded = kThreadedWasm.every((file) => fs.existsSync(path.join(wasmDir, file)));
if (!threaded) console.warn(`build: warning: no threaded build in ${wasmDir}; the package will only run single-threaded`);
const gpu = kGpuWasm.every((file) => fs.existsSync(path.join(wasmDir, file)));
if (!gpu) console.warn(`build: warning: no WebGPU build in ${wasmDir}; delegate "GPU" will run on the CPU`);
for (const file of [...kRequiredWasm, ...(threaded ? kThreadedWasm : []), ...(gpu ? kGpuWasm : [])]) fs.copyFileSync(path.join(wasmDir, file), path.join(dist, file));

const checksums = modelChecksums();
for (const model of kModels) {
  const source = path.join(modelsDir, `${model}.tflite`);
  if (!fs.existsSync(source)) fail(`${source} is missing: run scripts/fetch_models.sh`);
  const bytes = fs.readFileSync(source);
  const expected = checksums.get(model);
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (expected !== undefined && expected !== actual) fail(`${source} has sha256 ${actual}, not ${expected}: run scripts/fetch_models.sh`);
  fs.writeFileSync(path.join(dist, "models", `${model}.tflite`), bytes);
}

// The size budget: everything but the models and the type declarations.
let total = 0;
const rows = [];
for (const file of fs.readdirSync(dist)) {
  if (!/\.(m?js|wasm)$/.test(file)) continue;
  const size = fs.statSync(path.join(dist, file)).size;
  rows.push(`  ${file.padEnd(24)} ${String(size).padStart(9)} bytes`);
  total += size;
}
console.log(`build: dist/ (wasm and JavaScript, models excluded):\n${rows.join("\n")}\n  ${"total".padEnd(24)} ${String(total).padStart(9)} bytes (budget ${kSizeBudgetBytes})`);
if (total > kSizeBudgetBytes) fail(`the package's wasm and JavaScript take ${total} bytes, over the ${kSizeBudgetBytes}-byte budget`);
