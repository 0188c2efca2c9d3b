// The live practice page on Chromium's fake camera. The camera plays a clip made here: four
// frames of the shared videos, each held 2.5 s with 0.5 s of black between them (the black
// makes every held frame start afresh, as palm detection on a new scene, not tracking carried
// over from the previous one). Tracked in the page's Web Worker, then on the server through
// /v1/live, the hands agree with `handtrack track` on the same clip (compare.py --by-index,
// the video issue's bounds), and the finger count the page shows equals the engine's. Also:
// the backend badge says why the GPU is not used, and a refused camera gets a clear message.
// Screenshots at desktop and phone widths go to docs/screenshots/.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  assertClean, compare, handtrack, kDesktop, kHangMs, kPhone, metrics, openBrowser, scratchDir, screenshot, sharedOrSkip, startServer, videos,
} from "./helpers.mjs";

const kWidth = 640;
const kHeight = 480;
const kFps = 10;
const kHoldFrames = 25;  // 2.5 s per held frame
const kGapFrames = 5;    // then 0.5 s of black
const kSlotFrames = kHoldFrames + kGapFrames;
// [video, frame]: two hands (2 + 1 fingers); a Victory sign (2); an open hand (5); a fist (0).
// Each is found by palm detection alone (the page starts each afresh), and each one's finger
// counts stay the same when the frame is JPEG-compressed (no finger near the threshold between
// bent and extended, where the camera's colour conversion could tip it). track's answers are
// checked below.
const kHeld = [
  ["two_hands_zoom_gesture_with_overlays_01.mp4", 37],
  ["asl_fingerspelling_one_hand_portrait_01.mp4", 20],
  ["hand_rises_palm_up_blurred_bg_01.mp4", 100],
  ["asl_fingerspelling_one_hand_portrait_01.mp4", 4],
];
const kLoopMs = (kHeld.length * kSlotFrames * 1000) / kFps;
// Results compared: from 0.5 s after a held frame appears to 0.5 s before it goes (the camera's
// frame times and the page's differ by its latency and jitter; the results in between are
// compared, whatever they hold).
const kSettleFrames = 5;
// Results compared per held frame, at least.
const kMinSteady = 6;
const kBounds = ["count_agreement>=0.95", "ne_median<=0.02", "handedness_agreement>=0.97"];

const scratch = scratchDir("live");
const clip = path.join(scratch, "clip.y4m");
let references = [];  // per held frame: track's hands on its last frame
let server = null;

function yuvFrame(video, index) {
  const filter = `select=eq(n\\,${index}),scale=${kWidth}:${kHeight}:force_original_aspect_ratio=decrease,pad=${kWidth}:${kHeight}:(ow-iw)/2:(oh-ih)/2`;
  return execFileSync("ffmpeg", ["-v", "error", "-i", path.join(videos, video), "-vf", filter, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], { maxBuffer: 16 << 20 });
}

