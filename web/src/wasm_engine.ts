// One landmarker inside one instance of the WebAssembly module: the only file
// that calls the C functions of web/wasm/handtrack_wasm.h. Runs wherever the
// module was instantiated (the package's Web Worker, or the page's thread for
// the synchronous MediaPipe calls). With the CPU builds everything here is
// synchronous: a call blocks its thread until the module returns. The WebGPU
// build (handtrack_gpu, ASYNCIFY) suspends while the GPU works: its calls go
// through the *Async methods, which the worker uses for every build.

import { type BuildName, type HandtrackModule, instantiateModule } from "./module_loader.js";
import type { HeapReport, ModelTiming, ModelVariant } from "./types.js";

/** HtOptions, as the module reads it: 7 consecutive 4-byte fields. */
export interface EngineOptions {
  /** HT_MODE_IMAGE (0) or HT_MODE_VIDEO (1). */
  runningMode: 0 | 1;
  numHands: number;
  minHandDetectionConfidence: number;
  minHandPresenceConfidence: number;
  minTrackingConfidence: number;
  /** HT_SMOOTHING_DEFAULT (0), _ON (1), _OFF (2). */
  smoothing: 0 | 1 | 2;
  mirrored: boolean;
}

export const kModeImage = 0;
export const kModeVideo = 1;

/** Floats per hand in ht_result() (HT_HAND_RECORD_FLOATS). */
export const kHandRecordFloats = 144;

/** What the engine is made of. */
export interface EngineInit {
  /** Folder URL (ending in "/") of the builds. */
  basePath: string;
  build: BuildName;
  threads: number;
  palmModel: Uint8Array;
  landmarkModel: Uint8Array;
  variant: ModelVariant;
  /** A registry name ("wasm", "reference") or "auto". */
  delegate: string;
  options: EngineOptions;
  /** Backend settings "KEY=VALUE,..." (e.g. "webgpu.allow_fallback_adapter=1"); the WebGPU build only. */
  settings?: string;
  /** Test hook: faults "BACKEND:STAGE,..." (e.g. "webgpu:device-lost"); the WebGPU build only. */
  faults?: string;
}

/** How a created engine runs. */
export interface EngineDescription {
  build: BuildName;
  buildInfo: string;
  threads: number;
  palmBackend: string;
  landmarkBackend: string;
  plan: string;
  gestureNames: string[];
}

/** One frame's answer: numHands records of kHandRecordFloats floats (a copy). */
export interface RawResult {
  numHands: number;
  records: Float32Array;
  palmDetectionRan: boolean;
  /** Set when this frame changed the plan (a backend failed mid-run and the models moved on). */
  planChange?: { palmBackend: string; landmarkBackend: string; plan: string };
}

const kOptionsBytes = 28;

function lastError(module: HandtrackModule, fallback: string): string {
  const message = module.UTF8ToString(module._ht_last_error());
  return message !== "" ? message : fallback;
}

/** Bytes copied into the module's heap; freed with free(). */
class HeapBytes {
  constructor(
    private readonly module: HandtrackModule,
    readonly pointer: number,
    readonly size: number,
  ) {}
  static copy(module: HandtrackModule, bytes: Uint8Array, what: string): HeapBytes {
    const pointer = module._ht_alloc(Math.max(1, bytes.byteLength));
    if (pointer === 0) throw new Error(`failed to copy ${what} into the wasm heap: out of memory`);
    module.HEAPU8.set(bytes, pointer);
    return new HeapBytes(module, pointer, bytes.byteLength);
  }
  static text(module: HandtrackModule, text: string): HeapBytes {
    const size = module.lengthBytesUTF8(text) + 1;
    const pointer = module._ht_alloc(size);
    if (pointer === 0) throw new Error("failed to copy a string into the wasm heap: out of memory");
    module.stringToUTF8(text, pointer, size);
    return new HeapBytes(module, pointer, size);
  }
  free(): void {
    this.module._ht_free(this.pointer);
  }
}

