// The wasm heap stays flat over a long run of VIDEO-mode frames (in the
// worker). CI runs HANDTRACK_HEAP_FRAMES frames (default 300); the full check
// is `node web/tools/browser-run.mjs heap --frames 10000 IMAGE`
// (web/tests/run.sh --full runs it).
import assert from "node:assert/strict";
import { test } from "node:test";
import { browserRun, oneHandPhoto, sharedOrSkip } from "./helpers.mjs";

const frames = Number(process.env.HANDTRACK_HEAP_FRAMES ?? 300);
const kToleranceBytes = 16 * 1024;

for (const engine of ["worker", "page"]) {
  test(`${frames} VIDEO-mode frames (${engine} engine) leave the wasm heap flat`, async (t) => {
    if (!sharedOrSkip(t)) return;
    const { stdout } = await browserRun(["heap", "--frames", String(frames), "--num-hands", "1", "--engine", engine, oneHandPhoto]);
    const report = JSON.parse(stdout.trim().split("\n").at(-1));
    for (const line of stdout.trim().split("\n").slice(0, -1)) console.log(`# ${line}`);
    assert.equal(report.frames, frames);
    assert.ok(report.hands >= frames, "the hand is found on every frame");
    assert.equal(report.after.heapSizeBytes, report.before.heapSizeBytes, "the wasm memory did not grow");
    // Tracking state may hold a few bytes more or less from frame to frame; a leak grows with the frames.
    const growth = report.after.allocatedBytes - report.before.allocatedBytes;
    assert.ok(Math.abs(growth) <= kToleranceBytes, `malloc holds ${growth} bytes more than before`);
  });
}
