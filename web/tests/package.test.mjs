// The npm package: `npm pack` gives a tarball with the models inside and the
// wasm and JavaScript under the 2.5 MB budget, which installs offline into an
// empty project and runs from there in Chromium.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { hasShared, web, withPage } from "./helpers.mjs";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "handtrack-package-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
const kSizeBudgetBytes = 2_500_000;

test("npm pack: models inside, wasm + JavaScript under 2.5 MB, installs offline, runs in Chromium", async (t) => {
  const [packed] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: web, encoding: "utf8" }));
  const files = new Map(packed.files.map((file) => [file.path, file.size]));
  for (const model of ["palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"]) {
    assert.ok(files.has(`dist/models/${model}.tflite`), `${model} is in the tarball`);
  }
  for (const file of ["package.json", "dist/handtrack.mjs", "dist/handtrack.d.ts", "dist/handtrack.worker.js", "dist/handtrack_st.js", "dist/handtrack_st.wasm"]) {
    assert.ok(files.has(file), `${file} is in the tarball`);
  }
  assert.ok(![...files.keys()].some((file) => file.startsWith("src/") || file.includes("node_modules") || file.startsWith("tests/")));
  const code = [...files].filter(([file]) => /^dist\/[^/]+\.(m?js|wasm)$/.test(file));
  const codeBytes = code.reduce((sum, [, size]) => sum + size, 0);
  console.log(`# tarball ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked; wasm + JavaScript ${codeBytes} bytes: ${code.map(([file, size]) => `${path.basename(file)} ${size}`).join(", ")}`);
  assert.ok(codeBytes < kSizeBudgetBytes, `wasm + JavaScript take ${codeBytes} bytes`);

  // An empty project installs it with the network off (--offline: no registry).
  const project = path.join(scratch, "consumer");
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", path.join(scratch, packed.filename)], { cwd: project, stdio: "pipe" });
  const installed = path.join(project, "node_modules", "@handtrack", "tasks-vision");
  assert.ok(fs.existsSync(path.join(installed, "dist", "models", "hand_landmark_full.tflite")));
  const declarations = fs.readFileSync(path.join(installed, "dist", "types", "landmarker.d.ts"), "utf8");
  assert.match(declarations, /detectForVideo\(videoFrame: ImageSource, timestamp: number/);

  if (!hasShared) {
    t.diagnostic("no shared photos: the installed copy was not run");
    return;
  }
  // The installed copy, served as /dist/, with its own models (no modelAssetPath).
  const result = await withPage({ distOverride: path.join(installed, "dist") }, async ({ page }) => page.evaluate(async () => {
    const { FilesetResolver, HandLandmarker } = await import("/dist/handtrack.mjs");
    const landmarker = await HandLandmarker.createFromOptions(await FilesetResolver.forVisionTasks(), { numHands: 2 });
    const image = new Image();
    image.src = "/images/two_hands_heart_torso_01.jpg";
    await image.decode();
    const hands = landmarker.detect(image).landmarks.length;
    landmarker.close();
    return hands;
  }));
  assert.equal(result, 2);
});
