// HandLandmarker: MediaPipe Tasks' API over handtrack's WebAssembly engine.
//
// Threading: the object lives on the thread that created it (a page or a
// worker). The engine runs in a Web Worker for the *Async calls and, unless
// `engine: "worker"`, also on the creating thread for MediaPipe's synchronous
// detect()/detectForVideo(), which block that thread as MediaPipe's do.
// Errors: every failure is an Error whose message is one line, "failed to
// <verb> <object>: <reason>"; synchronous calls throw, async ones reject. A
// failed call leaves the landmarker usable; only close() ends it.
// Ownership: images passed in stay the caller's (they are copied); results
// are new objects the caller owns.

import { type EngineClient, type FrameSnapshot, PageEngineClient, WorkerEngineClient } from "./engine_client.js";
import { filesetBasePath } from "./fileset.js";
import { checkImage } from "./image_input.js";
import { type ModelBytes, loadModels } from "./model_assets.js";
import { type BuildChoice, chooseBuild } from "./module_loader.js";
import { toResult } from "./results.js";
import type {
  BackendReport,
  BuildReport,
  Connection,
  EngineLocation,
  HandLandmarkerOptions,
  HandtrackResult,
  HeapReport,
  ImageSource,
  ModelTiming,
  RunningMode,
  WasmFileset,
} from "./types.js";
import { type EngineDescription, type EngineOptions, type RawResult, kModeImage, kModeVideo } from "./wasm_engine.js";

/** MediaPipe's processing options: a region of interest and a rotation. */
export interface ImageProcessingOptions {
  regionOfInterest?: { left: number; top: number; right: number; bottom: number };
  rotationDegrees?: number;
}

// The landmarker's options once defaults are filled in.
interface ResolvedOptions {
  runningMode: RunningMode;
  numHands: number;
  minHandDetectionConfidence: number;
  minHandPresenceConfidence: number;
  minTrackingConfidence: number;
  smoothing: boolean | undefined;
  mirrored: boolean;
  resultListener: HandLandmarkerOptions["resultListener"];
  // What the engines are built from: changing any of these reloads them.
  baseOptions: HandLandmarkerOptions["baseOptions"];
  modelVariant: "full" | "lite";
  engine: EngineLocation;
  numThreads: number | undefined;
  allowFallbackAdapter: boolean;
  injectFaults: string | undefined;
}

const kDefaults: ResolvedOptions = {
  runningMode: "IMAGE",
  numHands: 1,
  minHandDetectionConfidence: 0.5,
  minHandPresenceConfidence: 0.5,
  minTrackingConfidence: 0.5,
  smoothing: undefined,
  mirrored: false,
  resultListener: undefined,
  baseOptions: undefined,
  modelVariant: "full",
  engine: "auto",
  numThreads: undefined,
  allowFallbackAdapter: false,
  injectFaults: undefined,
};

const kEngineKeys = ["baseOptions", "modelVariant", "engine", "numThreads", "allowFallbackAdapter", "injectFaults"] as const;

