// The public types of the package. The first block is MediaPipe Tasks'
// (`@mediapipe/tasks-vision` 1.1.0) shape for shape, so code written for it
// type-checks and runs against this package; the second block is what
// handtrack adds.

// ---------------------------------------------------------------- MediaPipe's

/** A classification: for handedness, `categoryName` is "Right" or "Left". */
export interface Category {
  /** Confidence of this category, in [0, 1]. */
  score: number;
  /** The category's index in the model's label list (handedness: 0 = "Right", 1 = "Left"). */
  index: number;
  /** The label ("Right" | "Left" for handedness). */
  categoryName: string;
  /** The label for display; empty, as MediaPipe leaves it for the hand models. */
  displayName: string;
}

/** A landmark normalised to the image: x by its width, y by its height, z relative depth. */
export interface NormalizedLandmark {
  x: number;
  y: number;
  /** Depth relative to the wrist, on roughly the scale of x (negative is closer). */
  z: number;
  /** Always 0: the hand models give no per-landmark visibility (MediaPipe reports 0 too). */
  visibility: number;
  /** Unset, as in MediaPipe: the hand models give no per-landmark presence. */
  presence?: number;
}

/** A landmark in metres, around the hand's centre (x right, y down as the image). */
export interface Landmark {
  x: number;
  y: number;
  z: number;
  /** Always 0 (see NormalizedLandmark.visibility). */
  visibility: number;
  presence?: number;
}

/** A pair of landmark indices joined when a hand is drawn. */
export interface Connection {
  start: number;
  end: number;
}

/**
 * What MediaPipe's `FilesetResolver.forVisionTasks` gives: where the
 * WebAssembly loader and binary are. handtrack's fileset also names the folder
 * that holds both of its builds (see FilesetResolver).
 */
export interface WasmFileset {
  /** The single-threaded build's loader script (handtrack_st.js). */
  wasmLoaderPath: string;
  /** The single-threaded build's binary (handtrack_st.wasm). */
  wasmBinaryPath: string;
  assetLoaderPath?: string;
  assetBinaryPath?: string;
  /** handtrack: the folder of handtrack_{st,mt}.{js,wasm}, handtrack_mt.worker.js and handtrack.worker.js. */
  handtrackBasePath?: string;
}

/** Pixels the landmarker reads. */
export type ImageSource =
  | HTMLImageElement
  | HTMLVideoElement
  | HTMLCanvasElement
  | ImageBitmap
  | ImageData
  | VideoFrame
  | OffscreenCanvas;

/**
 * "IMAGE": every image on its own. "VIDEO": frames of one video, tracked from
 * frame to frame, timestamps strictly increasing. "LIVE_STREAM" (handtrack and
 * MediaPipe's other tasks): VIDEO mode fed by detectAsync(frame, timestamp),
 * results delivered to `resultListener`, stale frames dropped.
 */
export type RunningMode = "IMAGE" | "VIDEO" | "LIVE_STREAM";

export interface BaseOptions {
  /**
   * Where the models are, one of:
   *  - a MediaPipe `.task` bundle (a zip of hand_detector.tflite and
   *    hand_landmarks_detector.tflite), as tasks-vision takes;
   *  - a folder URL ending in "/" holding palm_detection_{full,lite}.tflite and
   *    hand_landmark_{full,lite}.tflite (handtrack's layout; `modelVariant` picks);
   *  - omitted: the models shipped in this package (dist/models/).
   */
  modelAssetPath?: string | undefined;
  /** A `.task` bundle's bytes, or a reader of them (as tasks-vision takes). */
  modelAssetBuffer?: Uint8Array | ReadableStreamDefaultReader | undefined;
  /**
   * "GPU" runs the models on WebGPU (handtrack's own WGSL shaders, in the
   * worker engine) and falls back to the WebAssembly CPU backend when WebGPU
   * cannot run them: no navigator.gpu, no adapter, only a fallback (software)
   * adapter (unless allowFallbackAdapter), a device or shader that fails, a
   * device lost mid-run, out of GPU memory. It never throws for these; see
   * HandLandmarker.fallbackReason. "CPU" runs the WebAssembly CPU backend.
   */
  delegate?: "CPU" | "GPU" | undefined;
}

export interface HandLandmarkerOptions {
  baseOptions?: BaseOptions;
  /** Accepted for parity with tasks-vision and ignored: handtrack draws nothing. */
  canvas?: HTMLCanvasElement | OffscreenCanvas;
  /** Default "IMAGE". */
  runningMode?: RunningMode;
  /** Most hands to find, 1 to 8. Default 1, as MediaPipe. */
  numHands?: number | undefined;
  /** Palm detection score threshold, 0 to 1. Default 0.5. */
  minHandDetectionConfidence?: number | undefined;
  /** Hand presence threshold of the landmark model, 0 to 1. Default 0.5. */
  minHandPresenceConfidence?: number | undefined;
  /** Presence needed to keep tracking a hand in VIDEO mode, 0 to 1. Default 0.5. */
  minTrackingConfidence?: number | undefined;

  // -- handtrack's own options --------------------------------------------

