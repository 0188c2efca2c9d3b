// The demo page on Chromium's fake camera, fed from a shared video: it tracks
// hands and shows the frame rate and the backend; without camera permission
// it says so. The page is served by web/demo/serve.mjs itself.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { openPage } from "../tools/browser.mjs";
import { hasThreadedBuild, sharedOrSkip, videos, web } from "./helpers.mjs";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "handtrack-demo-test-"));
const clip = path.join(scratch, "clip.y4m");
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

before(() => {
  if (!fs.existsSync(videos)) return;
  // Two hands from the fourth frame on; Chromium loops the clip.
  execFileSync("ffmpeg", ["-v", "error", "-i", path.join(videos, "asl_sign_book_two_hands_webcam_01.mp4"), "-t", "2",
    "-pix_fmt", "yuv420p", "-y", clip]);
});

/** Starts `node web/demo/serve.mjs --port 0 [flags]`; resolves to {origin, stop()}. */
function serveDemo(flags = []) {
  const child = spawn(process.execPath, [path.join(web, "demo", "serve.mjs"), "--port", "0", ...flags], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout.on("data", (chunk) => {
      text += chunk;
      const match = /(http:\/\/127\.0\.0\.1:\d+)\/demo\//.exec(text);
      if (match) resolve({ origin: match[1], line: text.trim(), stop: () => child.kill() });
    });
    child.on("exit", (code) => reject(new Error(`serve.mjs exited with ${code}: ${text}`)));
  });
}

async function runDemo({ flags = [], cameraPermission = true }, check) {
  const server = await serveDemo(flags);
  const session = await openPage(server.origin, "/demo/", { fakeCamera: clip, cameraPermission });
  try {
    await session.page.evaluate(() => window.demo.ready);
    await session.page.click("#start");
    return await check(session.page, server);
  } finally {
    await session.close();
    server.stop();
  }
}

test("the demo tracks hands from the (fake) camera and shows fps, fingers and the backend", async (t) => {
  if (!sharedOrSkip(t)) return;
  await runDemo({}, async (page, server) => {
    assert.match(server.line, /cross-origin isolated: yes/);
    await page.waitForFunction(() => Number(document.getElementById("status").dataset.frames) >= 10 &&
      Number(document.getElementById("status").dataset.hands) > 0, null, { timeout: 90000 });
    const shown = await page.evaluate(() => ({
      ...document.getElementById("status").dataset,
      fps: document.getElementById("fps").textContent,
      backend: document.getElementById("backend").textContent,
      build: document.getElementById("build").textContent,
      fingers: document.getElementById("fingers").textContent,
      state: document.getElementById("state").textContent,
      error: document.getElementById("error").hidden ? null : document.getElementById("error").textContent,
    }));
    console.log(`# demo: ${JSON.stringify(shown)}`);
    assert.equal(shown.error, null);
    assert.equal(shown.state, "tracking");
    assert.ok(Number(shown.fps) > 0, `fps ${shown.fps}`);
    assert.match(shown.backend, /^wasm \(delegate "GPU": (navigator\.gpu is missing|WebGPU has no adapter here).*so the CPU backend \(wasm\) runs\)$/);
    assert.match(shown.fingers, /(Left|Right) \d/);
    assert.equal(shown.build.split(",")[0], hasThreadedBuild ? "handtrack_mt" : "handtrack_st");
  });
});

test("the demo without COOP/COEP runs the single-threaded build and says why", async (t) => {
  if (!sharedOrSkip(t)) return;
  await runDemo({ flags: ["--no-isolation"] }, async (page) => {
    await page.waitForFunction(() => Number(document.getElementById("status").dataset.frames) >= 2, null, { timeout: 90000 });
    const build = await page.evaluate(() => document.getElementById("build").textContent);
    assert.match(build, /^handtrack_st, 1 thread\(s\): the page is not cross-origin isolated/);
  });
});

test("the demo without camera permission shows a clear error", async (t) => {
  if (!sharedOrSkip(t)) return;
  await runDemo({ cameraPermission: false }, async (page) => {
    await page.waitForSelector("#error:not([hidden])", { timeout: 30000 });
    const error = await page.evaluate(() => document.getElementById("error").textContent);
    console.log(`# no permission: ${error}`);
    assert.match(error, /^failed to open the camera: NotAllowedError: /);
  });
});