// MediaPipe's hand skeleton.
const kHandConnections: Connection[] = [
  [0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [5, 9], [9, 10], [10, 11], [11, 12],
  [9, 13], [13, 14], [14, 15], [15, 16], [13, 17], [0, 17], [17, 18], [18, 19], [19, 20],
].map(([start, end]) => ({ start, end }));

/**
 * Merges options into current (a key given as undefined goes back to its
 * default, as in tasks-vision) and checks them. Throws "failed to <verb>: ...".
 */
function resolveOptions(current: ResolvedOptions, options: HandLandmarkerOptions, verb: string): ResolvedOptions {
  if (options === null || typeof options !== "object") throw new Error(`failed to ${verb}: options must be an object`);
  const merged = { ...current } as Record<string, unknown>;
  for (const [key, value] of Object.entries(options)) {
    if (key === "canvas") continue;
    if (!(key in kDefaults)) continue;  // unknown keys are ignored, as tasks-vision does
    merged[key] = value === undefined ? (kDefaults as unknown as Record<string, unknown>)[key] : value;
  }
  const out = merged as unknown as ResolvedOptions;
  const fail = (what: string, value: unknown): never => {
    throw new Error(`failed to ${verb}: ${what}, got ${JSON.stringify(value) ?? String(value)}`);
  };
  if (!["IMAGE", "VIDEO", "LIVE_STREAM"].includes(out.runningMode)) fail('runningMode must be "IMAGE", "VIDEO" or "LIVE_STREAM"', out.runningMode);
  if (!Number.isInteger(out.numHands) || out.numHands < 1 || out.numHands > 8) fail("numHands must be an integer from 1 to 8", out.numHands);
  for (const key of ["minHandDetectionConfidence", "minHandPresenceConfidence", "minTrackingConfidence"] as const) {
    const value = out[key];
    if (typeof value !== "number" || !(value >= 0 && value <= 1)) fail(`${key} must be a number from 0 to 1`, value);
  }
  const delegate = out.baseOptions?.delegate;
  if (delegate !== undefined && delegate !== "CPU" && delegate !== "GPU") fail('baseOptions.delegate must be "CPU" or "GPU"', delegate);
  if (!["full", "lite"].includes(out.modelVariant)) fail('modelVariant must be "full" or "lite"', out.modelVariant);
  if (!["auto", "worker", "page"].includes(out.engine)) fail('engine must be "auto", "worker" or "page"', out.engine);
  if (out.numThreads !== undefined && (!Number.isInteger(out.numThreads) || out.numThreads < 1 || out.numThreads > 64)) {
    fail("numThreads must be an integer from 1 to 64", out.numThreads);
  }
  if (out.resultListener !== undefined && typeof out.resultListener !== "function") fail("resultListener must be a function", typeof out.resultListener);
  if (typeof out.allowFallbackAdapter !== "boolean") fail("allowFallbackAdapter must be true or false", out.allowFallbackAdapter);
  if (out.injectFaults !== undefined && (typeof out.injectFaults !== "string" || !/^[A-Za-z0-9_.@:,-]*$/.test(out.injectFaults))) {
    fail('injectFaults must be a string "BACKEND:STAGE,..."', out.injectFaults);
  }
  return out;
}

function engineOptions(options: ResolvedOptions): EngineOptions {
  return {
    runningMode: options.runningMode === "IMAGE" ? kModeImage : kModeVideo,
    numHands: options.numHands,
    minHandDetectionConfidence: options.minHandDetectionConfidence,
    minHandPresenceConfidence: options.minHandPresenceConfidence,
    minTrackingConfidence: options.minTrackingConfidence,
    smoothing: options.smoothing === undefined ? 0 : options.smoothing ? 1 : 2,
    mirrored: options.mirrored,
  };
}

/**
 * Why delegate "GPU" is not running on the GPU, or null when it is: the
 * WebGPU build's plan says why its webgpu backend was skipped or dropped
 * (no navigator.gpu, no adapter, a fallback adapter not allowed, a device or
 * shader that failed, a device lost mid-run, out of memory).
 */
function gpuFallbackReason(options: ResolvedOptions, description: EngineDescription, gpuStartFailure: string | null): string | null {
  if (options.baseOptions?.delegate !== "GPU") return null;
  const cpu = description.palmBackend === description.landmarkBackend ? description.palmBackend : `${description.palmBackend}+${description.landmarkBackend}`;
  const tail = `so the CPU backend (${cpu}) runs`;
  if (options.engine === "page") {
    return `delegate "GPU": the WebGPU backend runs only in the worker engine (engine "page" runs synchronously on the page's thread), ${tail}`;
  }
  if (gpuStartFailure !== null) {
    const why = /^(navigator\.gpu is missing|WebGPU has no adapter|the only WebGPU adapter)/.test(gpuStartFailure)
      ? gpuStartFailure
      : `the WebGPU build failed to start (${gpuStartFailure})`;
    return `delegate "GPU": ${why}, ${tail}`;
  }
  if (description.palmBackend === "webgpu" && description.landmarkBackend === "webgpu") return null;
  const why = description.plan
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /webgpu/.test(line) && /skipped|dropped|fell back|fallback/.test(line))
    .map((line) => line.replace(/^note: /, ""));
  return `delegate "GPU": ${why.length ? why.join("; ") : "the webgpu backend runs no model here"}; ${tail}`;
}

