#!/usr/bin/env node
// Times the WebAssembly module under node, without a browser: each model alone
// (ht_time_model: inputs in, the run, outputs out) and whole IMAGE-mode detects
// on one frame of raw RGBA pixels. With --webgpu the module is the WebGPU build
// and its GPU is Dawn for node (the npm package `webgpu`): the same WGSL as in
// the browser, on whatever Vulkan/Metal/D3D12 device Dawn finds. This is how
// the webgpu backend is measured on the GPU machine (scripts/device/webgpu_check.sh).
//
//   node web/tools/node-bench.mjs --module web/build/wasm/handtrack_st.js --models DIR --rgba FILE --size WxH
//   node web/tools/node-bench.mjs --module web/build/wasm/handtrack_gpu.js --webgpu --precision fp16 ...
//
// Options: --delegate NAME (default auto), --variant full|lite, --warmup N (20), --runs N (200),
// --precision fp32|fp16, --allow-fallback-adapter, --setting KEY=VALUE (backend settings, e.g.
// webgpu.conv_x4=0), --dawn-flag FLAG (Dawn's create() flags, e.g. enable-dawn-features=...),
// --profile (webgpu: each dispatch's time, the costliest first, as {what: "dispatch", ...} lines, and
// the mean ms of each phase of a run: upload, encode, submit, wait for the GPU, copy out).
// Prints one JSON object per line: {what, backend, median_ms, min_ms, ...}.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const args = { settings: [], dawnFlags: [], module: null, webgpu: false, models: null, rgba: null, size: null, delegate: "auto", variant: "full", warmup: 20, runs: 200, precision: "fp32", allowFallback: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; ++i) {
  const flag = argv[i];
  const value = () => {
    if (i + 1 >= argv.length) fail(`${flag} needs a value`);
    return argv[++i];
  };
  switch (flag) {
    case "--module": args.module = path.resolve(value()); break;
    case "--webgpu": args.webgpu = true; break;
    case "--models": args.models = path.resolve(value()); break;
    case "--rgba": args.rgba = path.resolve(value()); break;
    case "--size": args.size = value(); break;
    case "--delegate": args.delegate = value(); break;
    case "--variant": args.variant = value(); break;
    case "--warmup": args.warmup = Number(value()); break;
    case "--runs": args.runs = Number(value()); break;
    case "--precision": args.precision = value(); break;
    case "--allow-fallback-adapter": args.allowFallback = true; break;
    case "--setting": args.settings.push(value()); break;
    case "--dawn-flag": args.dawnFlags.push(value()); break;
    case "--profile": args.profile = true; break;
    default: fail(`unknown option ${flag}`);
  }
}
function fail(message) {
  console.error(`node-bench: ${message}`);
  process.exit(2);
}
if (!args.module || !args.models) fail("--module and --models are needed");

const moduleRequire = createRequire(args.module);
const settings = [...args.settings];
const overrides = { profileDispatches: args.profile === true, wasmBinary: fs.readFileSync(args.module.replace(/\.js$/, ".wasm")), print: console.log, printErr: console.error };
if (args.webgpu) {
  // Dawn for node (an ES module): from a NODE_PATH folder or web/node_modules.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const folders = [...(process.env.NODE_PATH ?? "").split(":").filter(Boolean), path.join(here, "..", "node_modules")];
  const found = folders.map((folder) => path.join(folder, "webgpu", "index.js")).find((file) => fs.existsSync(file));
  if (!found) fail(`the npm package webgpu is in none of ${folders.join(", ")}`);
  const dawn = await import(pathToFileURL(found).href);
  Object.assign(globalThis, dawn.globals);
  overrides.gpu = dawn.create(args.dawnFlags);
  const adapter = await overrides.gpu.requestAdapter({ powerPreference: "high-performance" });
  if (adapter) {
    const info = adapter.info ?? {};
    console.log(JSON.stringify({ what: "adapter", vendor: info.vendor, architecture: info.architecture, description: info.description, shaderF16: adapter.features.has("shader-f16"), fallback: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false }));
  } else {
    console.log(JSON.stringify({ what: "adapter", none: true }));
  }
  if (args.allowFallback) settings.push("webgpu.allow_fallback_adapter=1");
}
// A classic script (the package's "type": "module" must not make it ES): evaluated as CommonJS.
const commonJs = { exports: {} };
new Function("module", "exports", "require", "__dirname", "__filename", fs.readFileSync(args.module, "utf8"))(
  commonJs, commonJs.exports, moduleRequire, path.dirname(args.module), args.module);
const factory = commonJs.exports;
const module = await factory(overrides);
const suspends = args.webgpu;
const call = (name, argTypes, values) =>
  suspends ? module.ccall(name, "number", argTypes, values, { async: true }) : Promise.resolve(module.ccall(name, "number", argTypes, values));
