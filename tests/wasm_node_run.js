// Runs a test executable of the handtrack_gpu build (tests/wasm_tests.cmake) under node:
//
//   node tests/wasm_node_run.js TEST.js [--preload FILE]... [--webgpu] [TEST ARGS...]
//
// --preload FILE: a file the test reads (copied into its in-memory file system, see
// wasm_files_env.js); --webgpu: hand the test Dawn for node (the npm package `webgpu`, an ES
// module, found in a NODE_PATH folder or web/node_modules) as its GPU, created with the flags in
// $HANDTRACK_DAWN_FLAGS (space-separated). The process exits with the test's status.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { createRequire } = require('module');
const { pathToFileURL } = require('url');

const args = process.argv.slice(2);
const script = path.resolve(args.shift());
const preloadFiles = [];
let webgpu = false;
const testArgs = [];
while (args.length) {
  const arg = args.shift();
  if (arg === '--preload') preloadFiles.push(path.resolve(args.shift()));
  else if (arg === '--webgpu') webgpu = true;
  else testArgs.push(arg);
}
// wasmBinary: Emscripten 3.1.6's loader would fetch() a path, which node 20's fetch refuses.
async function main() {
const Module = { arguments: testArgs, preloadFiles, env: { ...process.env }, wasmBinary: fs.readFileSync(script.replace(/\.js$/, '.wasm')) };
if (webgpu) {
  const folders = [...(process.env.NODE_PATH || '').split(':').filter(Boolean), path.join(__dirname, '..', 'web', 'node_modules')];
  const found = folders.map((folder) => path.join(folder, 'webgpu', 'index.js')).find((file) => fs.existsSync(file));
  if (!found) throw new Error(`failed to find the npm package webgpu in ${folders.join(', ')}`);
  const dawn = await import(pathToFileURL(found).href);
  Object.assign(globalThis, dawn.globals);
  Module.gpu = dawn.create((process.env.HANDTRACK_DAWN_FLAGS || '').split(' ').filter(Boolean));
}
globalThis.Module = Module;
globalThis.require = createRequire(script);
globalThis.__filename = script;
globalThis.__dirname = path.dirname(script);
vm.runInThisContext(fs.readFileSync(script, 'utf8'), { filename: script });
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