/** The CPU reasons: a model that runs on another backend than wasm. */
function cpuFallbackReasons(description: EngineDescription): string[] {
  const reasons: string[] = [];
  for (const [model, backend] of [["palm detection", description.palmBackend], ["hand landmark", description.landmarkBackend]]) {
    if (backend !== "wasm" && backend !== "webgpu") {
      const planLines = description.plan.split("\n").filter((line) => /fall|skip|unavailable|fail/i.test(line));
      reasons.push(`the ${model} model runs on ${backend}, not wasm${planLines.length ? `: ${planLines.join("; ")}` : ""}`);
    }
  }
  return reasons;
}

function fallbackReasonOf(options: ResolvedOptions, description: EngineDescription, gpuStartFailure: string | null): string | null {
  const gpu = gpuFallbackReason(options, description, gpuStartFailure);
  const reasons = [...(gpu !== null ? [gpu] : []), ...cpuFallbackReasons(description)];
  return reasons.length ? reasons.join("; ") : null;
}

// The engines of one landmarker and what they were built from.
interface Engines {
  page: PageEngineClient | null;
  worker: WorkerEngineClient | null;
  build: BuildChoice;
  description: EngineDescription;
  fallbackReason: string | null;
  /** Why the WebGPU build was not started or did not start (delegate "GPU"), or null. */
  gpuStartFailure: string | null;
}

/**
 * Why WebGPU cannot run here, as far as the page can tell before loading the
 * WebGPU build, or null: no navigator.gpu, no adapter, or only a fallback
 * (software) adapter not asked for. Then the CPU builds run as for "CPU" (the
 * threaded one where the page is isolated). The rest (a device, shader or run
 * that fails) the WebGPU build finds and falls back from itself.
 */
async function webgpuUnusableReason(allowFallbackAdapter: boolean): Promise<string | null> {
  type Adapter = { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean; vendor?: string; description?: string } };
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<Adapter | null> } } | undefined)?.gpu;
  if (gpu === undefined) return "navigator.gpu is missing (this browser offers no WebGPU)";
  let adapter: Adapter | null = null;
  try {
    adapter = await Promise.race([gpu.requestAdapter(), new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000))]);
  } catch {
    adapter = null;
  }
  if (adapter === null || adapter === undefined) return "WebGPU has no adapter here (navigator.gpu.requestAdapter() gave null)";
  const fallback = adapter.info?.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  if (fallback && !allowFallbackAdapter) {
    const name = [adapter.info?.vendor, adapter.info?.description].filter(Boolean).join(" ") || "unnamed";
    return `the only WebGPU adapter is a fallback (software) adapter (${name}); set allowFallbackAdapter: true to use it`;
  }
  return null;
}

async function createEngines(basePath: string, options: ResolvedOptions): Promise<Engines> {
  const models = await loadModels(options.baseOptions, options.modelVariant, `${basePath}models/`);
  const build = chooseBuild(options.numThreads);
  const wantsGpu = options.baseOptions?.delegate === "GPU" && options.engine !== "page";
  // Injected faults are for the WebGPU build itself: it is loaded whatever the page sees.
  const unusable = wantsGpu && options.injectFaults === undefined ? await webgpuUnusableReason(options.allowFallbackAdapter) : null;
  // delegate "GPU": the worker runs the WebGPU build (the page's synchronous copy stays on the CPU).
  const gpuBuild: BuildChoice | null =
    wantsGpu && unusable === null
      ? { name: "handtrack_gpu", reason: 'delegate "GPU": the WebGPU build runs in the worker, with the CPU backend as its fallback', threads: 1 }
      : null;
  let gpuStartFailure: string | null = unusable;
  let engines: Omit<Engines, "fallbackReason" | "gpuStartFailure">;
  try {
    engines = await startEngines(basePath, options, models, build, gpuBuild);
  } catch (error) {
    if (gpuBuild !== null) {
      // A WebGPU build that does not load must not cost the page its hand tracking.
      gpuStartFailure = (error as Error).message;
      engines = await startEngines(basePath, options, models, build, null);
    } else {
      if (build.name !== "handtrack_mt") throw error;
      // A threaded build that does not load (not deployed, or refused) must not
      // cost the page its hand tracking: the single-threaded one runs instead.
      const reason = `the threaded build failed to start (${(error as Error).message}), so the single-threaded build runs`;
      engines = await startEngines(basePath, options, models, { name: "handtrack_st", reason, threads: 1 }, null);
    }
  }
  return { ...engines, gpuStartFailure, fallbackReason: fallbackReasonOf(options, engines.description, gpuStartFailure) };
}

