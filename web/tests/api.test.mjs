// The package's API in Chromium: MediaPipe's shapes and calls, every input
// type, the worker and async calls, live-stream dropping, .task bundles, bad
// calls (each rejected with a clear one-line message, the landmarker still
// usable after), the build and backend reports.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { hasShared, inCI, openSession, web } from "./helpers.mjs";

const models = path.join(web, "dist", "models");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "handtrack-api-test-"));

// MediaPipe's .task bundles made of our models: one stored, one deflated (zip
// is Python's zipfile, which is what MediaPipe's own tooling writes).
function makeTask(file, deflate) {
  execFileSync("python3", ["-c", `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED if sys.argv[4] == "1" else zipfile.ZIP_STORED) as z:
    z.write(sys.argv[2], "hand_detector.tflite")
    z.write(sys.argv[3], "hand_landmarks_detector.tflite")
`, file, path.join(models, "palm_detection_full.tflite"), path.join(models, "hand_landmark_full.tflite"), deflate ? "1" : "0"]);
}
const storedTask = path.join(scratch, "stored.task");
const deflatedTask = path.join(scratch, "deflated.task");
const corruptTask = path.join(scratch, "corrupt.task");
makeTask(storedTask, false);
makeTask(deflatedTask, true);
{
  // A bundle whose landmark model is cut in half: it unzips, the module refuses it.
  const half = path.join(scratch, "half.tflite");
  const bytes = fs.readFileSync(path.join(models, "hand_landmark_full.tflite"));
  fs.writeFileSync(half, bytes.subarray(0, bytes.length >> 1));
  execFileSync("python3", ["-c", `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.write(sys.argv[2], "hand_detector.tflite")
    z.write(sys.argv[3], "hand_landmarks_detector.tflite")
`, corruptTask, path.join(models, "palm_detection_full.tflite"), half]);
}

const extraFiles = new Map([
  ["/tasks/stored.task", storedTask],
  ["/tasks/deflated.task", deflatedTask],
  ["/tasks/corrupt.task", corruptTask],
]);

