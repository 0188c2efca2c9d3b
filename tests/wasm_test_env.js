// Pre-js of the wasm test executables (tests/wasm_tests.cmake): under node, hand the test
// node's environment, which Emscripten's getenv() does not see by itself.
Module['preRun'] = Module['preRun'] || [];
Module['preRun'].push(function () {
  if (typeof process === 'object' && process.env) {
    for (var key in process.env) ENV[key] = process.env[key];
  }
});
