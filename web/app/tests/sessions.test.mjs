// The sessions and session pages against a real `handtrack serve`: upload shared videos
// through the page (the file picker and drag-and-drop), watch them processed, cancel and
// delete one; then on the session page the charts' counts equal the server's summary,
// seeking the video moves the overlay to that frame's landmarks (the API's frames JSON),
// clicking a chart and the arrow keys seek, and every download equals the API's bytes.
// Screenshots of both pages at desktop and phone widths go to docs/screenshots/.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  apiBytes, apiFetch, assertClean, kDesktop, kHangMs, kPhone, openBrowser, screenshot, sharedOrSkip, startServer, videos,
} from "./helpers.mjs";

// One hand, 325 frames, 7 pinches and 311 px drawn while pinching (its summary says so).
const kPinchVideo = "asl_fingerspelling_one_hand_portrait_01.mp4";
// Two hands, 38 frames.
const kTwoHandVideo = "two_hands_zoom_gesture_with_overlays_01.mp4";
// Uploaded to be cancelled while it waits, then deleted.
const kCancelVideo = "hand_swipe_left_right_with_overlays_01.mp4";

let server = null;
before(async () => {
  if (fs.existsSync(videos)) server = await startServer();
});
after(async () => {
  await server?.stop();
});

async function sessionIdByName(name) {
  const list = await (await apiFetch(server, "/v1/sessions?limit=100")).json();
  return list.sessions.find((session) => session.name === name)?.id ?? null;
}

/** The figures the session page's chart captions show, as {count key: number}. */
async function captionCounts(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll("#timeline figcaption [data-count]")].map((span) => [span.dataset.count, Number(span.textContent)])));
}

function assertCountsMatchSummary(counts, summary, name) {
  assert.equal(counts.frames, summary.frames, `${name}: frames`);
  assert.equal(counts["frames-with-hands"], summary.frames_with_hands, `${name}: frames with hands`);
  assert.equal(counts.pinches, summary.pinch_count, `${name}: pinches`);
  for (const hand of summary.hands) {
    assert.equal(counts[`hand-${hand.id}-frames`], hand.frames, `${name}: frames of hand ${hand.id}`);
    assert.equal(counts[`hand-${hand.id}-pinches`], hand.pinch_count, `${name}: pinches of hand ${hand.id}`);
    for (const [gesture, n] of Object.entries(hand.gestures)) {
      assert.equal(counts[`hand-${hand.id}-gesture-${gesture}`], n, `${name}: ${gesture} frames of hand ${hand.id}`);
    }
  }
  const handKeys = Object.keys(counts).filter((key) => key.startsWith("hand-") && key.endsWith("-frames"));
  assert.equal(handKeys.length, summary.hands.length, `${name}: the charts show ${handKeys.length} hands, the summary ${summary.hands.length}`);
}

async function openSession(session, id) {
  const { page } = session;
  await session.goto(`/session?id=${id}`);
  await page.waitForFunction(() => document.body.dataset.loaded !== undefined, null, { timeout: kHangMs });
  assert.equal(await page.evaluate(() => document.body.dataset.loaded), "true", await page.evaluate(() => document.getElementById("message").textContent));
  await page.waitForFunction(() => document.getElementById("video").readyState >= 2, null, { timeout: kHangMs });
}

/** Waits until the overlay shows `frame` and returns what it drew. */
async function overlayAt(page, frame) {
  await page.waitForFunction((k) => window.handtrackApp.session.overlay().frame === k, frame, { timeout: 30000 }).catch(async (error) => {
    const state = await page.evaluate(() => ({ shown: window.handtrackApp.session.overlay().frame, time: document.getElementById("video").currentTime }));
    throw new Error(`the overlay never showed frame ${frame}: it shows ${state.shown}, the video is at ${state.time} s (${error.message})`);
  });
  return page.evaluate(() => {
    const drawn = window.handtrackApp.session.overlay();
    const canvas = document.getElementById("video-overlay");
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    // The skeleton is painted where the landmarks are: read the alpha under each wrist.
    const alpha = drawn.hands.map((hand) => {
      const x = Math.round(hand.landmarks[0][0] * canvas.width);
      const y = Math.round(hand.landmarks[0][1] * canvas.height);
      return pixels[(Math.min(canvas.height - 1, Math.max(0, y)) * canvas.width + Math.min(canvas.width - 1, Math.max(0, x))) * 4 + 3];
    });
    return { ...drawn, alpha, currentTime: document.getElementById("video").currentTime };
  });
}