async function startEngines(
  basePath: string,
  options: ResolvedOptions,
  models: ModelBytes,
  build: BuildChoice,
  gpuBuild: BuildChoice | null,
): Promise<Omit<Engines, "fallbackReason" | "gpuStartFailure">> {
  const init = {
    basePath,
    build: build.name,
    threads: build.threads,
    palmModel: models.palm,
    landmarkModel: models.landmark,
    variant: models.variant,
    delegate: "auto",
    options: engineOptions(options),
  };
  const wantPage = options.engine !== "worker";
  const wantWorker = options.engine !== "page";
  const [page, worker] = await Promise.allSettled([
    wantPage ? PageEngineClient.create(init) : Promise.resolve(null),
    wantWorker
      ? WorkerEngineClient.create(`${basePath}handtrack.worker.js`, gpuBuild === null ? init : {
        ...init,
        build: gpuBuild.name,
        threads: 1,
        settings: options.allowFallbackAdapter ? "webgpu.allow_fallback_adapter=1" : "",
        faults: options.injectFaults ?? "",
      })
      : Promise.resolve(null),
  ]);
  if (page.status === "rejected" || worker.status === "rejected") {
    if (page.status === "fulfilled") page.value?.close();
    if (worker.status === "fulfilled") worker.value?.close();
    const error = (page.status === "rejected" ? page.reason : (worker as PromiseRejectedResult).reason) as Error;
    const message = error?.message ?? String(error);
    throw new Error(message.startsWith("failed to") ? message : `failed to create HandLandmarker: ${message}`);
  }
  return { page: page.value, worker: worker.value, build: worker.value && gpuBuild ? gpuBuild : build, description: (worker.value ?? page.value)!.description };
}

// A live-stream frame waiting for the engine.
interface LiveJob {
  snapshot: Promise<FrameSnapshot>;
  image: ImageSource;
  timestampMs: number;
  resolve: (result: HandtrackResult | null) => void;
  reject: (error: Error) => void;
}

/**
 * Finds hands and their 21 landmarks, as MediaPipe Tasks' HandLandmarker.
 * Create with createFromOptions/createFromModelPath/createFromModelBuffer;
 * close() when done (it frees the worker and the wasm memory).
 */
export class HandLandmarker {
  /** The pairs of landmark indices that draw a hand's skeleton (MediaPipe's). */
  static HAND_CONNECTIONS: Connection[] = kHandConnections;

  private options: ResolvedOptions;
  private engines: Engines | null;
  private readonly basePath: string;
  private lastTimestampMs = Number.NEGATIVE_INFINITY;
  private liveInFlight = false;
  private livePending: LiveJob | null = null;
  private liveStats = { submitted: 0, processed: 0, dropped: 0 };

  private constructor(basePath: string, options: ResolvedOptions, engines: Engines) {
    this.basePath = basePath;
    this.options = options;
    this.engines = engines;
  }

  /**
   * Loads the models and starts the engine(s). Rejects with "failed to create
   * HandLandmarker: <reason>" (bad options, models that do not load or do not
   * parse, a build that does not load).
   */
  static async createFromOptions(fileset: WasmFileset, options: HandLandmarkerOptions): Promise<HandLandmarker> {
    const resolved = resolveOptions(kDefaults, options ?? {}, "create HandLandmarker");
    const basePath = filesetBasePath(fileset);
    return new HandLandmarker(basePath, resolved, await createEngines(basePath, resolved));
  }