let session;
before(async () => {
  if (!hasShared && inCI) throw new Error("shared/ is missing in CI");
  session = await openSession({ extraFiles });
  // Page-side helpers every test uses: the module, a fileset, loaded images.
  await session.page.evaluate(async () => {
    const module = await import("/dist/handtrack.mjs");
    const fileset = await module.FilesetResolver.forVisionTasks("/dist/");
    const image = new Image();
    image.src = "/images/two_hands_heart_torso_01.jpg";
    await image.decode();
    const oneHand = new Image();
    oneHand.src = "/images/count_five_open_hand_webcam_01.jpg";
    await oneHand.decode();
    const canvasOf = (source) => {
      const canvas = document.createElement("canvas");
      canvas.width = source.naturalWidth ?? source.width;
      canvas.height = source.naturalHeight ?? source.height;
      canvas.getContext("2d").drawImage(source, 0, 0);
      return canvas;
    };
    // Runs fn and returns the message it threw or rejected with (or null).
    const errorOf = async (fn) => {
      try {
        await fn();
        return null;
      } catch (error) {
        return error.message;
      }
    };
    window.t = { ...module, fileset, image, oneHand, canvasOf, errorOf };
  });
});
after(async () => {
  await session?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const evaluate = (fn, arg) => session.page.evaluate(fn, arg);

describe("MediaPipe's API", () => {
  test("detect() gives tasks-vision 1.1.0's result shape, with handtrack's details non-enumerable", async () => {
    const shape = await evaluate(async () => {
      const { HandLandmarker, fileset, image } = window.t;
      const landmarker = await HandLandmarker.createFromOptions(fileset, { baseOptions: { modelAssetPath: "/dist/models/", delegate: "CPU" }, numHands: 2 });
      const result = landmarker.detect(image);
      const out = {
        keys: Object.keys(result),
        json: JSON.parse(JSON.stringify(result)),
        hands: result.hands,
        palmDetectionRan: result.palmDetectionRan,
        sameArray: result.handedness === result.handednesses,
        connections: HandLandmarker.HAND_CONNECTIONS.length,
        firstConnection: HandLandmarker.HAND_CONNECTIONS[0],
        engine: landmarker.engineLocation,
      };
      landmarker.close();
      return out;
    });
    assert.deepEqual(shape.keys, ["landmarks", "worldLandmarks", "handednesses", "handedness"]);
    assert.equal(shape.json.landmarks.length, 2, "two hands in two_hands_heart_torso_01.jpg");
    for (const hand of [0, 1]) {
      assert.equal(shape.json.landmarks[hand].length, 21);
      assert.equal(shape.json.worldLandmarks[hand].length, 21);
      assert.deepEqual(Object.keys(shape.json.landmarks[hand][0]), ["x", "y", "z", "visibility"]);
      assert.deepEqual(Object.keys(shape.json.worldLandmarks[hand][0]), ["x", "y", "z", "visibility"]);
      assert.equal(shape.json.handedness[hand].length, 1);
      const category = shape.json.handedness[hand][0];
      assert.deepEqual(Object.keys(category), ["score", "index", "categoryName", "displayName"]);
      assert.ok(["Right", "Left"].includes(category.categoryName));
      assert.equal(category.index, category.categoryName === "Right" ? 0 : 1);
      assert.ok(category.score >= 0.5 && category.score <= 1);
      assert.equal(category.displayName, "");
    }
    assert.deepEqual(shape.json.handedness.map((h) => h[0].categoryName).sort(), ["Left", "Right"]);
    assert.ok(shape.sameArray, "handednesses is handedness, as in tasks-vision");
    assert.equal(shape.hands.length, 2);
    assert.deepEqual(Object.keys(shape.hands[0]).sort(),
      ["extendedFingers", "fingerCount", "gesture", "handednessModelOutput", "id", "palmFacingCamera", "pinch", "presence"]);
    assert.equal(shape.palmDetectionRan, true);
    assert.equal(shape.connections, 21);
    assert.deepEqual(shape.firstConnection, { start: 0, end: 1 });
    assert.equal(shape.engine, "worker+page", "engine auto: the worker plus a page copy for the synchronous calls");
  });

  test("every input type gives the same hands, synchronously and in the worker", async () => {
    const outcome = await evaluate(async () => {
      const { HandLandmarker, fileset, oneHand, canvasOf } = window.t;
      const landmarker = await HandLandmarker.createFromOptions(fileset, { numHands: 2 });
      const canvas = canvasOf(oneHand);
      const offscreen = new OffscreenCanvas(canvas.width, canvas.height);
      offscreen.getContext("2d").drawImage(canvas, 0, 0);
      const video = document.createElement("video");
      video.muted = true;
      video.srcObject = canvas.captureStream();
      await video.play();
      while (video.readyState < 2 || video.videoWidth === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const sources = {
        HTMLImageElement: oneHand,
        HTMLCanvasElement: canvas,
        OffscreenCanvas: offscreen,
        ImageBitmap: await createImageBitmap(canvas),
        ImageData: canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height),
        VideoFrame: new VideoFrame(canvas, { timestamp: 0 }),
        HTMLVideoElement: video,
      };
      const reference = landmarker.detect(canvas).landmarks;
      const out = {};
      for (const [name, source] of Object.entries(sources)) {
        const sync = landmarker.detect(source).landmarks;
        const async = (await landmarker.detectAsync(source)).landmarks;
        const error = (a, b) => (a.length !== b.length ? Infinity : Math.max(0, ...a.flatMap((hand, h) => hand.map((p, k) => Math.hypot(p.x - b[h][k].x, p.y - b[h][k].y)))));
        out[name] = { syncHands: sync.length, asyncHands: async.length, syncError: error(sync, reference), asyncError: error(async, reference) };
      }
      sources.VideoFrame.close();
      video.srcObject.getTracks().forEach((track) => track.stop());
      landmarker.close();
      return out;
    });
    console.log(`# largest landmark difference from the canvas: ${Object.entries(outcome).map(([name, r]) => `${name} ${r.syncError.toExponential(1)}/${r.asyncError.toExponential(1)}`).join(", ")}`);
    for (const [name, result] of Object.entries(outcome)) {
      assert.equal(result.syncHands, 1, `${name}: one hand (sync)`);
      assert.equal(result.asyncHands, 1, `${name}: one hand (async)`);
      // The canvas, and every source made from it, hold the same pixels. The
      // image element is decoded on its own (Chromium may decode a JPEG through
      // YUV on another path, +-1 per pixel) and the video element goes through
      // a capture stream's colour conversion: close, not equal.
      const bound = name === "HTMLVideoElement" || name === "HTMLImageElement" ? 0.02 : 1e-5;
      assert.ok(result.syncError <= bound, `${name}: sync landmarks differ by ${result.syncError}`);
      assert.ok(result.asyncError <= bound, `${name}: async landmarks differ by ${result.asyncError}`);
    }
  });

  test("VIDEO mode: detectForVideo and detectForVideoAsync track with stable ids; setOptions switches modes", async () => {
    const outcome = await evaluate(async () => {
      const { HandLandmarker, fileset, image } = window.t;
      const landmarker = await HandLandmarker.createFromOptions(fileset, { runningMode: "VIDEO", numHands: 2 });
      const ids = [];
      const palmRan = [];
      for (let frame = 1; frame <= 4; ++frame) {
        const result = frame % 2 ? landmarker.detectForVideo(image, frame * 33) : await landmarker.detectForVideoAsync(image, frame * 33);
        ids.push(result.hands.map((hand) => hand.id).sort());
        palmRan.push(result.palmDetectionRan);
      }
      await landmarker.setOptions({ runningMode: "IMAGE", numHands: 1 });
      const oneHand = landmarker.detect(image).landmarks.length;
      await landmarker.setOptions({ numHands: undefined });  // back to the default, 1
      const defaultHands = landmarker.detect(image).landmarks.length;
      landmarker.close();
      return { ids, palmRan, oneHand, defaultHands };
    });
    // The sync (page) and async (worker) engines track separately: ids are stable in each.
    assert.deepEqual(outcome.ids[2], outcome.ids[0]);
    assert.deepEqual(outcome.ids[3], outcome.ids[1]);
    assert.equal(outcome.ids[0].length, 2);
    assert.equal(outcome.palmRan[2], false, "the third frame's hands came from tracking");
    assert.equal(outcome.oneHand, 1);
    assert.equal(outcome.defaultHands, 1);
  });

  test("createFromModelPath and createFromModelBuffer take MediaPipe .task bundles (stored and deflated)", async () => {
    const outcome = await evaluate(async () => {
      const { HandLandmarker, fileset, image } = window.t;
      const out = {};
      const stored = await HandLandmarker.createFromModelPath(fileset, "/tasks/stored.task");
      out.stored = stored.detect(image).landmarks.length;
      stored.close();
      const bytes = new Uint8Array(await (await fetch("/tasks/deflated.task")).arrayBuffer());
      const deflated = await HandLandmarker.createFromModelBuffer(fileset, bytes);
      out.deflated = deflated.detect(image).landmarks.length;
      deflated.close();
      const reader = (await fetch("/tasks/stored.task")).body.getReader();
      const streamed = await HandLandmarker.createFromOptions(fileset, { baseOptions: { modelAssetBuffer: reader }, numHands: 2 });
      out.streamed = streamed.detect(image).landmarks.length;
      streamed.close();
      return out;
    });
    // createFromModelPath/Buffer use MediaPipe's default numHands, 1.
    assert.deepEqual(outcome, { stored: 1, deflated: 1, streamed: 2 });
  });
});

describe("MediaPipe's DrawingUtils", () => {
  test("drawConnectors and drawLandmarks draw a hand on a 2-D canvas", async () => {
    const outcome = await evaluate(async () => {
      const { HandLandmarker, DrawingUtils, fileset, image, canvasOf } = window.t;
      const landmarker = await HandLandmarker.createFromOptions(fileset, { numHands: 2 });
      const result = landmarker.detect(image);
      landmarker.close();
      const canvas = canvasOf(image);
      const context = canvas.getContext("2d");
      context.fillStyle = "#000";
      context.fillRect(0, 0, canvas.width, canvas.height);
      const drawing = new DrawingUtils(context);
      for (const landmarks of result.landmarks) {
        drawing.drawConnectors(landmarks, HandLandmarker.HAND_CONNECTIONS, { color: "#00FF00", lineWidth: 2 });
        drawing.drawLandmarks(landmarks, { color: "#FF0000", radius: (data) => DrawingUtils.lerp(data.from.z, -0.15, 0.1, 5, 1) });
      }
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let green = 0;
      let red = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 1] > 200 && pixels[i] < 50) green++;
        if (pixels[i] > 200 && pixels[i + 1] < 50) red++;
      }
      return { green, red };
    });
    assert.ok(outcome.green > 100 && outcome.red > 100, JSON.stringify(outcome));
  });
});