before(async () => {
  if (!fs.existsSync(videos)) return;
  const frames = kHeld.map(([video, index]) => yuvFrame(video, index));
  const black = Buffer.concat([Buffer.alloc(kWidth * kHeight, 16), Buffer.alloc((kWidth * kHeight) / 2, 128)]);
  const parts = [Buffer.from(`YUV4MPEG2 W${kWidth} H${kHeight} F${kFps}:1 Ip A1:1 C420jpeg\n`)];
  for (const frame of frames) {
    assert.equal(frame.length, (kWidth * kHeight * 3) / 2);
    for (let k = 0; k < kSlotFrames; ++k) parts.push(Buffer.from("FRAME\n"), k < kHoldFrames ? frame : black);
  }
  fs.writeFileSync(clip, Buffer.concat(parts));
  const jsonl = execFileSync(handtrack, ["track", "--num-hands", "2", "--format", "jsonl", clip], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "ignore"] });
  const tracked = jsonl.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(tracked.length, kHeld.length * kSlotFrames);
  references = kHeld.map((_, s) => tracked[s * kSlotFrames + kHoldFrames - 1]);
  const fingers = references.map((frame) => frame.hands.reduce((n, hand) => n + hand.finger_count, 0));
  console.log(`# held frames, track's hands: ${references.map((frame, s) => `${frame.hands.map((h) => `${h.handedness.label} ${h.finger_count}`).join(" + ")} (${fingers[s]} fingers)`).join("; ")}`);
  assert.equal(new Set(fingers).size, kHeld.length, "the held frames must differ in their finger counts");
  assert.ok(references.every((frame) => frame.hands.length > 0) && references[0].hands.length === 2);
  server = await startServer();
});
after(async () => {
  await server?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

function handSize(points) {
  const xs = points.map((p) => p[0] * kWidth);
  const ys = points.map((p) => p[1] * kHeight);
  return Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 1e-6);
}

/** compare.py's error of a hand: mean landmark distance over the reference hand's size. */
function handError(reference, candidate) {
  let sum = 0;
  for (let i = 0; i < 21; ++i) sum += Math.hypot((reference[i][0] - candidate[i][0]) * kWidth, (reference[i][1] - candidate[i][1]) * kHeight);
  return sum / 21 / handSize(reference);
}

/** The held frame a result's hands are nearest to (null when they are near none). */
function nearestHeldFrame(hands) {
  if (hands.length === 0) return null;
  let best = null;
  let bestError = 0.25;
  references.forEach((frame, s) => {
    const error = frame.hands.reduce((sum, ref) => sum + Math.min(...hands.map((hand) => handError(ref.landmarks, hand.landmarks))), 0) / frame.hands.length;
    if (error < bestError) {
      best = s;
      bestError = error;
    }
  });
  return best;
}

/** Where in the clip's loop a result's frame was, given the loop's start time `phaseMs`. */
function slotOf(timestampMs, phaseMs) {
  const frame = Math.floor(((((timestampMs - phaseMs) % kLoopMs) + kLoopMs) % kLoopMs) / (1000 / kFps));
  return { held: Math.floor(frame / kSlotFrames), offset: frame % kSlotFrames };
}

/**
 * Which held frame the camera showed for each result, from its time: the camera plays the
 * clip at its frame rate, so one number, when the loop started, places every result. It is
 * fitted to the results whose hands are near one held frame's (and must explain 90 % of
 * them). Returns the results well inside a held frame's time, each with that frame: those
 * are compared, hands or no hands.
 */
function steadyResults(history, name, { quiet = false } = {}) {
  const labelled = history.map((result) => ({ result, nearest: nearestHeldFrame(result.hands) })).filter((item) => item.nearest !== null);
  let best = { phaseMs: 0, agree: -1 };
  for (let phaseMs = 0; phaseMs < kLoopMs; phaseMs += 10) {
    const agree = labelled.filter((item) => {
      const slot = slotOf(item.result.timestampMs, phaseMs);
      return slot.offset < kHoldFrames && slot.held === item.nearest;
    }).length;
    if (agree > best.agree) best = { phaseMs, agree };
  }
  if (quiet) {
    if (best.agree < 0.9 * labelled.length) return { steady: [], phaseMs: best.phaseMs };
  } else {
    console.log(`# ${name}: the clip's timing explains ${best.agree} of the ${labelled.length} results whose hands are near a held frame's (${history.length} results)`);
    assert.ok(best.agree >= 0.9 * labelled.length, `${name}: the results do not follow the clip's timing`);
  }
  const steady = history
    .map((result) => ({ result, ...slotOf(result.timestampMs, best.phaseMs) }))
    .filter((item) => item.offset >= kSettleFrames && item.offset < kHoldFrames - kSettleFrames);
  return { steady, phaseMs: best.phaseMs };
}

/** Waits (page time) until the camera has shown held frame `held` for a while and a result for it is on screen. */
async function showHeldFrame(page, phaseMs, held) {
  const now = await page.evaluate(() => performance.now());
  const frameMs = 1000 / kFps;
  const target = (held * kSlotFrames + kSettleFrames) * frameMs;
  const into = ((((now - phaseMs) % kLoopMs) + kLoopMs) % kLoopMs);
  await page.waitForTimeout((target - into + kLoopMs) % kLoopMs);
  const hands = references[held].hands.length;
  await page.waitForFunction((n) => window.handtrackApp.live.history.at(-1)?.hands.length === n, hands, { timeout: kHangMs });
}

function goldenFrame(index, hands) {
  return { index, width: kWidth, height: kHeight, hands: hands.map((hand) => ({ handedness: { label: hand.handedness.label ?? hand.handedness, score: 1 }, landmarks: hand.landmarks })) };
}

/** Runs compare.py on the steady results against track's, asserting the bounds; returns the figures. */
function compareSteady(steady, name) {
  const reference = path.join(scratch, `${name}_reference.json`);
  const candidate = path.join(scratch, `${name}_candidate.json`);
  fs.writeFileSync(reference, JSON.stringify({ frames: steady.map((item, i) => goldenFrame(i, references[item.held].hands)) }));
  fs.writeFileSync(candidate, JSON.stringify({ frames: steady.map((item, i) => goldenFrame(i, item.result.hands)) }));
  const report = compare(reference, candidate, kBounds);
  const perFrame = kHeld.map((_, s) => steady.filter((item) => item.held === s).length);
  console.log(`# ${name}: ${steady.length} steady results (per held frame ${perFrame.join(", ")}): ${metrics(report)}`);
  for (const [s, n] of perFrame.entries()) assert.ok(n >= kMinSteady, `${name}: held frame ${s} got ${n} steady results`);
  return report;
}

/**
 * Samples, every 250 ms, the finger count on the page and the result it shows, for at least a
 * loop of the clip and until every held frame has kMinSteady steady results from `source`.
 */
async function sampleUntilSteady(page, source) {
  await page.waitForFunction((s) => window.handtrackApp.live.history.filter((r) => r.source === s).length >= 5, source, { timeout: kHangMs });
  const samples = [];
  for (const start = Date.now(); ; ) {
    samples.push(
      await page.evaluate(() => {
        const history = window.handtrackApp.live.history;
        return { shown: document.getElementById("finger-total").textContent, perHand: [...document.querySelectorAll("#finger-hands li")].map((li) => li.textContent), result: history[history.length - 1] ?? null };
      }),
    );
    if (Date.now() - start >= kLoopMs && samples.length % 8 === 0) {
      const history = await page.evaluate((s) => window.handtrackApp.live.history.filter((r) => r.source === s), source);
      const { steady } = steadyResults(history, source, { quiet: true });
      if (kHeld.every((_, held) => steady.filter((item) => item.held === held).length >= kMinSteady)) return samples;
    }
    assert.ok(Date.now() - start < kHangMs, `${source}: too few results while each held frame was on`);
    await page.waitForTimeout(250);
  }
}

/** The finger counts shown during steady stretches equal the engine's (the page's own, and track's on the held frame). */
function checkFingers(samples, steady, name) {
  const steadyAt = new Map(steady.map((item) => [item.result.timestampMs, item.held]));
  let checked = 0;
  const wrong = [];
  for (const sample of samples) {
    if (sample.result === null || !steadyAt.has(sample.result.timestampMs)) continue;
    const held = steadyAt.get(sample.result.timestampMs);
    const engine = references[held].hands.reduce((n, hand) => n + hand.finger_count, 0);
    const expectedText = references[held].hands.length ? String(engine) : "–";
    ++checked;
    const ownTotal = sample.result.hands.reduce((n, hand) => n + hand.fingerCount, 0);
    if (sample.shown !== (sample.result.hands.length ? String(ownTotal) : "–")) wrong.push(`the page shows ${sample.shown}, its engine counted ${ownTotal}`);
    if (sample.shown !== expectedText) wrong.push(`held frame ${held}: the page shows ${sample.shown}, track counts ${engine}`);
    const perHand = references[held].hands.map((hand) => `${hand.handedness.label} hand: ${hand.finger_count}`).sort();
    if (JSON.stringify([...sample.perHand].sort()) !== JSON.stringify(perHand)) wrong.push(`held frame ${held}: the page lists ${sample.perHand}, track ${perHand}`);
  }
  console.log(`# ${name}: ${checked} samples of the finger count in steady stretches, ${wrong.length} differ from track's`);
  assert.ok(checked >= kHeld.length, `${name}: only ${checked} finger-count samples fell in steady stretches`);
  assert.deepEqual(wrong, [], name);
}


test("live page: hands from the fake camera agree with handtrack track, in the browser and on the server", async (t) => {
  if (!sharedOrSkip(t)) return;
  const session = await openBrowser(server.origin, "/", { fakeCamera: clip });
  const { page, problems } = session;
  try {
    await page.evaluate(() => window.handtrackApp.live.ready);
    // Unsmoothed, as `handtrack track` (the default smoothing is for people, not for this comparison).
    await page.uncheck("#smoothing");
    await page.click("#start");
    await page.waitForFunction(() => document.getElementById("live-status").dataset.state === "tracking", null, { timeout: kHangMs });

    const badge = await page.textContent("#backend-badge");
    const reason = await page.textContent("#backend-reason");
    console.log(`# backend: ${badge}; ${reason}`);
    assert.match(badge, /^CPU \(WebAssembly, \d threads?\)$/);
    assert.match(reason, /^GPU not used: .*WebGPU/);

    // In the page's worker.
    const browserSamples = await sampleUntilSteady(page, "browser");
    const history = await page.evaluate(() => window.handtrackApp.live.history.filter((r) => r.source === "browser"));
    const { steady: browserSteady, phaseMs } = steadyResults(history, "in the browser");
    compareSteady(browserSteady, "in the browser");
    checkFingers(browserSamples, browserSteady, "in the browser");
    const fps = await page.textContent("#fps");
    const latency = await page.textContent("#latency");
    console.log(`# in the browser: ${fps} results/s, latency ${latency}`);
    assert.ok(Number(fps) > 0);
    assert.match(latency, /^\d+ ms$/);

    // The screenshots, while the camera shows the two hands (both within its 2.5 s).
    await showHeldFrame(page, phaseMs, 0);
    await screenshot(page, "live-desktop");
    await page.setViewportSize(kPhone);
    const shown = await page.evaluate(() => window.handtrackApp.live.history.length);
    await page.waitForFunction((n) => window.handtrackApp.live.history.length > n && window.handtrackApp.live.history.at(-1).hands.length === 2, shown, { timeout: kHangMs });
    await screenshot(page, "live-360");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(overflow <= kPhone.width, `the live page is ${overflow} px wide at ${kPhone.width} px`);
    await page.setViewportSize(kDesktop);

    // On the server, through /v1/live.
    await page.check("#server-switch");
    await page.waitForFunction(() => document.getElementById("live-status").dataset.backend === "server", null, { timeout: kHangMs });
    assert.equal(await page.textContent("#backend-badge"), "Server");
    const serverSamples = await sampleUntilSteady(page, "server");
    const serverHistory = await page.evaluate(() => window.handtrackApp.live.history.filter((r) => r.source === "server"));
    const { steady: serverSteady } = steadyResults(serverHistory, "on the server");
    compareSteady(serverSteady, "on the server");
    checkFingers(serverSamples, serverSteady, "on the server");
    console.log(`# on the server: ${await page.textContent("#fps")} results/s, latency ${await page.textContent("#latency")}`);
    // And back.
    await page.uncheck("#server-switch");
    await page.waitForFunction(() => document.getElementById("live-status").dataset.source === "browser", null, { timeout: kHangMs });
    await page.waitForFunction((n) => window.handtrackApp.live.history.filter((r) => r.source === "browser").length > n, history.length, { timeout: kHangMs });

    // Trace the letter: the guide is drawn and the score starts at 0 (nobody pinches here).
    await page.check('input[name="mode"][value="trace"]');
    await page.selectOption("#letter-select", "L");
    await page.waitForSelector("#score:not([hidden])", { timeout: kHangMs });
    assert.equal(await page.textContent("#score-value"), "0");
    assertClean(problems, "the live page");
  } finally {
    await session.close();
  }
});

test("live page: a refused camera gets a clear message", async (t) => {
  if (!sharedOrSkip(t)) return;
  const session = await openBrowser(server.origin, "/", { fakeCamera: clip, cameraPermission: false });
  try {
    await session.page.evaluate(() => window.handtrackApp.live.ready);
    await session.page.click("#start");
    await session.page.waitForSelector('#message[data-kind="error"]:not([hidden])', { timeout: kHangMs });
    const message = await session.page.textContent("#message");
    console.log(`# camera refused: ${message}`);
    assert.match(message, /^failed to open the camera: permission was refused \(NotAllowedError: .*\)\. Allow the camera/);
    assertClean(session.problems, "the live page with the camera refused");
  } finally {
    await session.close();
  }
});
