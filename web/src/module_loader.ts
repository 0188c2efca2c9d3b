// Picks and loads one of the two WebAssembly builds (web/wasm/handtrack_wasm.h).
// The builds are classic Emscripten MODULARIZE scripts that define a global
// `createHandtrackModule`; this file evaluates them wherever the engine runs:
// a page (script element), a classic worker (importScripts) or a module
// worker (fetch and evaluate), and instantiates the module.

/** The C functions and runtime helpers the module exports (handtrack_wasm.h). */
export interface HandtrackModule {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPF32: Float32Array;
  HEAPF64: Float64Array;
  UTF8ToString(pointer: number): string;
  stringToUTF8(text: string, pointer: number, maxBytes: number): void;
  lengthBytesUTF8(text: string): number;
  _ht_alloc(bytes: number): number;
  _ht_free(pointer: number): void;
  _ht_create(
    palmModel: number,
    palmBytes: number,
    landmarkModel: number,
    landmarkBytes: number,
    variant: number,
    delegate: number,
    numThreads: number,
    options: number,
  ): number;
  _ht_set_options(handle: number, options: number): number;
  _ht_detect(handle: number, rgba: number, width: number, height: number, strideBytes: number, timestampMs: number): number;
  _ht_result(handle: number): number;
  _ht_result_palm_detection_ran(handle: number): number;
  _ht_backend(handle: number, model: number): number;
  _ht_describe_plan(handle: number): number;
  _ht_destroy(handle: number): void;
  _ht_time_model(
    model: number,
    modelBytes: number,
    name: number,
    delegate: number,
    numThreads: number,
    warmup: number,
    runs: number,
    outMs: number,
  ): number;
  _ht_last_error(): number;
  _ht_gesture_name(index: number): number;
  _ht_build_info(): number;
  _ht_heap_allocated_bytes(): number;
  _ht_heap_size_bytes(): number;
  _ht_max_threads(): number;
  _ht_set_backend_options(settings: number, faults: number, precision: number): number;
  _ht_take_plan_change(handle: number): number;
  /**
   * Emscripten's ccall. The WebGPU build (ASYNCIFY) must call the C functions
   * that may wait for the GPU through it with {async: true}: they return a Promise.
   */
  ccall(name: string, returnType: "number", argTypes: "number"[], args: number[], options: { async: true }): Promise<number>;
}

/**
 * handtrack_st: one thread; handtrack_mt: threads (cross-origin-isolated pages);
 * handtrack_gpu: one thread plus the webgpu backend (delegate "GPU", in the worker).
 */
export type BuildName = "handtrack_st" | "handtrack_mt" | "handtrack_gpu";

/** The build to load, with the reason shown to the user. */
export interface BuildChoice {
  name: BuildName;
  reason: string;
  /** Kernel threads asked of the build (capped later by ht_max_threads). */
  threads: number;
}

type ModuleFactory = (overrides: Record<string, unknown>) => Promise<HandtrackModule>;

/**
 * The threaded build needs SharedArrayBuffer, which browsers give only to
 * cross-origin-isolated pages (COOP same-origin + COEP require-corp).
 * requestedThreads: the user's numThreads, or undefined for the default.
 */
export function chooseBuild(requestedThreads: number | undefined): BuildChoice {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const sharedMemory = typeof SharedArrayBuffer === "function";
  if (requestedThreads === 1) {
    return { name: "handtrack_st", reason: "numThreads is 1: the single-threaded build", threads: 1 };
  }
  if (!isolated || !sharedMemory) {
    const why = !isolated
      ? "the page is not cross-origin isolated (it needs the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)"
      : "SharedArrayBuffer is missing";
    return { name: "handtrack_st", reason: `${why}, so the single-threaded build runs`, threads: 1 };
  }
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  const threads = requestedThreads ?? cores;
  return { name: "handtrack_mt", reason: "the page is cross-origin isolated: the threaded build runs", threads };
}

// One factory per script URL. Loads run one at a time because both builds
// define the same global name.
const factories = new Map<string, Promise<ModuleFactory>>();
let loadQueue: Promise<unknown> = Promise.resolve();

function evaluateClassicScript(url: string): Promise<void> {
  const scope = globalThis as unknown as { document?: Document; importScripts?: (url: string) => void };
  if (scope.document !== undefined) {
    const document = scope.document;
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`failed to load ${url}: the script did not load (network or 404)`));
      document.head.appendChild(script);
    });
  }
  if (typeof scope.importScripts === "function") {
    try {
      scope.importScripts(url);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(new Error(`failed to load ${url}: ${String((error as Error).message ?? error)}`));
    }
  }
  // A module worker has neither: evaluate the text as a classic script.
  return fetch(url)
    .then((response) => {
      if (!response.ok) throw new Error(`failed to load ${url}: HTTP ${response.status}`);
      return response.text();
    })
    .then((text) => {
      (0, eval)(`${text}\n//# sourceURL=${url}`);
    });
}

function loadFactory(scriptUrl: string): Promise<ModuleFactory> {
  let factory = factories.get(scriptUrl);
  if (factory === undefined) {
    factory = loadQueue.then(async () => {
      await evaluateClassicScript(scriptUrl);
      const created = (globalThis as { createHandtrackModule?: ModuleFactory }).createHandtrackModule;
      if (typeof created !== "function") {
        throw new Error(`failed to load ${scriptUrl}: it defines no createHandtrackModule`);
      }
      return created;
    });
    loadQueue = factory.catch(() => undefined);
    factories.set(scriptUrl, factory);
    factory.catch(() => factories.delete(scriptUrl));
  }
  return factory;
}

/** Loads and instantiates a build from basePath (a folder URL ending in "/"). */
export async function instantiateModule(basePath: string, build: BuildName): Promise<HandtrackModule> {
  const scriptUrl = new URL(`${build}.js`, basePath).href;
  const factory = await loadFactory(scriptUrl);
  let aborted: string | null = null;
  const module = factory({
    locateFile: (path: string) => new URL(path, basePath).href,
    // The threaded build's pthread workers load the main script from here:
    // inside our own worker, Emscripten cannot tell its own URL.
    mainScriptUrlOrBlob: scriptUrl,
    print: (text: string) => console.log(`[handtrack] ${text}`),
    printErr: (text: string) => console.warn(`[handtrack] ${text}`),
    onAbort: (what: unknown) => {
      aborted = String(what);
    },
  });
  try {
    return await module;
  } catch (error) {
    const reason = aborted ?? String((error as Error)?.message ?? error);
    throw new Error(`failed to load ${build}.wasm: ${reason}`);
  }
}
