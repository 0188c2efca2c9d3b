// The page side of web/tools/browser-run.mjs and the browser tests: drives the
// package (served at /dist/) on images the node side names by URL.
// window.harness.{init, run, heap, timeModel, close, info}.
import { FilesetResolver, HandLandmarker } from "/dist/handtrack.mjs";

let landmarker = null;
let settings = null;

const blackFrames = new Map();

// Decodes as the golden were decoded: EXIF orientation applied, no colour management.
async function decode(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`failed to fetch ${url}: HTTP ${response.status}`);
  return createImageBitmap(await response.blob(), { colorSpaceConversion: "none", premultiplyAlpha: "none", imageOrientation: "from-image" });
}

function blackFrame(width, height) {
  const key = `${width}x${height}`;
  if (!blackFrames.has(key)) {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d");
    context.fillStyle = "#000";
    context.fillRect(0, 0, width, height);
    blackFrames.set(key, canvas);
  }
  return blackFrames.get(key);
}

// 7 significant digits, as `handtrack detect` prints floats.
const digits = (value) => Number(value.toPrecision(7));
const triple = (point) => [digits(point.x), digits(point.y), digits(point.z)];

// One result in the golden schema's per-hand form.
function goldenHands(result) {
  return result.landmarks.map((landmarks, i) => {
    const category = result.handedness[i][0];
    const details = result.hands[i];
    return {
      handedness: { label: category.categoryName, score: digits(category.score), index: category.index, model_output: digits(details.handednessModelOutput) },
      presence: digits(details.presence),
      id: details.id,
      landmarks: landmarks.map(triple),
      world_landmarks: result.worldLandmarks[i].map(triple),
    };
  });
}

// Runs one image through the landmarker in the configured way.
async function detectOne(image, timestampMs) {
  const video = settings.runningMode === "VIDEO";
  if (settings.sync) return video ? landmarker.detectForVideo(image, timestampMs) : landmarker.detect(image);
  return video ? landmarker.detectForVideoAsync(image, timestampMs) : landmarker.detectAsync(image);
}

async function init(options) {
  if (landmarker !== null) landmarker.close();
  // engine "page": MediaPipe's synchronous calls; "worker" and "auto": the async ones.
  settings = { runningMode: options.runningMode ?? "IMAGE", sync: options.engine === "page" };
  const fileset = await FilesetResolver.forVisionTasks("/dist/");
  const started = performance.now();
  landmarker = await HandLandmarker.createFromOptions(fileset, {
    baseOptions: { modelAssetPath: options.modelAssetPath ?? "/dist/models/", delegate: options.delegate ?? "CPU" },
    modelVariant: options.model ?? "full",
    runningMode: settings.runningMode,
    numHands: options.numHands ?? 2,
    minHandDetectionConfidence: options.minHandDetectionConfidence ?? 0.5,
    minHandPresenceConfidence: options.minHandPresenceConfidence ?? 0.5,
    minTrackingConfidence: options.minTrackingConfidence ?? 0.5,
    engine: options.engine ?? "worker",
    numThreads: options.threads,
    allowFallbackAdapter: options.allowFallbackAdapter ?? false,
  });
  return { init_ms: performance.now() - started, ...info() };
}

function info() {
  return {
    build: landmarker.build,
    backends: landmarker.backends,
    backend: landmarker.backend,
    fallback_reason: landmarker.fallbackReason,
    engine: landmarker.engineLocation,
    plan: landmarker.plan,
    cross_origin_isolated: globalThis.crossOriginIsolated === true,
    webgpu: "gpu" in navigator,
    user_agent: navigator.userAgent,
  };
}

// items: [{url, timestampMs}]; warmup: a black frame of the first image's size
// at warmup.timestampMs before it. Returns per item {width, height, time_ms, hands}; time_ms
// is the detect call's wall time, with the next image decoding meanwhile (benchDetect times
// detection alone).
async function run(items, warmup = null) {
  const load = (item) => decode(item.url).then((image) => ({ image }), (error) => ({ error }));
  const out = [];
  let next = items.length > 0 ? load(items[0]) : null;
  for (let i = 0; i < items.length; ++i) {
    const { image, error } = await next;
    // The next image is fetched and decoded while this one is detected (in the worker).
    next = i + 1 < items.length ? load(items[i + 1]) : null;
    if (error !== undefined) {
      // As `handtrack detect`: an unreadable photo gets an error, the others still run.
      out.push({ error: `failed to read image: ${error.message}` });
      continue;
    }
    if (warmup !== null) {
      await detectOne(blackFrame(image.width, image.height), warmup.timestampMs);
      warmup = null;
    }
    const started = performance.now();
    const result = await detectOne(image, items[i].timestampMs);
    const time_ms = performance.now() - started;
    out.push({ width: image.width, height: image.height, time_ms, palm_detection_ran: result.palmDetectionRan, hands: goldenHands(result) });
    image.close();
  }
  return out;
}

// Times IMAGE-mode detection of one image, all inside the page.
// synchronous: detect() on the page's thread, as MediaPipe's detect() is timed;
// else detectAsync() through the worker (transfer included).
async function benchDetect(url, warmup, runs, synchronous) {
  const image = await decode(url);
  const canvas = new OffscreenCanvas(image.width, image.height);
  canvas.getContext("2d").drawImage(image, 0, 0);
  const times = [];
  let hands = 0;
  for (let i = 0; i < warmup + runs; ++i) {
    const started = performance.now();
    const result = synchronous ? landmarker.detect(canvas) : await landmarker.detectAsync(canvas);
    const elapsed = performance.now() - started;
    hands = result.landmarks.length;
    if (i >= warmup) times.push(elapsed);
  }
  image.close();
  return { times, hands };
}

async function timeModel(url, name, warmup, runs) {
  const response = await fetch(url);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return landmarker.timeModel(bytes, name, { warmup, runs });
}

// Runs `frames` VIDEO-mode frames of one image (timestamps 1, 2, ... ms) and
// reports the heap before and after.
async function heapRun(url, frames) {
  const image = await decode(url);
  const canvas = new OffscreenCanvas(image.width, image.height);
  canvas.getContext("2d").drawImage(image, 0, 0);
  const pixels = canvas.getContext("2d").getImageData(0, 0, image.width, image.height);
  // A few frames first, so that buffers allocated once are counted in "before".
  let timestamp = 0;
  for (let i = 0; i < 20; ++i) await detectOne(pixels, ++timestamp);
  const before = await landmarker.heap();
  let hands = 0;
  const started = performance.now();
  for (let i = 0; i < frames; ++i) hands += (await detectOne(pixels, ++timestamp)).landmarks.length;
  const seconds = (performance.now() - started) / 1000;
  const after = await landmarker.heap();
  return { frames, before, after, hands, seconds };
}

function close() {
  landmarker?.close();
  landmarker = null;
}

window.harness = { init, run, info, benchDetect, timeModel, heapRun, close };
window.harnessReady = true;
