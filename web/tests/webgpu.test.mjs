// The webgpu backend in Chromium with --enable-unsafe-webgpu (SwiftShader's
// software adapter, opted in): the C++ tests of the handtrack_gpu build run on
// the page (every op case against the reference, the four models against
// TFLite's tensors), the package runs delegate "GPU" on the GPU, and every
// fallback case, driven by fault injection or by the browser itself, ends on
// the wasm CPU backend with the same hands and the reason shown.
//
// Needs build-wasm-gpu (scripts/build_web.sh) and web/dist with handtrack_gpu.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { openPage } from "../tools/browser.mjs";
import { startStaticServer } from "../tools/static_server.mjs";
import { browserRun, compare, goldenDir, hasShared, images, inCI, metrics, openSession, repo, shared, twoHandPhoto, videos } from "./helpers.mjs";

const testBuild = path.resolve(repo, process.env.HANDTRACK_GPU_BUILD ?? "build-wasm-gpu", "tests");
const modelsDir = process.env.HANDTRACK_MODELS ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "handtrack", "models");
const kModels = ["palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"];
const hasGpuTests = fs.existsSync(path.join(testBuild, "golden_tensors_test.js"));
const hasGpuPackage = fs.existsSync(path.join(repo, "web", "dist", "handtrack_gpu.wasm"));

/** Skips (or fails in CI) without the WebGPU build's tests (what: "tests") or package (what: "package"). */
function buildOrSkip(t, what = "package") {
  if ((what === "tests" ? hasGpuTests : hasGpuPackage) && hasShared) return true;
  if (inCI) throw new Error(`the WebGPU build (${what === "tests" ? testBuild : "web/dist/handtrack_gpu.wasm"}) or ../shared is missing in CI`);
  t.skip("no WebGPU build (scripts/build_web.sh) or no ../shared");
  return false;
}

/** Runs a test executable of build-wasm-gpu on a page with WebGPU; resolves to {status, output}. */
async function runWasmTest(name, args, files, timeoutMs) {
  const fileRoutes = new Map(files.map((file) => [`/fs${file}`, file]));
  fileRoutes.set("/wasm-test/page.html", path.join(repo, "web", "tests", "wasm_test_page.html"));
  const server = await startStaticServer({ routes: { "/wasm-test/": testBuild }, files: fileRoutes });
  const query = new URLSearchParams({
    test: name,
    args: JSON.stringify(args),
    files: JSON.stringify(files),
    env: JSON.stringify({ HOME: os.homedir(), HANDTRACK_MODELS: modelsDir, HANDTRACK_SHARED: shared, CI: process.env.CI ?? "" }),
  });
  const session = await openPage(server.origin, `/wasm-test/page.html?${query}`, { webgpu: true });
  try {
    await session.page.waitForFunction(() => window.testExit !== null, null, { timeout: timeoutMs, polling: 500 });
    return await session.page.evaluate(() => ({ status: window.testExit, output: window.testOutput.join("\n") }));
  } finally {
    await session.close();
    await server.close();
  }
}

function gtestSummary(output) {
  return output.split("\n").filter((line) => /^\[ *(PASSED|FAILED|SKIPPED) *\] \d+ tests?[.,]|tests? ran/.test(line)).join("; ");
}