const text = (value) => {
  const size = module.lengthBytesUTF8(value) + 1;
  const pointer = module._ht_alloc(size);
  module.stringToUTF8(value, pointer, size);
  return pointer;
};
const bytes = (data) => {
  const pointer = module._ht_alloc(data.length);
  module.HEAPU8.set(data, pointer);
  return pointer;
};
const lastError = () => module.UTF8ToString(module._ht_last_error());
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const build = `${module.UTF8ToString(module._ht_build_info())} ${args.precision}`;
if (module._ht_set_backend_options(text(settings.join(",")), text(""), text(args.precision)) !== 0) fail(lastError());
const models = args.variant === "full" ? ["palm_detection_full", "hand_landmark_full"] : ["palm_detection_lite", "hand_landmark_lite"];
for (const name of models) {
  const data = fs.readFileSync(path.join(args.models, `${name}.tflite`));
  const out = module._ht_alloc(24);
  const backend = await call("ht_time_model", Array(8).fill("number"), [bytes(data), data.length, text(name), text(args.delegate), 1, args.warmup, args.runs, out]);
  if (backend === 0) fail(`failed to time ${name}: ${lastError()}`);
  console.log(JSON.stringify({ what: `model ${name}`, build, backend: module.UTF8ToString(backend), median_ms: module.HEAPF64[out >> 3], min_ms: module.HEAPF64[(out >> 3) + 1], device_ms: module.HEAPF64[(out >> 3) + 2], runs: args.runs }));
  if (args.profile && module.runPhases) {
    // Mean ms per run of each phase of htgpu_run (webgpu_device.js), over every run of this model.
    const { runs, sampled, ...sums } = module.runPhases;
    console.log(JSON.stringify({ what: `phases ${name}`, runs, ms: Object.fromEntries(Object.entries(sums).map(([key, value]) => [key, Number((value / runs).toFixed(4))])) }));
    module.runPhases = null;
  }
  if (args.profile && module.dispatchProfile) {
    const profile = module.dispatchProfile;
    const total = profile.reduce((sum, step) => sum + step.ms, 0);
    console.log(JSON.stringify({ what: `profile ${name}`, dispatches: profile.length, sum_ms: total }));
    const byShader = {};
    for (const step of profile) byShader[step.shader] = (byShader[step.shader] ?? 0) + step.ms;
    console.log(JSON.stringify({ what: `profile ${name} by shader`, ms: byShader }));
    profile.map((step, index) => ({ index, ...step })).sort((a, b) => b.ms - a.ms).slice(0, 25)
      .forEach((step) => console.log(JSON.stringify({ what: "dispatch", model: name, ...step, ms: Number(step.ms.toFixed(4)) })));
    module.dispatchProfile = null;
  }
}
if (args.rgba) {
  const [width, height] = (args.size ?? "").split("x").map(Number);
  if (!(width > 0 && height > 0)) fail("--size WxH is needed with --rgba");
  const pixels = fs.readFileSync(args.rgba);
  if (pixels.length < width * height * 4) fail(`${args.rgba} holds ${pixels.length} bytes, not ${width}x${height} RGBA`);
  const palm = fs.readFileSync(path.join(args.models, `${models[0]}.tflite`));
  const landmark = fs.readFileSync(path.join(args.models, `${models[1]}.tflite`));
  const options = module._ht_alloc(28);
  const ints = module.HEAP32, floats = module.HEAPF32, at = options >> 2;
  ints[at] = 0; ints[at + 1] = 2; floats[at + 2] = 0.5; floats[at + 3] = 0.5; floats[at + 4] = 0.5; ints[at + 5] = 0; ints[at + 6] = 0;
  const handle = await call("ht_create", Array(8).fill("number"), [bytes(palm), palm.length, bytes(landmark), landmark.length, text(args.variant), text(args.delegate), 1, options]);
  if (handle === 0) fail(`failed to create the landmarker: ${lastError()}`);
  const pixelPointer = bytes(pixels);
  const times = [];
  let hands = 0;
  for (let i = 0; i < args.warmup + args.runs; ++i) {
    const start = performance.now();
    hands = await call("ht_detect", Array(6).fill("number"), [handle, pixelPointer, width, height, width * 4, 0]);
    const end = performance.now();
    if (hands < 0) fail(`failed to detect: ${lastError()}`);
    if (i >= args.warmup) times.push(end - start);
  }
  const name = text("palm");
  const landmarkName = text("landmark");
  console.log(JSON.stringify({
    what: `detect ${width}x${height}`, build,
    backend: `${module.UTF8ToString(module._ht_backend(handle, name))}+${module.UTF8ToString(module._ht_backend(handle, landmarkName))}`,
    median_ms: median(times), min_ms: Math.min(...times), runs: args.runs, hands,
  }));
  if (args.profile && module.runPhases) {
    // The detects' model runs: `sampled` of them made their input from the frame on the GPU.
    const { runs, sampled = 0, ...sums } = module.runPhases;
    console.log(JSON.stringify({ what: `phases detect ${width}x${height}`, runs, sampled, ms: Object.fromEntries(Object.entries(sums).map(([key, value]) => [key, Number((value / runs).toFixed(4))])) }));
  }
  const plan = module.UTF8ToString(module._ht_describe_plan(handle));
  console.error(plan);
}
process.exit(0);
