#!/usr/bin/env node
// Runs the package in headless Chromium (the harness the checks use):
//
//   node web/tools/browser-run.mjs detect [options] --output OUT.json IMAGE_OR_DIR...
//   node web/tools/browser-run.mjs track  [options] --output OUT.json VIDEO
//   node web/tools/browser-run.mjs bench  [--delegate D] [--threads N] [--runs N] [--warmup N] [--json] IMAGE
//   node web/tools/browser-run.mjs heap   [--frames N] [--threads N] [--engine E] IMAGE
//
// Build the package first (scripts/build_web.sh, or `npm run build` in web/).
// See usage() for the options.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openPage } from "./browser.mjs";
import { startStaticServer } from "./static_server.mjs";

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const kImageExtensions = /\.(jpe?g|png)$/i;
const kVersion = JSON.parse(fs.readFileSync(path.join(web, "package.json"), "utf8")).version;

function usage(message) {
  if (message) console.error(`browser-run: ${message}`);
  console.error(`usage:
  browser-run.mjs detect [options] --output OUT.json IMAGE_OR_DIR...
  browser-run.mjs track  [options] --output OUT.json VIDEO
  browser-run.mjs bench  [--delegate CPU|GPU] [--threads N] [--runs N] [--warmup N] [--json] IMAGE
  browser-run.mjs heap   [--frames N] [--threads N] [--engine worker|page] IMAGE

options:
  --delegate CPU|GPU             baseOptions.delegate (default CPU; GPU falls back to the CPU, with the reason)
  --threads N                    kernel threads (default 1); N > 1 serves a cross-origin-isolated page
                                 and runs the threaded build (handtrack_mt)
  --model full|lite              model variant (default full)
  --num-hands N                  most hands, 1 to 8 (default 2, as the golden)
  --min-detection-confidence F   (default 0.5)
  --min-presence-confidence F    (default 0.5)
  --min-tracking-confidence F    (default 0.5)
  --engine worker|page           detect, track, heap: where the engine runs: the package's Web Worker with
                                 the async calls (default), or the page's thread with MediaPipe's
                                 synchronous calls. bench runs both: the models and detect_async in the
                                 worker, detect (as MediaPipe's detect() is timed) on the page's thread
  --webgpu                       launch Chromium with --enable-unsafe-webgpu and let delegate GPU use a fallback
                                 (software) adapter, SwiftShader's here (default: no WebGPU adapter)
  --output FILE                  the JSON (golden schema) goes there (detect, track; default stdout)
  --fps F                        track: the frame rate when ffprobe cannot tell
  --runs N, --warmup N           bench: timed and untimed runs (default 20 and 5)
  --json                         bench: rows as JSON
  --frames N                     heap: VIDEO-mode frames (default 10000)
  --max-frames N                 track: only the first N frames of the video
  --verbose                      the browser's console on stderr

detect: photos decoded by Chromium (EXIF orientation applied), IMAGE mode. A photo that cannot be
        read gets "error" instead of hands (exit status 1); the others still run.
track: every frame of VIDEO (ffmpeg -vsync 0 to RGB PNG), VIDEO mode, one black warm-up frame at
       timestamp 0 and frame i at round((i + 1) * 1000 / fps), as the golden videos were made.
Exit status: 0 done, 1 failed, 2 bad usage.`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = {
    command: argv[0], inputs: [], delegate: "CPU", threads: 1, model: "full", numHands: 2,
    minDetection: 0.5, minPresence: 0.5, minTracking: 0.5, engine: "worker", webgpu: false,
    output: null, fps: null, runs: 20, warmup: 5, json: false, frames: 10000, verbose: false,
  };
  const number = (flag, text, integer) => {
    const value = Number(text);
    if (text === undefined || !Number.isFinite(value) || (integer && !Number.isInteger(value))) usage(`${flag} needs a${integer ? "n integer" : " number"}, got ${text}`);
    return value;
  };
  for (let i = 1; i < argv.length; ++i) {
    const flag = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${flag} needs a value`));
    switch (flag) {
      case "--delegate": args.delegate = value().toUpperCase(); break;
      case "--threads": args.threads = number(flag, value(), true); break;
      case "--model": args.model = value(); break;
      case "--num-hands": args.numHands = number(flag, value(), true); break;
      case "--min-detection-confidence": args.minDetection = number(flag, value(), false); break;
      case "--min-presence-confidence": args.minPresence = number(flag, value(), false); break;
      case "--min-tracking-confidence": args.minTracking = number(flag, value(), false); break;
      case "--engine": args.engine = value(); break;
      case "--webgpu": args.webgpu = true; break;
      case "--output": args.output = value(); break;
      case "--fps": args.fps = number(flag, value(), false); break;
      case "--runs": args.runs = number(flag, value(), true); break;
      case "--warmup": args.warmup = number(flag, value(), true); break;
      case "--json": args.json = true; break;
      case "--frames": args.frames = number(flag, value(), true); break;
      case "--max-frames": args.maxFrames = number(flag, value(), true); break;
      case "--verbose": args.verbose = true; break;
      case "-h": case "--help": usage();
      default:
        if (flag.startsWith("--")) usage(`unknown option ${flag}`);
        args.inputs.push(flag);
    }
  }
  if (!["detect", "track", "bench", "heap"].includes(args.command)) usage(args.command ? `unknown command ${args.command}` : "");
  if (!["CPU", "GPU"].includes(args.delegate)) usage("--delegate must be CPU or GPU");
  if (!["full", "lite"].includes(args.model)) usage("--model must be full or lite");
  if (!["worker", "page"].includes(args.engine)) usage("--engine must be worker or page");
  if (args.threads < 1 || args.threads > 64) usage("--threads must be 1 to 64");
  if (args.numHands < 1 || args.numHands > 8) usage("--num-hands must be 1 to 8");
  if (args.inputs.length === 0) usage(`${args.command} needs an input`);
  if (!fs.existsSync(path.join(web, "dist", "handtrack.mjs"))) {
    console.error("browser-run: web/dist is missing: build the package first (scripts/build_web.sh, or npm run build in web/)");
    process.exit(1);
  }
  return args;
}

// A directory stands for its .jpg/.jpeg/.png files, sorted by name.
function listImages(inputs) {
  const files = [];
  for (const input of inputs) {
    if (!fs.existsSync(input)) usage(`no such file or directory: ${input}`);
    if (fs.statSync(input).isDirectory()) {
      const names = fs.readdirSync(input).filter((name) => kImageExtensions.test(name)).sort();
      files.push(...names.map((name) => path.resolve(input, name)));
    } else {
      files.push(path.resolve(input));
    }
  }
  if (files.length === 0) usage("no images found");
  return files;
}

/** Starts the server and the page for args; returns {page, origin, close, initInfo}. */
async function startSession(args, files, runningMode) {
  const isolate = args.threads > 1;
  const served = new Map(files.map((file, index) => [`/input/${index}${path.extname(file).toLowerCase()}`, file]));
  const server = await startStaticServer({
    routes: { "/dist/": path.join(web, "dist"), "/harness/": path.join(web, "tools", "harness") },
    files: served,
    isolate,
  });
  let session;
  try {
    session = await openPage(server.origin, "/harness/index.html", { webgpu: args.webgpu, verbose: args.verbose });
    await session.page.waitForFunction(() => window.harnessReady === true, null, { timeout: 30000 });
    const initInfo = await session.page.evaluate((options) => window.harness.init(options), {
      runningMode, delegate: args.delegate, model: args.model, numHands: args.numHands,
      minHandDetectionConfidence: args.minDetection, minHandPresenceConfidence: args.minPresence,
      minTrackingConfidence: args.minTracking, engine: args.engine, threads: args.threads,
      // --webgpu: this machine's only adapter is SwiftShader's software one.
      allowFallbackAdapter: args.webgpu,
    });
    if (isolate && !initInfo.cross_origin_isolated) throw new Error("the page is not cross-origin isolated although the server sent COOP/COEP");
    return {
      page: session.page,
      urls: [...served.keys()],
      initInfo,
      close: async () => {
        await session.page.evaluate(() => window.harness.close()).catch(() => undefined);
        await session.close();
        await server.close();
      },
    };
  } catch (error) {
    await session?.close();
    await server.close();
    throw error;
  }
}

// The header object, in the style of `handtrack detect`'s.
function header(args, initInfo, extra = {}) {
  const suffix = args.model;
  return {
    handtrack: {
      version: kVersion,
      runtime: "browser",
      model: args.model,
      delegate: args.delegate,
      threads: initInfo.build.threads,
      num_hands: args.numHands,
      min_hand_detection_confidence: args.minDetection,
      min_hand_presence_confidence: args.minPresence,
      min_tracking_confidence: args.minTracking,
      handedness: "non-mirrored input, as MediaPipe Tasks",
      ...extra,
      backends: {
        [`palm_detection_${suffix}`]: initInfo.backends.palmDetection,
        [`hand_landmark_${suffix}`]: initInfo.backends.handLandmark,
      },
      fallback_reason: initInfo.fallback_reason,
      build: initInfo.build.name,
      build_reason: initInfo.build.reason,
      build_info: initInfo.build.info,
      engine: initInfo.engine,
      cross_origin_isolated: initInfo.cross_origin_isolated,
      browser: initInfo.user_agent,
    },
  };
}

// The golden schema, one frame per line (as `handtrack detect` writes it).
function writeGolden(outputPath, head, frames) {
  const text = `{${JSON.stringify(head).slice(1, -1)},\n"frames": [\n${frames.map((frame) => JSON.stringify(frame)).join(",\n")}\n]}\n`;
  if (outputPath === null) process.stdout.write(text);
  else {
    fs.mkdirSync(path.dirname(path.resolve(outputPath)), { recursive: true });
    fs.writeFileSync(outputPath, text);
  }
}

const round = (value, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

async function runDetect(args) {
  const files = listImages(args.inputs);
  const session = await startSession(args, files, "IMAGE");
  try {
    const frames = [];
    const chunk = 16;
    for (let start = 0; start < files.length; start += chunk) {
      const items = session.urls.slice(start, start + chunk).map((url) => ({ url, timestampMs: 0 }));
      const results = await session.page.evaluate(([list]) => window.harness.run(list), [items]);
      results.forEach((result, k) => {
        const index = start + k;
        if (result.error !== undefined) {
          console.error(`browser-run: ${files[index]}: ${result.error}`);
          frames.push({ index, file: path.basename(files[index]), error: result.error });
          return;
        }
        frames.push({ index, file: path.basename(files[index]), width: result.width, height: result.height,
          time_ms: round(result.time_ms, 2), num_hands: result.hands.length, hands: result.hands });
      });
    }
    writeGolden(args.output, header(args, session.initInfo), frames);
    if (frames.some((frame) => frame.error !== undefined)) process.exitCode = 1;
    const times = frames.filter((frame) => frame.error === undefined).map((frame) => frame.time_ms).sort((a, b) => a - b);
    console.error(`browser-run: ${frames.length} image(s), ${frames.reduce((sum, frame) => sum + (frame.num_hands ?? 0), 0)} hand(s), ` +
      `median ${times[times.length >> 1]} ms per detect (${session.initInfo.build.name}, ${session.initInfo.backend}, ${session.initInfo.engine})`);
  } finally {
    await session.close();
  }
}

function videoFrameRate(video, fallback) {
  try {
    const rate = execFileSync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=r_frame_rate",
      "-of", "csv=p=0", video], { encoding: "utf8" }).trim();
    const [numerator, denominator] = rate.split("/").map(Number);
    const fps = numerator / (denominator || 1);
    if (Number.isFinite(fps) && fps > 0) return fps;
  } catch (error) {
    if (fallback === null) throw new Error(`failed to read the frame rate of ${video}: ${error.message.split("\n")[0]}`);
  }
  if (fallback === null) throw new Error(`failed to read the frame rate of ${video}: give --fps`);
  return fallback;
}

async function runTrack(args) {
  if (args.inputs.length !== 1) usage("track takes one VIDEO");
  const video = path.resolve(args.inputs[0]);
  if (!fs.existsSync(video)) usage(`no such file: ${video}`);
  const fps = args.fps ?? videoFrameRate(video, null);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "handtrack-track-"));
  try {
    // As the golden videos were decoded: every frame (-vsync 0), RGB PNG.
    // --max-frames: only those are decoded.
    const frameLimit = args.maxFrames === undefined ? [] : ["-frames:v", String(args.maxFrames)];
    execFileSync("ffmpeg", ["-v", "error", "-i", video, "-vsync", "0", ...frameLimit, "-pix_fmt", "rgb24", "-compression_level", "1",
      path.join(folder, "%06d.png")], { stdio: ["ignore", "inherit", "inherit"] });
    const files = fs.readdirSync(folder).filter((name) => name.endsWith(".png")).sort().map((name) => path.join(folder, name));
    if (files.length === 0) throw new Error(`failed to decode ${video}: ffmpeg gave no frames`);
    const session = await startSession(args, files, "VIDEO");
    try {
      const frames = [];
      const chunk = 32;
      for (let start = 0; start < files.length; start += chunk) {
        const items = session.urls.slice(start, start + chunk).map((url, k) => ({ url, timestampMs: Math.round(((start + k + 1) * 1000) / fps) }));
        const warmup = start === 0 ? { timestampMs: 0 } : null;
        const results = await session.page.evaluate(([list, first]) => window.harness.run(list, first), [items, warmup]);
        results.forEach((result, k) => {
          frames.push({ index: start + k, file: path.basename(video), width: result.width, height: result.height,
            timestamp_ms: items[k].timestampMs, time_ms: round(result.time_ms, 2), num_hands: result.hands.length, hands: result.hands });
        });
      }
      writeGolden(args.output, header(args, session.initInfo, { video: path.basename(video), fps,
        timestamps: "one black warm-up frame at 0 ms, then frame i at round((i + 1) * 1000 / fps)" }), frames);
      const times = frames.map((frame) => frame.time_ms).sort((a, b) => a - b);
      console.error(`browser-run: ${path.basename(video)}: ${frames.length} frame(s) at ${fps} fps, median ${times[times.length >> 1]} ms per frame ` +
        `(${session.initInfo.build.name}, ${session.initInfo.backend}, ${session.initInfo.engine})`);
    } finally {
      await session.close();
    }
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function runBench(args) {
  if (args.inputs.length !== 1) usage("bench takes one IMAGE");
  const image = path.resolve(args.inputs[0]);
  const modelsFolder = path.join(web, "dist", "models");
  const models = ["palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"];
  const files = [image, ...models.map((name) => path.join(modelsFolder, `${name}.tflite`))];
  // Both engines: the models are timed in the worker, detect() on the page's
  // thread (as MediaPipe's detect() is timed) and detectAsync() through the worker.
  const session = await startSession({ ...args, model: "full", engine: "auto" }, files, "IMAGE");
  const rows = [];
  try {
    const threads = session.initInfo.build.threads;
    for (let m = 0; m < models.length; ++m) {
      const timing = await session.page.evaluate(([url, name, warmup, runs]) => window.harness.timeModel(url, name, warmup, runs),
        [session.urls[m + 1], models[m], args.warmup, args.runs]);
      rows.push({ what: models[m], backend: timing.backend, threads, median_ms: round(timing.medianMs), min_ms: round(timing.minMs) });
      if (!args.json) console.error(`${models[m].padEnd(20)} ${timing.backend} ${threads} thread(s): median ${round(timing.medianMs)} ms, min ${round(timing.minMs)} ms`);
    }
    for (const [what, synchronous, how] of [["detect", true, "detect() on the page's thread"], ["detect_async", false, "detectAsync() through the worker"]]) {
      const timing = await session.page.evaluate(([url, warmup, runs, sync]) => window.harness.benchDetect(url, warmup, runs, sync),
        [session.urls[0], args.warmup, args.runs, synchronous]);
      // delegate GPU: the page's synchronous copy runs on the CPU, the worker on the GPU.
      const backend = synchronous && args.delegate === "GPU" ? "wasm" : session.initInfo.backend;
      const row = { what, backend, threads, median_ms: round(median(timing.times)), min_ms: round(Math.min(...timing.times)) };
      rows.push(row);
      if (!args.json) {
        console.error(`${what.padEnd(20)} ${row.backend} ${threads} thread(s): median ${row.median_ms} ms, min ${row.min_ms} ms ` +
          `(${timing.hands} hand(s), IMAGE mode, full models, ${how}, ${session.initInfo.build.name})`);
      }
    }
    if (!args.json && session.initInfo.fallback_reason) console.error(`fallback: ${session.initInfo.fallback_reason}`);
  } finally {
    await session.close();
  }
  if (args.json) process.stdout.write(`[\n${rows.map((row) => ` ${JSON.stringify(row)}`).join(",\n")}\n]\n`);
}

async function runHeap(args) {
  if (args.inputs.length !== 1) usage("heap takes one IMAGE");
  const session = await startSession(args, [path.resolve(args.inputs[0])], "VIDEO");
  try {
    const report = await session.page.evaluate(([url, frames]) => window.harness.heapRun(url, frames), [session.urls[0], args.frames]);
    const growth = report.after.allocatedBytes - report.before.allocatedBytes;
    const line = (label, heap) => `${label}: ht_heap_allocated_bytes ${heap.allocatedBytes}, ht_heap_size_bytes ${heap.heapSizeBytes}`;
    console.log(line("before", report.before));
    console.log(line(`after ${report.frames} VIDEO-mode frames`, report.after));
    console.log(`growth: allocated ${growth} bytes, heap ${report.after.heapSizeBytes - report.before.heapSizeBytes} bytes; ` +
      `${report.hands} hands found; ${(report.frames / report.seconds).toFixed(1)} frames/s (${session.initInfo.build.name}, ${session.initInfo.engine})`);
    console.log(JSON.stringify({ frames: report.frames, before: report.before, after: report.after, hands: report.hands, seconds: round(report.seconds, 2),
      build: session.initInfo.build.name, engine: session.initInfo.engine }));
  } finally {
    await session.close();
  }
}

const args = parseArgs(process.argv.slice(2));
try {
  if (args.command === "detect") await runDetect(args);
  else if (args.command === "track") await runTrack(args);
  else if (args.command === "bench") await runBench(args);
  else await runHeap(args);
} catch (error) {
  console.error(`browser-run: ${error?.message ?? error}`);
  process.exit(1);
}