describe("the webgpu backend's C++ tests on the page", () => {
  test("backend_op_test: every op case on webgpu against the reference (fp32 and fp16) and the segment checks", { timeout: 900_000 }, async (t) => {
    if (!buildOrSkip(t, "tests")) return;
    const { status, output } = await runWasmTest(
      "backend_op_test",
      ["--gtest_filter=*webgpu*", "--cuda-setting", "webgpu.allow_fallback_adapter=1"],
      [],
      840_000,
    );
    assert.equal(status, 0, output.split("\n").slice(-60).join("\n"));
    assert.match(output, /\[ {7}OK \] BackendOp\/webgpu\/fp32\./);
    assert.match(output, /\[ {7}OK \] BackendContract\/webgpu\.SegmentChecks/);
    console.log(`# backend_op_test (webgpu): ${gtestSummary(output)}`);
  });

  test("backend_op_test: the split-sum convolution and fully connected shaders on every such case", { timeout: 900_000 }, async (t) => {
    if (!buildOrSkip(t, "tests")) return;
    const { status, output } = await runWasmTest(
      "backend_op_test",
      ["--gtest_filter=BackendOp/webgpu/*conv2d*:BackendOp/webgpu/*fully_connected*", "--cuda-setting", "webgpu.allow_fallback_adapter=1",
        "--cuda-setting", "webgpu.split_k=force"],
      [],
      840_000,
    );
    assert.equal(status, 0, output.split("\n").slice(-60).join("\n"));
    assert.match(output, /\[ {7}OK \] BackendOp\/webgpu\/fp32\.conv2d/);
    console.log(`# backend_op_test (webgpu, split sums): ${gtestSummary(output)}`);
  });

  test("backend_op_test: the tiled-product convolution shader on every convolution case", { timeout: 900_000 }, async (t) => {
    if (!buildOrSkip(t, "tests")) return;
    // Off on software adapters by default (conv2d_gemm.cc): forced here, split sums off so that it takes every case.
    const { status, output } = await runWasmTest(
      "backend_op_test",
      ["--gtest_filter=BackendOp/webgpu/*.conv2d*", "--cuda-setting", "webgpu.allow_fallback_adapter=1",
        "--cuda-setting", "webgpu.gemm=force", "--cuda-setting", "webgpu.split_k=0"],
      [],
      840_000,
    );
    assert.equal(status, 0, output.split("\n").slice(-60).join("\n"));
    assert.match(output, /\[ {7}OK \] BackendOp\/webgpu\/fp32\.conv2d/);
    console.log(`# backend_op_test (webgpu, tiled products): ${gtestSummary(output)}`);
  });

  test("webgpu_sampling_test: the letterbox and hand crops sampled on the GPU give the CPU samplers' bits", { timeout: 300_000 }, async (t) => {
    if (!buildOrSkip(t, "tests")) return;
    const { status, output } = await runWasmTest("webgpu_sampling_test", ["--cuda-setting", "webgpu.allow_fallback_adapter=1"], [], 240_000);
    assert.equal(status, 0, output.split("\n").slice(-60).join("\n"));
    for (const name of ["GpuSamplingGivesTheCpuSamplersBits", "GpuSamplingGivesTheCpuSamplersBitsInFp16", "PreprocessSettingOffKeepsInputsOnTheHost", "UploadRefusesAnInvalidImage"]) {
      assert.match(output, new RegExp(`\\[ {7}OK \\] WebGpuSamplingTest\\.${name} `));
    }
    assert.doesNotMatch(output, /SKIPPED/);
    console.log(`# webgpu_sampling_test: ${gtestSummary(output)}`);
  });

  test("golden_tensors_test: the four models on webgpu within 1e-4 (fp32) and 5e-3 (fp16) of TFLite", { timeout: 900_000 }, async (t) => {
    if (!buildOrSkip(t, "tests")) return;
    const files = kModels.flatMap((model) => [path.join(modelsDir, `${model}.tflite`), path.join(shared, "golden", "tensors", `${model}_s1.tdmp`)]);
    const { status, output } = await runWasmTest("golden_tensors_test", ["--gtest_filter=*webgpu*"], files, 840_000);
    assert.equal(status, 0, output.split("\n").slice(-60).join("\n"));
    for (const model of kModels) {
      assert.match(output, new RegExp(`\\[ {7}OK \\] AllModelsAllBackends/GoldenTensorsTest\\.MatchesTflite/${model}_webgpu `));
      assert.match(output, new RegExp(`\\[ {7}OK \\] AllModelsAllBackends/GoldenTensorsTest\\.MatchesTflite/${model}_webgpu_fp16 `));
    }
    assert.doesNotMatch(output, /SKIPPED/);
    console.log(`# golden_tensors_test (webgpu): ${gtestSummary(output)}`);
  });
});

// The package, delegate "GPU", in the worker: what runs and why, and the hands it finds.
// withCpu: also the CPU delegate's answer on the same page (cpu; else null).
async function detectWithGpu({ webgpu = true, options = {}, withCpu = true } = {}) {
  return withHarness(webgpu, async (page) =>
    page.evaluate(async ([options, withCpu]) => {
      const module = await import("/dist/handtrack.mjs");
      const fileset = await module.FilesetResolver.forVisionTasks("/dist/");
      const image = new Image();
      image.src = "/images/two_hands_heart_torso_01.jpg";
      await image.decode();
      const run = async (delegate, extra) => {
        const landmarker = await module.HandLandmarker.createFromOptions(fileset, {
          baseOptions: { delegate }, engine: "worker", numHands: 2, ...extra,
        });
        const first = await landmarker.detectAsync(image);
        const second = await landmarker.detectAsync(image);
        const out = {
          backend: landmarker.backend,
          reason: landmarker.fallbackReason,
          build: landmarker.build.name,
          first: first.landmarks,
          second: second.landmarks,
          handedness: second.handedness.map((h) => h[0].categoryName),
        };
        landmarker.close();
        return out;
      };
      return { gpu: await run("GPU", options), cpu: withCpu ? await run("CPU", {}) : null };
    }, [options, withCpu]),
  );
}