describe("handtrack's additions", () => {
  test("LIVE_STREAM: results go to resultListener in order; stale frames are dropped and counted", async () => {
    const outcome = await evaluate(async () => {
      const { HandLandmarker, fileset, image } = window.t;
      const seen = [];
      const landmarker = await HandLandmarker.createFromOptions(fileset, {
        runningMode: "LIVE_STREAM", numHands: 2, engine: "worker",
        resultListener: (result, _image, timestampMs) => seen.push({ timestampMs, hands: result.landmarks.length }),
      });
      const promises = [];
      for (let frame = 1; frame <= 12; ++frame) promises.push(landmarker.detectAsync(image, frame * 10));
      const results = await Promise.all(promises);
      const stats = landmarker.liveStreamStats;
      const dropped = landmarker.droppedFrames;
      landmarker.close();
      return { seen, stats, dropped, nulls: results.filter((result) => result === null).length };
    });
    assert.equal(outcome.stats.submitted, 12);
    assert.ok(outcome.stats.dropped > 0, `frames handed in faster than they run are dropped (${JSON.stringify(outcome.stats)})`);
    assert.equal(outcome.stats.processed + outcome.stats.dropped, 12);
    assert.equal(outcome.dropped, outcome.stats.dropped);
    assert.equal(outcome.nulls, outcome.stats.dropped, "a dropped frame's promise resolves null");
    assert.equal(outcome.seen.length, outcome.stats.processed);
    assert.equal(outcome.seen.at(-1).timestampMs, 120, "the newest frame always runs");
    const stamps = outcome.seen.map((entry) => entry.timestampMs);
    assert.deepEqual(stamps, [...stamps].sort((a, b) => a - b), "results arrive in order");
    assert.ok(outcome.seen.every((entry) => entry.hands === 2));
  });

  test("engine \"worker\" runs only async calls; engine \"page\" runs async calls on the page", async () => {
    const outcome = await evaluate(async () => {
      const { HandLandmarker, fileset, image, errorOf } = window.t;
      const worker = await HandLandmarker.createFromOptions(fileset, { engine: "worker", numHands: 2 });
      const syncError = await errorOf(() => worker.detect(image));
      const workerHands = (await worker.detectAsync(image)).landmarks.length;
      worker.close();
      const page = await HandLandmarker.createFromOptions(fileset, { engine: "page", numHands: 2 });
      const pageHands = (await page.detectAsync(image)).landmarks.length;
      const locations = [page.engineLocation];
      page.close();
      return { syncError, workerHands, pageHands, locations };
    });
    assert.match(outcome.syncError, /^failed to detect hands: detect\(\) is synchronous, but this HandLandmarker runs only in a worker/);
    assert.equal(outcome.workerHands, 2);
    assert.equal(outcome.pageHands, 2);
    assert.deepEqual(outcome.locations, ["page"]);
  });

  test("a page that is not cross-origin isolated gets the single-threaded build, with the reason", async () => {
    const build = await evaluate(async () => {
      const { HandLandmarker, fileset } = window.t;
      const landmarker = await HandLandmarker.createFromOptions(fileset, { engine: "worker" });
      const out = { ...landmarker.build, isolated: crossOriginIsolated };
      landmarker.close();
      return out;
    });
    assert.equal(build.isolated, false);
    assert.equal(build.name, "handtrack_st");
    assert.equal(build.threads, 1);
    assert.match(build.reason, /not cross-origin isolated/);
    assert.match(build.info, /wasm simd128/);
    console.log(`# build: ${build.name}: ${build.reason}`);
  });

  test("delegate GPU in a browser without WebGPU runs on the CPU, with the reason", async () => {
    const report = await evaluate(async () => {
      const { HandLandmarker, fileset, image } = window.t;
      const landmarker = await HandLandmarker.createFromOptions(fileset, { baseOptions: { delegate: "GPU" }, engine: "worker", numHands: 2 });
      const hands = (await landmarker.detectAsync(image)).landmarks.length;
      const out = { backend: landmarker.backend, backends: landmarker.backends, reason: landmarker.fallbackReason, hands };
      const cpu = await HandLandmarker.createFromOptions(fileset, { baseOptions: { delegate: "CPU" }, engine: "worker" });
      out.cpuReason = cpu.fallbackReason;
      cpu.close();
      landmarker.close();
      return out;
    });
    assert.equal(report.hands, 2);
    assert.match(report.reason, /^delegate "GPU": .*(navigator\.gpu is missing|WebGPU has no adapter here)/);
    assert.match(report.reason, /so the CPU backend \(wasm\) runs$/);
    assert.equal(report.backends.fallbackReason, report.reason);
    assert.ok(["wasm", "reference"].includes(report.backends.palmDetection), report.backend);
    if (report.backend === "wasm") assert.equal(report.cpuReason, null);
    console.log(`# GPU fallback: ${report.backend}: ${report.reason}`);
  });

  test("heap() reports the worker's wasm heap", async () => {
    const heap = await evaluate(async () => {
      const { HandLandmarker, fileset } = window.t;
      const landmarker = await HandLandmarker.createFromOptions(fileset, { engine: "worker" });
      const out = await landmarker.heap();
      landmarker.close();
      return out;
    });
    assert.ok(heap.allocatedBytes > 0 && heap.heapSizeBytes >= heap.allocatedBytes, JSON.stringify(heap));
  });
});