  /** With a model folder or the bundled models: "full" (default) or "lite". */
  modelVariant?: ModelVariant;
  /**
   * Where the engine runs:
   *  - "auto" (default): in a Web Worker for the *Async calls, plus a copy on
   *    the page's thread so that the synchronous MediaPipe calls (detect,
   *    detectForVideo) work unchanged. Both are ready when creation resolves.
   *  - "worker": only the Web Worker; detect/detectForVideo throw.
   *  - "page": only the page's thread; the *Async calls run there too.
   * Each engine holds its own wasm heap (about 60 MB with the full models).
   */
  engine?: EngineLocation;
  /**
   * Kernel threads. Threads need the threaded build, which needs a
   * cross-origin-isolated page (COOP same-origin + COEP require-corp). Default:
   * min(navigator.hardwareConcurrency, the build's maximum) when isolated, else 1.
   */
  numThreads?: number;
  /** One-Euro smoothing of landmarks in VIDEO/LIVE_STREAM mode. Default false (matches MediaPipe). */
  smoothing?: boolean;
  /** The input is a mirrored selfie view: Left and Right are swapped. Default false. */
  mirrored?: boolean;
  /**
   * delegate "GPU": also use a fallback (software) WebGPU adapter, such as
   * SwiftShader's (usually slower than the CPU backend). Default false.
   */
  allowFallbackAdapter?: boolean;
  /**
   * Tests only: faults to inject into the WebGPU build, "BACKEND:STAGE,..." (e.g.
   * "webgpu:device-lost", "webgpu:shader", "webgpu:oom"; docs/WEB.md lists them).
   */
  injectFaults?: string;
  /** LIVE_STREAM mode: called with each frame's result, in order; dropped frames are skipped. */
  resultListener?: (result: HandtrackResult, image: ImageSource, timestampMs: number) => void;
}

// ---------------------------------------------------------------- handtrack's

export type ModelVariant = "full" | "lite";
export type EngineLocation = "auto" | "worker" | "page";

/** MediaPipe's result, shaped as tasks-vision's HandLandmarkerResult. */
export interface HandLandmarkerResult {
  /** Per hand, 21 landmarks normalised to the image. */
  landmarks: NormalizedLandmark[][];
  /** Per hand, 21 landmarks in metres. */
  worldLandmarks: Landmark[][];
  /** @deprecated Use `handedness` (kept as tasks-vision keeps it). */
  handednesses: Category[][];
  /** Per hand, one Category: "Right" or "Left". */
  handedness: Category[][];
}

/** One of MediaPipe's gesture names ("None", "Closed_Fist", "Open_Palm", ...). */
export interface Gesture {
  name: string;
  score: number;
}

/** What handtrack knows of one hand beyond MediaPipe's result (same order as `landmarks`). */
export interface HandDetails {
  /** Stable while the hand is tracked (VIDEO/LIVE_STREAM); 0, 1, ... in IMAGE mode. */
  id: number;
  /** The landmark model's hand presence score. */
  presence: number;
  /** The raw handedness sigmoid: > 0.5 is a right hand (non-mirrored). */
  handednessModelOutput: number;
  gesture: Gesture;
  /** Extended fingers, 0 to 5. */
  fingerCount: number;
  /** Extended or not: thumb, index, middle, ring, little. */
  extendedFingers: [boolean, boolean, boolean, boolean, boolean];
  palmFacingCamera: boolean;
  pinch: {
    /** True while thumb and index tips touch (with hysteresis in VIDEO mode). */
    active: boolean;
    /** Thumb tip to index tip over the palm's length. */
    distance: number;
    /** VIDEO mode: "started" or "ended" on the frame where that happened, else null. */
    event: "started" | "ended" | null;
    /** With event "ended": how long the pinch lasted, in ms. */
    durationMs: number;
  };
}

/**
 * The result the landmarker returns: exactly MediaPipe's four enumerable
 * fields (so JSON.stringify and Object.keys match tasks-vision), plus
 * handtrack's details as non-enumerable properties.
 */
export interface HandtrackResult extends HandLandmarkerResult {
  /** Per hand, handtrack's details (non-enumerable). */
  readonly hands: HandDetails[];
  /** True when palm detection ran on this frame (false: every hand was tracked). Non-enumerable. */
  readonly palmDetectionRan: boolean;
}

/** Which backend runs each model, and why a requested one is not running. */
export interface BackendReport {
  /** The backend that runs most of the palm detection model's nodes, e.g. "wasm". */
  palmDetection: string;
  /** The same for the hand landmark model. */
  handLandmark: string;
  /** Why the requested delegate is not the one running, or null. */
  fallbackReason: string | null;
}

/** The WebAssembly build in use and why it was chosen. */
export interface BuildReport {
  /** "handtrack_mt" (threads), "handtrack_st", or "handtrack_gpu" (the WebGPU build, delegate "GPU"). */
  name: "handtrack_mt" | "handtrack_st" | "handtrack_gpu";
  /** Why this build, e.g. that the page is not cross-origin isolated. */
  reason: string;
  /** Kernel threads used. */
  threads: number;
  /** The module's own description, e.g. "handtrack 0.1.0 wasm simd128 threads". */
  info: string;
}

/** Memory of one engine's WebAssembly heap, in bytes. */
export interface HeapReport {
  /** Bytes malloc holds now (ht_heap_allocated_bytes). */
  allocatedBytes: number;
  /** The size of the wasm memory (ht_heap_size_bytes). */
  heapSizeBytes: number;
}

/** The timing of one model alone (see HandLandmarker.timeModel). */
export interface ModelTiming {
  backend: string;
  medianMs: number;
  minMs: number;
}