async function withHarness(webgpu, fn) {
  const session = await openSession({ webgpu });
  try {
    return await fn(session.page);
  } finally {
    await session.close();
  }
}

// The same hands as the CPU backend: the landmarks agree within 1e-3 of the image.
function assertSameHands(got, expected, what) {
  assert.equal(got.length, expected.length, `${what}: ${got.length} hands, the CPU finds ${expected.length}`);
  let worst = 0;
  for (let h = 0; h < got.length; ++h) {
    for (let i = 0; i < 21; ++i) {
      worst = Math.max(worst, Math.abs(got[h][i].x - expected[h][i].x), Math.abs(got[h][i].y - expected[h][i].y));
    }
  }
  assert.ok(worst < 1e-3, `${what}: landmarks differ from the CPU's by ${worst}`);
  return worst;
}

describe('delegate "GPU" in the package', () => {
  // The CPU delegate's hands on the photo, found once (it is the same every time) and shared
  // by the cases below, which run one after the other.
  let cpuReference = null;

  test("runs on webgpu (SwiftShader, allowFallbackAdapter) with the CPU's hands", { timeout: 300_000 }, async (t) => {
    if (!buildOrSkip(t)) return;
    if (!fs.existsSync(twoHandPhoto)) return t.skip("no photo");
    const { gpu, cpu } = await detectWithGpu({ options: { allowFallbackAdapter: true } });
    assert.equal(gpu.backend, "webgpu", gpu.reason ?? "");
    assert.equal(gpu.reason, null);
    assert.equal(gpu.build, "handtrack_gpu");
    assert.equal(cpu.backend, "wasm");
    cpuReference = cpu;
    const worst = assertSameHands(gpu.second, cpu.second, "webgpu");
    assert.deepEqual(gpu.handedness, cpu.handedness);
    console.log(`# webgpu: ${gpu.first.length} hands, largest landmark difference from wasm ${worst.toExponential(2)}`);
  });

  // Each case: how it is caused, what the reason must say.
  const kFallbacks = [
    { name: "no navigator.gpu", options: { injectFaults: "webgpu:no-gpu" }, reason: /navigator\.gpu is missing/ },
    { name: "no adapter (Chromium without --enable-unsafe-webgpu)", webgpu: false, options: { allowFallbackAdapter: true }, reason: /no adapter here/ },
    { name: "no adapter (fault)", options: { injectFaults: "webgpu:no-adapter" }, reason: /no adapter here/ },
    { name: "a fallback (software) adapter not asked for", options: { allowFallbackAdapter: false }, reason: /fallback \(software\) adapter/ },
    { name: "requestDevice fails", options: { injectFaults: "webgpu:request-device" }, reason: /requestDevice\(\) failed/ },
    { name: "a shader fails to compile", options: { injectFaults: "webgpu:shader" }, reason: /failed to compile WGSL shader/ },
    { name: "the device is lost mid-run", options: { injectFaults: "webgpu:device-lost" }, reason: /device was lost|read back/ },
    { name: "out of GPU memory", options: { injectFaults: "webgpu:oom" }, reason: /out of GPU memory/ },
  ];
  for (const fallback of kFallbacks) {
    test(`falls back to the wasm CPU backend, with the reason: ${fallback.name}`, { timeout: 300_000 }, async (t) => {
      if (!buildOrSkip(t)) return;
      if (!fs.existsSync(twoHandPhoto)) return t.skip("no photo");
      const options = { allowFallbackAdapter: true, ...fallback.options };
      const { gpu, cpu: found } = await detectWithGpu({ webgpu: fallback.webgpu ?? true, options, withCpu: cpuReference === null });
      cpuReference ??= found;
      const cpu = cpuReference;
      assert.equal(gpu.backend, "wasm", `${fallback.name}: runs on ${gpu.backend}`);
      assert.match(gpu.reason ?? "", /^delegate "GPU": /);
      assert.match(gpu.reason ?? "", fallback.reason);
      assert.match(gpu.reason ?? "", /so the CPU backend \(wasm\) runs$/);
      assertSameHands(gpu.first, cpu.first, `${fallback.name} (first frame)`);
      assertSameHands(gpu.second, cpu.second, `${fallback.name} (second frame)`);
      console.log(`# ${fallback.name}: ${gpu.reason}`);
    });
  }
});

