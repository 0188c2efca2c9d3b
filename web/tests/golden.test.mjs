// Agreement with MediaPipe in Chromium, through browser-run.mjs (the package
// in its Web Worker, the CPU delegate), with the native tests' bounds: the
// shared photos with the full and lite models (tests/golden_images_test.sh),
// every shared video in VIDEO mode, each and all together
// (tests/golden_videos_test.sh). HANDTRACK_WEB_VIDEO_FRAMES=N: only the first N frames of
// each video (scripts/test.sh sets 64 in CI: still every video, and every hand entering or
// leaving in the first 64 frames, in about 45 % of the frames; the native golden video test
// runs every frame).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { browserRun, compare, goldenDir, images, metrics, sharedOrSkip, videos } from "./helpers.mjs";

const out = fs.mkdtempSync(path.join(os.tmpdir(), "handtrack-golden-test-"));
after(() => fs.rmSync(out, { recursive: true, force: true }));

const kVideoFrames = process.env.HANDTRACK_WEB_VIDEO_FRAMES ? Number(process.env.HANDTRACK_WEB_VIDEO_FRAMES) : Infinity;
if (!(kVideoFrames >= 1) || (kVideoFrames !== Infinity && !Number.isInteger(kVideoFrames))) {
  throw new Error(`HANDTRACK_WEB_VIDEO_FRAMES=${process.env.HANDTRACK_WEB_VIDEO_FRAMES}: expected a whole number of frames, 1 or more`);
}

const kImageBounds = ["count_agreement>=0.95", "recall>=0.97", "precision>=0.97", "ne_median<=0.01", "ne_p90<=0.03",
  "handedness_agreement>=0.97", "world_err_median_mm<=3"];

for (const model of ["full", "lite"]) {
  test(`photos, ${model} models: compare.py within the core issue's bounds`, async (t) => {
    if (!sharedOrSkip(t)) return;
    const result = path.join(out, `images_${model}.json`);
    await browserRun(["detect", "--model", model, "--num-hands", "2", "--output", result, images]);
    const header = JSON.parse(fs.readFileSync(result, "utf8").split("\n")[0].replace(/,$/, "") + "}");
    assert.equal(header.handtrack.backends[`palm_detection_${model}`], "wasm");
    assert.equal(header.handtrack.backends[`hand_landmark_${model}`], "wasm");
    const report = compare(path.join(goldenDir, "images", `tasks_${model}.json`), result, kImageBounds);
    console.log(`# ${model}: ${metrics(report)}`);
  });
}

test("videos, VIDEO mode: compare.py --by-index within the video issue's bounds", async (t) => {
  if (!sharedOrSkip(t)) return;
  const names = fs.readdirSync(videos).filter((name) => name.endsWith(".mp4")).map((name) => name.slice(0, -4)).sort();
  assert.ok(names.length > 0);
  const failures = [];
  const allReference = [];
  const allCandidate = [];
  const limit = kVideoFrames === Infinity ? [] : ["--max-frames", String(kVideoFrames)];
  for (const name of names) {
    const result = path.join(out, `${name}.json`);
    await browserRun(["track", "--num-hands", "2", ...limit, "--output", result, path.join(videos, `${name}.mp4`)]);
    const reference = path.join(goldenDir, "videos", `${name}.tasks_full.json`);
    try {
      console.log(`# ${name}: ${metrics(compare(reference, result, ["ne_median<=0.02"], { byIndex: true }))}`);
    } catch (error) {
      failures.push(`${name}: ${error.message}`);
    }
    // All videos together, as golden_videos_test.sh: missing frames count as frames without hands.
    const referenceFrames = JSON.parse(fs.readFileSync(reference, "utf8")).frames.slice(0, kVideoFrames);
    const candidateFrames = JSON.parse(fs.readFileSync(result, "utf8")).frames;
    for (let k = candidateFrames.length; k < referenceFrames.length; ++k) {
      candidateFrames.push({ index: k, width: referenceFrames[k].width, height: referenceFrames[k].height, hands: [] });
    }
    allReference.push(...referenceFrames);
    allCandidate.push(...candidateFrames.slice(0, referenceFrames.length));
  }
  fs.writeFileSync(path.join(out, "all_ref.json"), JSON.stringify({ frames: allReference }));
  fs.writeFileSync(path.join(out, "all_cand.json"), JSON.stringify({ frames: allCandidate }));
  const all = compare(path.join(out, "all_ref.json"), path.join(out, "all_cand.json"),
    ["count_agreement>=0.95", "ne_median<=0.01", "ne_p90<=0.04", "handedness_agreement>=0.97"], { byIndex: true });
  const scope = kVideoFrames === Infinity ? "every frame" : `the first ${kVideoFrames} frames of each (HANDTRACK_WEB_VIDEO_FRAMES)`;
  console.log(`# all videos, ${scope}: ${allReference.length} frames: ${metrics(all)}`);
  assert.deepEqual(failures, []);
});