  /** createFromOptions with a .task bundle's bytes (or a reader of them). */
  static createFromModelBuffer(fileset: WasmFileset, modelAssetBuffer: Uint8Array | ReadableStreamDefaultReader): Promise<HandLandmarker> {
    return HandLandmarker.createFromOptions(fileset, { baseOptions: { modelAssetBuffer } });
  }

  /** createFromOptions with a .task bundle's URL, or a folder of .tflite models (ending in "/"). */
  static createFromModelPath(fileset: WasmFileset, modelAssetPath: string): Promise<HandLandmarker> {
    return HandLandmarker.createFromOptions(fileset, { baseOptions: { modelAssetPath } });
  }

  // ------------------------------------------------------------ MediaPipe's calls

  /**
   * Changes options; a key given as undefined goes back to its default.
   * Tracking starts over (and timestamps with it). Changing baseOptions,
   * modelVariant, engine or numThreads reloads the engines. On failure the
   * landmarker keeps its previous options.
   */
  async setOptions(options: HandLandmarkerOptions): Promise<void> {
    const engines = this.openEngines("set options");
    const next = resolveOptions(this.options, options, "set options");
    const reload = kEngineKeys.some((key) => key in options && next[key] !== this.options[key]);
    if (reload) {
      const fresh = await createEngines(this.basePath, next);
      if (this.engines === null) {
        // Closed meanwhile.
        fresh.page?.close();
        fresh.worker?.close();
        throw new Error("failed to set options: the HandLandmarker is closed");
      }
      this.closeEngines(engines);
      this.engines = fresh;
    } else {
      const converted = engineOptions(next);
      engines.page?.setOptionsNow(converted);
      await engines.worker?.setOptions(converted);
    }
    this.options = next;
    this.lastTimestampMs = Number.NEGATIVE_INFINITY;
  }

  /**
   * IMAGE mode, synchronous: finds the hands in one image and blocks until
   * done. Throws when the mode is not IMAGE, the image has no pixels, or the
   * landmarker was created with engine "worker" (use detectAsync).
   */
  detect(image: ImageSource, imageProcessingOptions?: ImageProcessingOptions): HandtrackResult {
    const page = this.pageEngine("detect", "detectAsync");
    this.checkMode("detect", "IMAGE");
    this.checkProcessingOptions(imageProcessingOptions);
    return toResult(page.detectNow(image, 0), page.description.gestureNames);
  }

  /**
   * VIDEO mode, synchronous: one frame of a video; timestamps (ms) must
   * increase strictly from call to call. Throws like detect, and on a
   * timestamp that does not increase.
   */
  detectForVideo(videoFrame: ImageSource, timestamp: number, imageProcessingOptions?: ImageProcessingOptions): HandtrackResult {
    const page = this.pageEngine("detectForVideo", "detectForVideoAsync");
    this.checkMode("detectForVideo", "VIDEO");
    this.checkProcessingOptions(imageProcessingOptions);
    checkImage(videoFrame);
    this.advanceTimestamp(timestamp);
    return toResult(page.detectNow(videoFrame, timestamp), page.description.gestureNames);
  }

  /** Frees the engines; later calls throw (or reject). Idempotent. */
  close(): void {
    if (this.engines === null) return;
    const engines = this.engines;
    this.engines = null;
    const pending = this.livePending;
    this.livePending = null;
    if (pending !== null) {
      pending.snapshot.then((snapshot) => (engines.worker ?? engines.page)?.discard(snapshot), () => undefined);
      pending.reject(new Error("failed to detect hands: the HandLandmarker was closed before this frame ran"));
    }
    this.closeEngines(engines);
  }

  // ------------------------------------------------------------ handtrack's calls