// browser-run.mjs --delegate GPU against the goldens, with the CPU path's bounds (golden.test.mjs).
// SwiftShader takes seconds per model run, so CI runs every 8th photo and the first frames of
// a two-hand video; HANDTRACK_WEBGPU_FULL=1 runs every photo and every frame of every video.
const kFull = process.env.HANDTRACK_WEBGPU_FULL === "1";
const kImageBounds = ["count_agreement>=0.95", "recall>=0.97", "precision>=0.97", "ne_median<=0.01", "ne_p90<=0.03",
  "handedness_agreement>=0.97", "world_err_median_mm<=3"];

describe("browser-run.mjs --delegate GPU on the shared media", () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "handtrack-webgpu-test-"));

  test(`photos (${kFull ? "all" : "every 8th"}), full models: compare.py within the CPU path's bounds`, { timeout: 3_600_000 }, async (t) => {
    if (!buildOrSkip(t)) return;
    const names = fs.readdirSync(images).filter((name) => /\.(jpe?g|png)$/i.test(name)).sort().filter((_, k) => kFull || k % 8 === 0);
    const folder = path.join(scratch, "photos");
    fs.mkdirSync(folder, { recursive: true });
    for (const name of names) fs.copyFileSync(path.join(images, name), path.join(folder, name));
    const result = path.join(scratch, "photos.json");
    await browserRun(["detect", "--delegate", "GPU", "--webgpu", "--model", "full", "--num-hands", "2", "--output", result, folder]);
    const header = JSON.parse(fs.readFileSync(result, "utf8").split("\n")[0].replace(/,$/, "") + "}");
    assert.equal(header.handtrack.backends.palm_detection_full, "webgpu", header.handtrack.fallback_reason ?? "");
    assert.equal(header.handtrack.backends.hand_landmark_full, "webgpu");
    const golden = JSON.parse(fs.readFileSync(path.join(goldenDir, "images", "tasks_full.json"), "utf8"));
    const reference = path.join(scratch, "photos_reference.json");
    fs.writeFileSync(reference, JSON.stringify({ ...golden, frames: golden.frames.filter((frame) => names.includes(frame.file)) }));
    const report = compare(reference, result, kImageBounds);
    console.log(`# webgpu, ${names.length} photos: ${metrics(report)}`);
  });

  const kVideos = kFull ? fs.readdirSync(videos).filter((name) => name.endsWith(".mp4")).map((name) => name.slice(0, -4)).sort()
    : ["two_hands_zoom_gesture_with_overlays_01"];
  for (const name of kVideos) {
    test(`video ${name} (${kFull ? "every frame" : "first 8 frames"}), VIDEO mode: compare.py --by-index within the CPU path's bound`, { timeout: 3_600_000 }, async (t) => {
      if (!buildOrSkip(t)) return;
      const frames = kFull ? [] : ["--max-frames", "8"];
      const result = path.join(scratch, `${name}.json`);
      await browserRun(["track", "--delegate", "GPU", "--webgpu", "--num-hands", "2", ...frames, "--output", result, path.join(videos, `${name}.mp4`)]);
      const candidate = JSON.parse(fs.readFileSync(result, "utf8"));
      assert.equal(candidate.handtrack.backends.hand_landmark_full, "webgpu", candidate.handtrack.fallback_reason ?? "");
      const golden = JSON.parse(fs.readFileSync(path.join(goldenDir, "videos", `${name}.tasks_full.json`), "utf8"));
      const reference = path.join(scratch, `${name}_reference.json`);
      fs.writeFileSync(reference, JSON.stringify({ ...golden, frames: golden.frames.slice(0, candidate.frames.length) }));
      console.log(`# webgpu, ${name}, ${candidate.frames.length} frames: ${metrics(compare(reference, result, ["count_agreement>=0.95", "ne_median<=0.02"], { byIndex: true }))}`);
    });
  }
});
