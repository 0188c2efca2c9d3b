// The build and backend a page gets: a cross-origin-isolated page runs the
// threaded build (handtrack_mt), with the same answers; a browser with WebGPU
// still runs the CPU backend for delegate "GPU", and says that no WebGPU
// backend exists yet. (The non-isolated page and the browser without WebGPU
// are in api.test.mjs.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { hasThreadedBuild, inCI, withPage } from "./helpers.mjs";

// Creates a landmarker with options and detects on the two-hand photo.
async function detectWith(page, options) {
  return page.evaluate(async (settings) => {
    const { FilesetResolver, HandLandmarker } = await import("/dist/handtrack.mjs");
    const fileset = await FilesetResolver.forVisionTasks("/dist/");
    const image = new Image();
    image.src = "/images/two_hands_heart_torso_01.jpg";
    await image.decode();
    const landmarker = await HandLandmarker.createFromOptions(fileset, { numHands: 2, engine: "worker", ...settings });
    const result = await landmarker.detectAsync(image);
    const out = {
      isolated: crossOriginIsolated,
      build: landmarker.build,
      backend: landmarker.backend,
      reason: landmarker.fallbackReason,
      landmarks: result.landmarks.map((hand) => hand.map((point) => [point.x, point.y])),
    };
    landmarker.close();
    return out;
  }, options);
}

test("a cross-origin-isolated page runs the threaded build, with the same answers", async (t) => {
  if (!hasThreadedBuild) {
    if (inCI) throw new Error("web/dist has no handtrack_mt build");
    t.skip("no handtrack_mt in web/dist");
    return;
  }
  await withPage({ isolate: true }, async ({ page }) => {
    const threaded = await detectWith(page, {});
    const single = await detectWith(page, { numThreads: 1 });
    console.log(`# isolated: ${threaded.build.name}, ${threaded.build.threads} thread(s): ${threaded.build.reason}`);
    assert.equal(threaded.isolated, true);
    assert.equal(threaded.build.name, "handtrack_mt");
    assert.ok(threaded.build.threads >= 1);
    assert.match(threaded.build.reason, /cross-origin isolated: the threaded build/);
    assert.match(threaded.build.info, /threads/);
    assert.equal(single.build.name, "handtrack_st");
    assert.match(single.build.reason, /numThreads is 1/);
    assert.equal(threaded.landmarks.length, 2);
    assert.equal(single.landmarks.length, 2);
    const difference = Math.max(...threaded.landmarks.flatMap((hand, h) => hand.map((p, k) => Math.hypot(p[0] - single.landmarks[h][k][0], p[1] - single.landmarks[h][k][1]))));
    assert.ok(difference <= 1e-4, `threaded and single-threaded landmarks differ by ${difference}`);
  });
});

test("with only a software WebGPU adapter, delegate GPU runs the CPU backend unless asked, and says why", async () => {
  await withPage({ webgpu: true }, async ({ page }) => {
    const report = await detectWith(page, { baseOptions: { delegate: "GPU" } });
    console.log(`# WebGPU present (SwiftShader): ${report.backend}: ${report.reason}`);
    assert.equal(report.landmarks.length, 2);
    assert.equal(report.backend, "wasm");
    assert.match(report.reason, /^delegate "GPU": .*the only WebGPU adapter is a fallback \(software\) adapter/);
  });
});