  /**
   * IMAGE mode: detect() without blocking the page (in the worker).
   * LIVE_STREAM mode: hands the frame over and returns at once; the result
   * goes to resultListener (and resolves the promise). While the engine is
   * busy only the newest frame waits: a frame replaced before it ran is
   * dropped (its promise resolves null) and counted in liveStreamStats.
   */
  detectAsync(image: ImageSource, timestampMs?: number): Promise<HandtrackResult | null> {
    try {
      const engine = this.asyncEngine("detect hands");
      if (this.options.runningMode === "LIVE_STREAM") {
        checkImage(image);
        this.advanceTimestamp(timestampMs);
        return this.submitLive(engine, image, timestampMs!);
      }
      this.checkMode("detectAsync", "IMAGE");
      checkImage(image);
      return this.runAsync(engine, image, 0);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** VIDEO mode: detectForVideo() without blocking the page. Calls run in order. */
  detectForVideoAsync(videoFrame: ImageSource, timestamp: number): Promise<HandtrackResult> {
    try {
      const engine = this.asyncEngine("detect hands");
      this.checkMode("detectForVideoAsync", "VIDEO");
      checkImage(videoFrame);
      this.advanceTimestamp(timestamp);
      return this.runAsync(engine, videoFrame, timestamp);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** LIVE_STREAM counters: frames handed in, run, and dropped as stale. */
  get liveStreamStats(): { submitted: number; processed: number; dropped: number } {
    return { ...this.liveStats };
  }

  /** Frames dropped as stale in LIVE_STREAM mode. */
  get droppedFrames(): number {
    return this.liveStats.dropped;
  }

  /** The backend that runs the models, e.g. "wasm" ("wasm+reference" when they differ). */
  get backend(): string {
    const { palmBackend, landmarkBackend } = this.described();
    return palmBackend === landmarkBackend ? palmBackend : `${palmBackend}+${landmarkBackend}`;
  }

  /** Which backend runs each model, and why the requested one does not. */
  get backends(): BackendReport {
    const description = this.described();
    return {
      palmDetection: description.palmBackend,
      handLandmark: description.landmarkBackend,
      fallbackReason: this.engines?.fallbackReason ?? null,
    };
  }

  /** Why the requested delegate is not what runs (e.g. "GPU" without a WebGPU backend), or null. */
  get fallbackReason(): string | null {
    return this.engines?.fallbackReason ?? null;
  }

  /** The WebAssembly build in use (threads or not) and why. */
  get build(): BuildReport {
    const engines = this.openEngines("read the build");
    return {
      name: engines.build.name,
      reason: engines.build.reason,
      threads: engines.description.threads,
      info: engines.description.buildInfo,
    };
  }

  /** Where the engine runs: "worker", "page" or "worker+page". */
  get engineLocation(): string {
    const engines = this.openEngines("read the engine");
    return [engines.worker ? "worker" : "", engines.page ? "page" : ""].filter(Boolean).join("+");
  }

  /** The module's execution plan: where each model's nodes run, fallback reasons. */
  get plan(): string {
    return this.described().plan;
  }

  /** The wasm heap of the engine that serves the async calls. */
  heap(): Promise<HeapReport> {
    try {
      return this.asyncEngine("read the heap").heap();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Benchmarks one model alone on the async engine (seeded random input):
   * `warmup` untimed runs, then `runs` timed ones. name: "palm_detection_full",
   * "hand_landmark_lite", ...
   */
  timeModel(model: Uint8Array, name: string, settings: { warmup?: number; runs?: number } = {}): Promise<ModelTiming> {
    try {
      const engine = this.asyncEngine("time a model");
      return engine.timeModel(model, name, "auto", this.engines!.description.threads, settings.warmup ?? 3, settings.runs ?? 20);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ------------------------------------------------------------ internals

  private openEngines(verb: string): Engines {
    if (this.engines === null) throw new Error(`failed to ${verb}: the HandLandmarker is closed`);
    return this.engines;
  }

  private described(): EngineDescription {
    return this.openEngines("describe the engine").description;
  }

  private pageEngine(call: string, asyncCall: string): PageEngineClient {
    const engines = this.openEngines("detect hands");
    if (engines.page === null) {
      throw new Error(
        `failed to detect hands: ${call}() is synchronous, but this HandLandmarker runs only in a worker (engine: "worker"); call ${asyncCall}(), or create it with engine "auto"`,
      );
    }
    return engines.page;
  }

  private asyncEngine(verb: string): EngineClient {
    const engines = this.openEngines(verb);
    return (engines.worker ?? engines.page)!;
  }

  private checkMode(call: string, mode: RunningMode): void {
    if (this.options.runningMode !== mode) {
      const hint = this.options.runningMode === "VIDEO" ? "detectForVideo()" : this.options.runningMode === "IMAGE" ? "detect()" : "detectAsync(frame, timestamp)";
      throw new Error(
        `failed to detect hands: ${call}() needs runningMode "${mode}", but this HandLandmarker runs in "${this.options.runningMode}"; call ${hint}, or setOptions({runningMode: "${mode}"})`,
      );
    }
  }

  private checkProcessingOptions(options: ImageProcessingOptions | undefined): void {
    if (options === undefined) return;
    if (options.regionOfInterest !== undefined || (options.rotationDegrees ?? 0) !== 0) {
      throw new Error("failed to detect hands: imageProcessingOptions (regionOfInterest, rotationDegrees) are not supported yet");
    }
  }

  private advanceTimestamp(timestampMs: number | undefined): void {
    if (typeof timestampMs !== "number" || !Number.isFinite(timestampMs)) {
      throw new Error(`failed to detect hands: the timestamp must be a finite number of milliseconds, got ${String(timestampMs)}`);
    }
    if (!(timestampMs > this.lastTimestampMs)) {
      throw new Error(
        `failed to detect hands: timestamp ${timestampMs} ms is not after the previous frame's ${this.lastTimestampMs} ms (timestamps must increase strictly)`,
      );
    }
    this.lastTimestampMs = timestampMs;
  }

  private async runAsync(engine: EngineClient, image: ImageSource, timestampMs: number): Promise<HandtrackResult> {
    const snapshot = await engine.snapshot(image);
    const raw = await engine.detect(snapshot, timestampMs);
    this.notePlanChange(engine, raw);
    return toResult(raw, engine.description.gestureNames);
  }

  // A backend failed mid-run (a lost GPU device, say) and the engine moved the
  // models to the next one: the reports follow.
  private notePlanChange(engine: EngineClient, raw: RawResult): void {
    const change = raw.planChange;
    const engines = this.engines;
    if (change === undefined || engines === null) return;
    const description = { ...engine.description, ...change };
    if (engine instanceof WorkerEngineClient) engine.description = description;
    if (engines.worker === engine || engines.page === engine) {
      engines.description = description;
      engines.fallbackReason = fallbackReasonOf(this.options, description, engines.gpuStartFailure);
    }
  }

  private submitLive(engine: EngineClient, image: ImageSource, timestampMs: number): Promise<HandtrackResult | null> {
    this.liveStats.submitted++;
    const snapshot = engine.snapshot(image);
    snapshot.catch(() => undefined);  // reported through the job's promise
    return new Promise<HandtrackResult | null>((resolve, reject) => {
      const stale = this.livePending;
      if (stale !== null) {
        this.liveStats.dropped++;
        stale.snapshot.then((frame) => engine.discard(frame), () => undefined);
        stale.resolve(null);
      }
      this.livePending = { snapshot, image, timestampMs, resolve, reject };
      void this.pumpLive(engine);
    });
  }

  private async pumpLive(engine: EngineClient): Promise<void> {
    if (this.liveInFlight || this.livePending === null) return;
    const job = this.livePending;
    this.livePending = null;
    this.liveInFlight = true;
    try {
      const raw = await engine.detect(await job.snapshot, job.timestampMs);
      this.notePlanChange(engine, raw);
      const result = toResult(raw, engine.description.gestureNames);
      this.liveStats.processed++;
      job.resolve(result);
      try {
        this.options.resultListener?.(result, job.image, job.timestampMs);
      } catch (error) {
        console.error("handtrack: the resultListener threw:", error);
      }
    } catch (error) {
      job.reject(error as Error);
    } finally {
      this.liveInFlight = false;
    }
    if (this.engines !== null) void this.pumpLive(engine);
  }

  private closeEngines(engines: Engines): void {
    engines.page?.close();
    engines.worker?.close();
  }
}
