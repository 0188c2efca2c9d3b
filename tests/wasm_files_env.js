// Pre-js of the handtrack_gpu build's test executables (tests/wasm_tests.cmake). They run in
// Chromium (web/tests/webgpu.test.mjs), where WebGPU is, and under node
// (tests/wasm_node_run.js), so they cannot use NODERAWFS: the files a test reads
// (Module.preloadFiles, absolute paths) are copied into the in-memory file system at the
// same paths before main, from disk under node or from Module.fileUrl(path) in a page.
// Module.env (or node's environment) becomes the test's getenv().
Module['preRun'] = Module['preRun'] || [];
Module['preRun'].push(function () {
  var env = Module['env'] || (typeof process === 'object' && process.env) || {};
  for (var key in env) ENV[key] = env[key];
  var files = Module['preloadFiles'] || [];
  if (!files.length) return;
  addRunDependency('handtrack-files');
  var load = function (path) {
    if (ENVIRONMENT_IS_NODE) return Promise.resolve(require('fs').readFileSync(path));
    return fetch(Module['fileUrl'](path)).then(function (response) {
      if (!response.ok) throw new Error('failed to preload ' + path + ': HTTP ' + response.status);
      return response.arrayBuffer();
    });
  };
  Promise.all(files.map(function (path) {
    return load(path).then(function (data) {
      FS.mkdirTree(path.substring(0, path.lastIndexOf('/')) || '/');
      FS.writeFile(path, new Uint8Array(data));
    });
  })).then(function () {
    removeRunDependency('handtrack-files');
  }, function (error) {
    abort(String(error && error.message ? error.message : error));
  });
});

// main() may suspend (ASYNCIFY, waiting for the GPU): Emscripten 3.1.6's own start-up would
// exit with whatever main returned when it first suspended. Start main here instead and exit
// with its real status once it has finished.
Module['noInitialRun'] = true;
Module['onRuntimeInitialized'] = function () {
  var args = [thisProgram].concat(Module['arguments'] || []);
  var argv = stackAlloc((args.length + 1) * 4);
  for (var i = 0; i < args.length; i++) HEAP32[(argv >> 2) + i] = allocateUTF8OnStack(args[i]);
  HEAP32[(argv >> 2) + args.length] = 0;
  var finish = function (status) {
    try {
      exit(status);
    } catch (e) {
      if (!(e instanceof ExitStatus) && e !== 'unwind') throw e;
    }
  };
  var status = Module['_main'](args.length, argv);
  if (typeof Asyncify === 'object' && Asyncify.currData) Asyncify.whenDone().then(finish);
  else finish(status);
};