test("upload, progress, cancel and delete on the sessions page; the session page's charts, overlay and downloads", async (t) => {
  if (!sharedOrSkip(t)) return;
  const session = await openBrowser(server.origin, "/sessions");
  const { page, problems } = session;
  try {
    await page.evaluate(() => window.handtrackApp.sessions.ready);
    assert.equal(await page.isVisible("#list-empty"), true);

    // 1. The file picker.
    await page.setInputFiles("#file-input", path.join(videos, kPinchVideo));
    await page.waitForSelector(`.session-item a:text-is("${kPinchVideo}")`, { timeout: kHangMs });
    // 2. Drag-and-drop: a real drop event carrying the file's bytes.
    const dropBytes = fs.readFileSync(path.join(videos, kTwoHandVideo)).toString("base64");
    await page.evaluate(([name, base64]) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name, { type: "video/mp4" }));
      const zone = document.getElementById("drop-zone");
      zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, [kTwoHandVideo, dropBytes]);
    await page.waitForSelector(`.session-item a:text-is("${kTwoHandVideo}")`, { timeout: kHangMs });
    // 3. One more, cancelled while it waits behind the others (one worker), then deleted.
    await page.setInputFiles("#file-input", path.join(videos, kCancelVideo));
    const cancelItem = `.session-item:has(a:text-is("${kCancelVideo}"))`;
    await page.waitForSelector(cancelItem, { timeout: kHangMs });
    await page.click(`${cancelItem} button:text-is("Cancel")`);
    await page.waitForSelector(`${cancelItem}[data-state="cancelled"]`, { timeout: kHangMs });
    const cancelledId = await sessionIdByName(kCancelVideo);
    assert.equal((await (await apiFetch(server, `/v1/sessions/${cancelledId}`)).json()).state, "cancelled");

    // The list follows the processing: a running state with a progress bar, then done.
    const pinchItem = `.session-item:has(a:text-is("${kPinchVideo}"))`;
    const states = new Set();
    for (const start = Date.now(); ; ) {
      const state = await page.getAttribute(pinchItem, "data-state");
      // The list while a session is tracked, for the docs.
      if (state === "running" && !states.has("running")) await screenshot(page, "sessions-desktop");
      states.add(state);
      if (state === "succeeded") break;
      assert.ok(Date.now() - start < kHangMs, "the pinch video never finished");
      await page.waitForTimeout(200);
    }
    await page.waitForSelector(`.session-item:has(a:text-is("${kTwoHandVideo}"))[data-state="succeeded"]`, { timeout: kHangMs });
    console.log(`# states seen on the list: ${[...states].join(", ")}`);
    assert.ok(states.has("running") || states.has("queued"), `the list showed only ${[...states]}`);
    assert.match(await page.textContent(`${pinchItem} .session-state`), /^done: 325 frames$/);

    // Delete takes two clicks.
    await page.click(`${cancelItem} button:text-is("Delete")`);
    await page.click(`${cancelItem} button:text-is("Really delete?")`);
    await page.waitForSelector(cancelItem, { state: "detached", timeout: kHangMs });
    assert.equal((await apiFetch(server, `/v1/sessions/${cancelledId}`, { ok: false })).status, 404);

    if (!states.has("running")) await screenshot(page, "sessions-desktop");
    await page.setViewportSize(kPhone);
    await screenshot(page, "sessions-360");
    const listWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(listWidth <= kPhone.width, `the sessions page is ${listWidth} px wide at ${kPhone.width} px`);
    await page.setViewportSize(kDesktop);

    // The session pages: counts on the charts against the summary, for both videos.
    for (const name of [kTwoHandVideo, kPinchVideo]) {
      const id = await sessionIdByName(name);
      await openSession(session, id);
      const summary = await (await apiFetch(server, `/v1/sessions/${id}/summary`)).json();
      const counts = await captionCounts(page);
      console.log(`# ${name}: charts ${JSON.stringify(counts)}`);
      assertCountsMatchSummary(counts, summary, name);
      // The strokes picture measures what the summary measures.
      const strokes = await page.evaluate(() => [...document.querySelectorAll("#strokes-caption [data-hand]")].map((s) => ({ id: Number(s.dataset.hand), length: Number(s.dataset.length) })));
      for (const hand of summary.hands.filter((h) => h.stroke_length_px > 0)) {
        const drawn = strokes.find((s) => s.id === hand.id);
        assert.ok(drawn && Math.abs(drawn.length - hand.stroke_length_px) <= 0.11, `${name}: hand ${hand.id} drew ${drawn?.length} px, the summary says ${hand.stroke_length_px}`);
      }
      // The summary table shows the summary.
      assert.equal(await page.textContent('#summary-table tr:has(th:text-is("Frames")) td'), String(summary.frames));
      assert.equal(await page.textContent('#summary-table tr:has(th:text-is("Pinches")) td'), String(summary.pinch_count));
    }

    // On the pinch video's page: seeking moves the overlay to that frame's landmarks.
    const id = await sessionIdByName(kPinchVideo);
    const frames = (await (await apiFetch(server, `/v1/sessions/${id}/frames?format=jsonl`)).text()).trim().split("\n").map((line) => JSON.parse(line));
    for (const k of [200, 17, 324, 0]) {
      await page.evaluate((seconds) => {
        document.getElementById("video").currentTime = seconds;
      }, frames[k].timestamp_ms / 1000);
      const drawn = await overlayAt(page, k);
      assert.deepEqual(drawn.hands.map((hand) => hand.landmarks), frames[k].hands.map((hand) => hand.landmarks), `frame ${k}: the overlay's landmarks`);
      assert.ok(drawn.alpha.every((a) => a > 0), `frame ${k}: nothing painted under a wrist (alpha ${drawn.alpha})`);
    }
    // The arrow keys step one frame; clicking a chart seeks there.
    await page.focus("#timeline");
    await page.keyboard.press("ArrowRight");
    await overlayAt(page, 1);
    await page.keyboard.press("End");
    await overlayAt(page, frames.length - 1);
    const plot = page.locator("#timeline .chart .u-over").first();
    const box = await plot.boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    const hovered = Number(await page.getAttribute("#timeline-readout", "data-frame"));
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height / 2);
    const clicked = await overlayAt(page, hovered);
    console.log(`# clicked the timeline at frame ${hovered} (video at ${clicked.currentTime.toFixed(3)} s)`);
    assert.ok(hovered > 100 && hovered < 225, `the middle of the timeline is frame ${hovered}`);

    // Downloads equal the API's bytes.
    const links = await page.$$eval("#downloads a", (anchors) => anchors.map((a) => ({ text: a.textContent, route: a.dataset.download })));
    assert.deepEqual(links.map((l) => l.route.split("/").pop()), ["frames?format=jsonl", "frames?format=csv", "summary", "overlay.mp4", "video"]);
    for (const link of links) {
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(`#downloads a:text-is("${link.text}")`)]);
      const got = fs.readFileSync(await download.path());
      const expected = await apiBytes(server, link.route);
      assert.ok(got.equals(expected), `${link.text}: ${got.length} bytes downloaded, the API gives ${expected.length}`);
      console.log(`# download ${download.suggestedFilename()}: ${got.length} bytes, equal to GET ${link.route}`);
    }

    await page.evaluate((seconds) => {
      document.getElementById("video").currentTime = seconds;
    }, frames[200].timestamp_ms / 1000);
    await overlayAt(page, 200);
    await screenshot(page, "session-desktop");
    await page.setViewportSize(kPhone);
    await page.waitForTimeout(300);  // the charts follow the width
    await screenshot(page, "session-360");
    // At 360 px nothing is wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(overflow <= kPhone.width, `the session page is ${overflow} px wide at ${kPhone.width} px`);
    assertClean(problems, "the sessions and session pages");
  } finally {
    await session.close();
  }
});