describe("bad calls reject with one clear line and leave the landmarker usable", () => {
  test("images without pixels: zero-size, detached, closed, not loaded, wrong type", async () => {
    const errors = await evaluate(async () => {
      const { HandLandmarker, fileset, image, errorOf } = window.t;
      const landmarker = await HandLandmarker.createFromOptions(fileset, { numHands: 2 });
      const emptyCanvas = document.createElement("canvas");
      emptyCanvas.width = 0;
      const closedBitmap = await createImageBitmap(image);
      closedBitmap.close();
      const detached = new ImageData(8, 8);
      structuredClone(detached.data.buffer, { transfer: [detached.data.buffer] });
      const closedFrame = new VideoFrame(await createImageBitmap(image), { timestamp: 0 });
      closedFrame.close();
      const notLoaded = new Image();
      const transferredCanvas = document.createElement("canvas").transferControlToOffscreen();
      structuredClone(transferredCanvas, { transfer: [transferredCanvas] });
      const cases = {
        zeroSize: emptyCanvas, closedBitmap, detached, closedFrame, notLoaded, transferredCanvas,
        wrongType: "not an image", nothing: null,
      };
      const out = {};
      for (const [name, bad] of Object.entries(cases)) {
        out[name] = {
          sync: await errorOf(() => landmarker.detect(bad)),
          async: await errorOf(() => landmarker.detectAsync(bad)),
          usable: landmarker.detect(image).landmarks.length,
        };
      }
      out.afterAll = (await landmarker.detectAsync(image)).landmarks.length;
      landmarker.close();
      return out;
    });
    const expected = {
      zeroSize: /the image is empty \(0x150\)|the image is empty/,
      closedBitmap: /the ImageBitmap is closed or detached/,
      detached: /the ImageData's buffer is detached/,
      closedFrame: /the VideoFrame is closed/,
      notLoaded: /the HTMLImageElement has no pixels yet/,
      transferredCanvas: /the canvas is detached|the image is empty/,
      wrongType: /expected an HTMLImageElement, .*got string/,
      nothing: /got null/,
    };
    for (const [name, pattern] of Object.entries(expected)) {
      const outcome = errors[name];
      for (const message of [outcome.sync, outcome.async]) {
        assert.ok(message !== null, `${name}: accepted`);
        assert.match(message, /^failed to read image: /, `${name}: ${message}`);
        assert.match(message, pattern, `${name}: ${message}`);
        assert.ok(!message.includes("\n"), `${name}: one line`);
      }
      assert.equal(outcome.usable, 2, `${name}: usable after`);
    }
    assert.equal(errors.afterAll, 2);
  });

  test("wrong running mode, timestamps that do not increase, bad options", async () => {
    const errors = await evaluate(async () => {
      const { HandLandmarker, fileset, image, errorOf } = window.t;
      const imageMode = await HandLandmarker.createFromOptions(fileset, { numHands: 2 });
      const video = await HandLandmarker.createFromOptions(fileset, { runningMode: "VIDEO", numHands: 2 });
      const out = {
        forVideoInImage: await errorOf(() => imageMode.detectForVideo(image, 1)),
        forVideoAsyncInImage: await errorOf(() => imageMode.detectForVideoAsync(image, 1)),
        detectInVideo: await errorOf(() => video.detect(image)),
        detectAsyncInVideo: await errorOf(() => video.detectAsync(image)),
      };
      video.detectForVideo(image, 100);
      out.sameTimestamp = await errorOf(() => video.detectForVideo(image, 100));
      out.earlierTimestamp = await errorOf(() => video.detectForVideoAsync(image, 50));
      out.noTimestamp = await errorOf(() => video.detectForVideo(image));
      out.videoUsable = video.detectForVideo(image, 133).landmarks.length;
      out.videoAsyncUsable = (await video.detectForVideoAsync(image, 166)).landmarks.length;
      out.badNumHands = await errorOf(() => HandLandmarker.createFromOptions(fileset, { numHands: 0 }));
      out.badConfidence = await errorOf(() => imageMode.setOptions({ minHandDetectionConfidence: 2 }));
      out.badMode = await errorOf(() => imageMode.setOptions({ runningMode: "STREAM" }));
      out.badDelegate = await errorOf(() => HandLandmarker.createFromOptions(fileset, { baseOptions: { delegate: "TPU" } }));
      out.processingOptions = await errorOf(() => imageMode.detect(image, { rotationDegrees: 90 }));
      out.imageUsable = imageMode.detect(image).landmarks.length;
      imageMode.close();
      video.close();
      return out;
    });
    assert.match(errors.forVideoInImage, /^failed to detect hands: detectForVideo\(\) needs runningMode "VIDEO", but this HandLandmarker runs in "IMAGE"/);
    assert.match(errors.forVideoAsyncInImage, /^failed to detect hands: detectForVideoAsync\(\) needs runningMode "VIDEO"/);
    assert.match(errors.detectInVideo, /^failed to detect hands: detect\(\) needs runningMode "IMAGE", but this HandLandmarker runs in "VIDEO"/);
    assert.match(errors.detectAsyncInVideo, /^failed to detect hands: detectAsync\(\) needs runningMode "IMAGE"/);
    assert.match(errors.sameTimestamp, /^failed to detect hands: timestamp 100 ms is not after the previous frame's 100 ms/);
    assert.match(errors.earlierTimestamp, /^failed to detect hands: timestamp 50 ms is not after the previous frame's 100 ms/);
    assert.match(errors.noTimestamp, /^failed to detect hands: the timestamp must be a finite number/);
    assert.equal(errors.videoUsable, 2);
    assert.equal(errors.videoAsyncUsable, 2);
    assert.match(errors.badNumHands, /^failed to create HandLandmarker: numHands must be an integer from 1 to 8, got 0$/);
    assert.match(errors.badConfidence, /^failed to set options: minHandDetectionConfidence must be a number from 0 to 1, got 2$/);
    assert.match(errors.badMode, /^failed to set options: runningMode must be/);
    assert.match(errors.badDelegate, /^failed to create HandLandmarker: baseOptions.delegate must be "CPU" or "GPU"/);
    assert.match(errors.processingOptions, /^failed to detect hands: imageProcessingOptions .* not supported/);
    assert.equal(errors.imageUsable, 2);
  });

  test("calls after close()", async () => {
    const errors = await evaluate(async () => {
      const { HandLandmarker, fileset, image, errorOf } = window.t;
      const landmarker = await HandLandmarker.createFromOptions(fileset, {});
      landmarker.close();
      landmarker.close();  // idempotent
      return {
        detect: await errorOf(() => landmarker.detect(image)),
        detectAsync: await errorOf(() => landmarker.detectAsync(image)),
        setOptions: await errorOf(() => landmarker.setOptions({ numHands: 2 })),
        heap: await errorOf(() => landmarker.heap()),
      };
    });
    assert.match(errors.detect, /^failed to detect hands: the HandLandmarker is closed$/);
    assert.match(errors.detectAsync, /^failed to detect hands: the HandLandmarker is closed$/);
    assert.match(errors.setOptions, /^failed to set options: the HandLandmarker is closed$/);
    assert.match(errors.heap, /^failed to read the heap: the HandLandmarker is closed$/);
  });

  test("corrupt or missing model bytes", async () => {
    const errors = await evaluate(async () => {
      const { HandLandmarker, fileset, image, errorOf } = window.t;
      const garbage = new Uint8Array(1000).map((_, i) => (i * 37) & 255);
      const out = {
        notATask: await errorOf(() => HandLandmarker.createFromModelBuffer(fileset, garbage)),
        brokenZip: await errorOf(() => HandLandmarker.createFromModelBuffer(fileset, new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3]))),
        corruptModel: await errorOf(() => HandLandmarker.createFromModelPath(fileset, "/tasks/corrupt.task")),
        missingFolder: await errorOf(() => HandLandmarker.createFromModelPath(fileset, "/no/such/folder/")),
        missingTask: await errorOf(() => HandLandmarker.createFromModelPath(fileset, "/no/such.task")),
      };
      // The module stays usable for the next landmarker in the same page.
      const landmarker = await HandLandmarker.createFromOptions(fileset, { numHands: 2 });
      out.usable = landmarker.detect(image).landmarks.length;
      landmarker.close();
      return out;
    });
    assert.match(errors.notATask, /^failed to read the model bundle modelAssetBuffer: its 1000 bytes are not a \.task bundle/);
    assert.match(errors.brokenZip, /^failed to read the model bundle modelAssetBuffer: it is not a readable zip archive \(/);
    assert.match(errors.corruptModel, /^failed to /);
    assert.match(errors.corruptModel, /hand_landmark/);
    assert.ok(!errors.corruptModel.includes("\n"), errors.corruptModel);
    assert.match(errors.missingFolder, /^failed to fetch model .*\/no\/such\/folder\/palm_detection_full\.tflite: HTTP 404$/);
    assert.match(errors.missingTask, /^failed to fetch model bundle .*\/no\/such\.task: HTTP 404$/);
    assert.equal(errors.usable, 2);
    console.log(`# corrupt model: ${errors.corruptModel}`);
  });
});