// One module instance per build in each thread: landmarkers share it, each
// with its own handle.
const modules = new Map<string, Promise<HandtrackModule>>();

function moduleFor(basePath: string, build: BuildName): Promise<HandtrackModule> {
  const key = `${basePath}|${build}`;
  let module = modules.get(key);
  if (module === undefined) {
    module = instantiateModule(basePath, build);
    modules.set(key, module);
    module.catch(() => modules.delete(key));
  }
  return module;
}

export class WasmEngine {
  private handle: number;
  private readonly optionsPointer: number;
  private pixels: { pointer: number; size: number } = { pointer: 0, size: 0 };
  description: EngineDescription;

  private constructor(
    private readonly module: HandtrackModule,
    handle: number,
    optionsPointer: number,
    /** The WebGPU build: calls that may wait for the GPU go through ccall({async: true}). */
    private readonly suspends: boolean,
    description: EngineDescription,
  ) {
    this.handle = handle;
    this.optionsPointer = optionsPointer;
    this.description = description;
  }

  /** Instantiates the build (once per thread) and creates a landmarker in it. */
  static async create(init: EngineInit): Promise<WasmEngine> {
    const module = await moduleFor(init.basePath, init.build);
    const suspends = init.build === "handtrack_gpu";
    if (suspends) {
      const settings = HeapBytes.text(module, init.settings ?? "");
      const faults = HeapBytes.text(module, init.faults ?? "");
      const precision = HeapBytes.text(module, "");
      try {
        if (module._ht_set_backend_options(settings.pointer, faults.pointer, precision.pointer) !== 0) {
          throw new Error(lastError(module, "failed to set backend options: the module gave no reason"));
        }
      } finally {
        settings.free();
        faults.free();
        precision.free();
      }
    }
    const threads = Math.max(1, Math.min(init.threads, module._ht_max_threads()));
    const optionsPointer = module._ht_alloc(kOptionsBytes);
    if (optionsPointer === 0) throw new Error("failed to create HandLandmarker: out of wasm memory");
    WasmEngine.writeOptions(module, optionsPointer, init.options);
    const palm = HeapBytes.copy(module, init.palmModel, "the palm detection model");
    const landmark = HeapBytes.copy(module, init.landmarkModel, "the hand landmark model");
    const variant = HeapBytes.text(module, init.variant);
    const delegate = HeapBytes.text(module, init.delegate);
    let handle = 0;
    try {
      const args = [palm.pointer, palm.size, landmark.pointer, landmark.size, variant.pointer, delegate.pointer, threads, optionsPointer];
      handle = suspends
        ? await module.ccall("ht_create", "number", args.map(() => "number" as const), args, { async: true })
        : module._ht_create(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7]);
    } finally {
      // The module keeps what it needs of the model bytes.
      palm.free();
      landmark.free();
      variant.free();
      delegate.free();
    }
    if (handle === 0) {
      module._ht_free(optionsPointer);
      throw new Error(lastError(module, "failed to create HandLandmarker: the module gave no reason"));
    }
    const backendOf = (model: string): string => {
      const name = HeapBytes.text(module, model);
      try {
        return module.UTF8ToString(module._ht_backend(handle, name.pointer));
      } finally {
        name.free();
      }
    };
    const gestureNames: string[] = [];
    for (let index = 0; index < 64; ++index) {
      const name = module.UTF8ToString(module._ht_gesture_name(index));
      if (name === "") break;
      gestureNames.push(name);
    }
    return new WasmEngine(module, handle, optionsPointer, suspends, {
      build: init.build,
      buildInfo: module.UTF8ToString(module._ht_build_info()),
      threads,
      palmBackend: backendOf("palm"),
      landmarkBackend: backendOf("landmark"),
      plan: module.UTF8ToString(module._ht_describe_plan(handle)),
      gestureNames,
    });
  }

  private static writeOptions(module: HandtrackModule, pointer: number, options: EngineOptions): void {
    const ints = module.HEAP32;
    const floats = module.HEAPF32;
    const at = pointer >> 2;
    ints[at] = options.runningMode;
    ints[at + 1] = options.numHands;
    floats[at + 2] = options.minHandDetectionConfidence;
    floats[at + 3] = options.minHandPresenceConfidence;
    floats[at + 4] = options.minTrackingConfidence;
    ints[at + 5] = options.smoothing;
    ints[at + 6] = options.mirrored ? 1 : 0;
  }

  private checkOpen(verb: string): void {
    if (this.handle === 0) throw new Error(`failed to ${verb}: the HandLandmarker is closed`);
  }

  /** Replaces the options; tracking starts over. Throws on a bad value. */
  setOptions(options: EngineOptions): void {
    this.checkOpen("set options");
    WasmEngine.writeOptions(this.module, this.optionsPointer, options);
    if (this.module._ht_set_options(this.handle, this.optionsPointer) !== 0) {
      throw new Error(lastError(this.module, "failed to set options: the module gave no reason"));
    }
  }

  /** setOptions for any build (the WebGPU build may compile on the GPU). */
  async setOptionsAsync(options: EngineOptions): Promise<void> {
    if (!this.suspends) return this.setOptions(options);
    this.checkOpen("set options");
    WasmEngine.writeOptions(this.module, this.optionsPointer, options);
    const status = await this.module.ccall("ht_set_options", "number", ["number", "number"], [this.handle, this.optionsPointer], { async: true });
    if (status !== 0) throw new Error(lastError(this.module, "failed to set options: the module gave no reason"));
  }

  /**
   * In the threaded build another thread may grow the shared memory, and this
   * thread's HEAP* views only follow when Emscripten's glue next looks: any
   * string read does (UTF8ToString checks the memory's buffer first).
   */
  private refreshViews(): void {
    if (this.description.build === "handtrack_mt") this.module.UTF8ToString(this.module._ht_build_info());
  }

  /**
   * Runs one frame of RGBA pixels (rows of 4 * width bytes). Throws the
   * module's one-line message on failure; the engine stays usable.
   */
  detect(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, timestampMs: number): RawResult {
    this.copyPixels(rgba, width, height);
    const numHands = this.module._ht_detect(this.handle, this.pixels.pointer, width, height, width * 4, timestampMs);
    return this.readResult(numHands);
  }

  /** detect for any build: the WebGPU build suspends while the GPU runs. */
  async detectAsync(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, timestampMs: number): Promise<RawResult> {
    if (!this.suspends) return this.detect(rgba, width, height, timestampMs);
    this.copyPixels(rgba, width, height);
    const numHands = await this.module.ccall(
      "ht_detect",
      "number",
      ["number", "number", "number", "number", "number", "number"],
      [this.handle, this.pixels.pointer, width, height, width * 4, timestampMs],
      { async: true },
    );
    return this.readResult(numHands);
  }

  private copyPixels(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): void {
    this.checkOpen("detect hands");
    const bytes = width * height * 4;
    if (rgba.byteLength < bytes) {
      throw new Error(`failed to detect hands: ${rgba.byteLength} bytes of pixels for a ${width}x${height} RGBA image`);
    }
    if (this.pixels.size < bytes) {
      if (this.pixels.pointer !== 0) this.module._ht_free(this.pixels.pointer);
      const pointer = this.module._ht_alloc(bytes);
      this.pixels = { pointer, size: pointer === 0 ? 0 : bytes };
      if (pointer === 0) throw new Error(`failed to detect hands: no wasm memory for a ${width}x${height} image`);
    }
    this.refreshViews();
    this.module.HEAPU8.set(rgba.subarray(0, bytes), this.pixels.pointer);
  }

  private readResult(numHands: number): RawResult {
    if (numHands < 0) throw new Error(lastError(this.module, "failed to detect hands: the module gave no reason"));
    this.refreshViews();
    const first = this.module._ht_result(this.handle) >> 2;
    const result: RawResult = {
      numHands,
      records: this.module.HEAPF32.slice(first, first + numHands * kHandRecordFloats),
      palmDetectionRan: this.module._ht_result_palm_detection_ran(this.handle) !== 0,
    };
    if (this.module._ht_take_plan_change(this.handle) !== 0) {
      const backendOf = (model: string): string => {
        const name = HeapBytes.text(this.module, model);
        try {
          return this.module.UTF8ToString(this.module._ht_backend(this.handle, name.pointer));
        } finally {
          name.free();
        }
      };
      const change = {
        palmBackend: backendOf("palm"),
        landmarkBackend: backendOf("landmark"),
        plan: this.module.UTF8ToString(this.module._ht_describe_plan(this.handle)),
      };
      this.description = { ...this.description, ...change };
      result.planChange = change;
    }
    return result;
  }

  /** Times one model alone on a seeded random input (ht_time_model). */
  timeModel(model: Uint8Array, name: string, delegate: string, threads: number, warmup: number, runs: number): ModelTiming {
    if (this.suspends) throw new Error(`failed to time ${name}: the WebGPU build times through timeModelAsync`);
    const call = this.prepareTiming(model, name, delegate, threads, warmup, runs);
    try {
      const [a, b, c, d, e, f, g, h] = call.args;
      return call.finish(this.module._ht_time_model(a, b, c, d, e, f, g, h));
    } finally {
      call.free();
    }
  }

  /** timeModel for any build (the WebGPU build suspends while the GPU runs). */
  async timeModelAsync(model: Uint8Array, name: string, delegate: string, threads: number, warmup: number, runs: number): Promise<ModelTiming> {
    if (!this.suspends) return this.timeModel(model, name, delegate, threads, warmup, runs);
    const call = this.prepareTiming(model, name, delegate, threads, warmup, runs);
    try {
      return call.finish(await this.module.ccall("ht_time_model", "number", call.args.map(() => "number" as const), call.args, { async: true }));
    } finally {
      call.free();
    }
  }

  private prepareTiming(model: Uint8Array, name: string, delegate: string, threads: number, warmup: number, runs: number) {
    const bytes = HeapBytes.copy(this.module, model, `model ${name}`);
    const nameText = HeapBytes.text(this.module, name);
    const delegateText = HeapBytes.text(this.module, delegate);
    const out = this.module._ht_alloc(24);  // median, min, device ms
    const usable = Math.max(1, Math.min(threads, this.module._ht_max_threads()));
    return {
      args: [bytes.pointer, bytes.size, nameText.pointer, delegateText.pointer, usable, warmup, runs, out],
      finish: (backend: number): ModelTiming => {
        if (backend === 0) throw new Error(lastError(this.module, `failed to time ${name}: the module gave no reason`));
        const at = out >> 3;
        return {
          backend: this.module.UTF8ToString(backend),
          medianMs: this.module.HEAPF64[at],
          minMs: this.module.HEAPF64[at + 1],
        };
      },
      free: () => {
        bytes.free();
        nameText.free();
        delegateText.free();
        this.module._ht_free(out);
      },
    };
  }

  heap(): HeapReport {
    return {
      allocatedBytes: this.module._ht_heap_allocated_bytes(),
      heapSizeBytes: this.module._ht_heap_size_bytes(),
    };
  }

  /** Frees the landmarker in the module; later calls throw. Idempotent. */
  close(): void {
    if (this.handle === 0) return;
    this.module._ht_destroy(this.handle);
    this.module._ht_free(this.optionsPointer);
    if (this.pixels.pointer !== 0) this.module._ht_free(this.pixels.pointer);
    this.pixels = { pointer: 0, size: 0 };
    this.handle = 0;
  }
}
