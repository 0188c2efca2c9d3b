// Access and failures: with a token, the pages load without it, ask for it once (no 401 on
// the way), keep it in the browser, and every API call carries it (header, or ?access_token=
// for the <video> and the downloads); a wrong token is refused and asked for again. A server
// on loopback without a token needs none. An upload the server refuses, and a server that
// stops, get clear messages. The static files carry the isolation headers.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { apiFetch, assertClean, kHangMs, openBrowser, scratchDir, sharedOrSkip, startServer, uploadAndWait, videos } from "./helpers.mjs";

const kToken = "s3cret-token-for-the-test";
const kShortVideo = "two_hands_zoom_gesture_with_overlays_01.mp4";

test("the static files: no token needed, isolation headers, content types, revalidation, nothing outside the root", async () => {
  const server = await startServer({ token: kToken });
  try {
    const expected = {
      "/": "text/html; charset=utf-8",
      "/sessions": "text/html; charset=utf-8",
      "/session": "text/html; charset=utf-8",
      "/assets/live.js": "text/javascript; charset=utf-8",
      "/assets/app.css": "text/css; charset=utf-8",
      "/engine/handtrack_st.wasm": "application/wasm",
      "/engine/models/hand_landmark_full.tflite": "application/octet-stream",
    };
    for (const [route, type] of Object.entries(expected)) {
      const response = await fetch(`${server.origin}${route}`);
      assert.equal(response.status, 200, route);
      assert.equal(response.headers.get("content-type"), type, route);
      assert.equal(response.headers.get("cross-origin-opener-policy"), "same-origin", route);
      assert.equal(response.headers.get("cross-origin-embedder-policy"), "require-corp", route);
      assert.equal(response.headers.get("cache-control"), "no-cache", route);
      const etag = response.headers.get("etag");
      await response.arrayBuffer();
      assert.equal((await fetch(`${server.origin}${route}`, { headers: { "If-None-Match": etag } })).status, 304, `${route} revalidated`);
    }
    // The API still wants the token; /healthz says so without one.
    assert.equal((await fetch(`${server.origin}/v1/sessions`)).status, 401);
    assert.deepEqual(await (await fetch(`${server.origin}/healthz`)).json(), { status: "ok", token_required: true });
    assert.equal((await fetch(`${server.origin}/no-such-page`)).status, 404);
  } finally {
    await server.stop();
  }
});

test("with a token: asked once without a 401, kept, sent on every call; a wrong one is asked for again", async (t) => {
  if (!sharedOrSkip(t)) return;
  const server = await startServer({ token: kToken });
  const session = await openBrowser(server.origin, "/sessions");
  const { page, problems } = session;
  try {
    // A session to look at, uploaded through the API.
    const uploaded = await uploadAndWait(server, path.join(videos, kShortVideo), "overlay=false");
    assert.equal(uploaded.state, "succeeded");

    // First visit: the dialog comes up before any API call.
    await page.waitForSelector("#token-dialog[open]", { timeout: kHangMs });
    assert.equal(problems.requests.filter((r) => r.url.includes("/v1/")).length, 0, "an API call before the token");
    // A wrong token: the server refuses it (one 401) and the dialog asks again.
    await page.fill("#token-input", "wrong");
    await page.click("#token-save");
    await page.waitForSelector("#token-dialog[open] >> text=The server refused the token", { timeout: kHangMs });
    await page.fill("#token-input", kToken);
    await page.click("#token-save");
    await page.waitForSelector(`.session-item a:text-is("${kShortVideo}")`, { timeout: kHangMs });
    const refused = problems.failed.filter((line) => line.endsWith("HTTP 401"));
    assert.equal(refused.length, 1, `401s: ${refused}`);
    problems.failed = problems.failed.filter((line) => !line.endsWith("HTTP 401"));
    problems.console = problems.console.filter((line) => !/status of 401/.test(line));

    // Kept: a new page load asks nothing.
    await session.goto(`/session?id=${uploaded.id}`);
    await page.waitForFunction(() => document.body.dataset.loaded !== undefined, null, { timeout: kHangMs });
    assert.equal(await page.evaluate(() => document.body.dataset.loaded), "true");
    assert.equal(await page.isVisible("#token-dialog"), false);
    // The video plays through ?access_token= (a <video> cannot send a header), with ranges.
    await page.waitForFunction(() => document.getElementById("video").readyState >= 2, null, { timeout: kHangMs });
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('#downloads a:text-is("Frames (CSV)")')]);
    const csv = fs.readFileSync(await download.path());
    assert.ok(csv.equals(Buffer.from(await (await apiFetch(server, `/v1/sessions/${uploaded.id}/frames?format=csv`)).arrayBuffer())));

    // Every API request carried the token (one the wrong one: the refused call); no static request did.
    let wrong = 0;
    for (const request of problems.requests) {
      const url = new URL(request.url);
      const api = url.pathname.startsWith("/v1/");
      const carried = request.headers.authorization === `Bearer ${kToken}` || url.searchParams.get("access_token") === kToken;
      if (request.headers.authorization === "Bearer wrong") ++wrong;
      else if (api) assert.ok(carried, `${request.method} ${url.pathname} went without the token`);
      else assert.ok(!carried && request.headers.authorization === undefined, `${url.pathname} carried the token`);
    }
    assert.equal(wrong, 1);
    const media = problems.requests.filter((r) => r.type === "media");
    assert.ok(media.length > 0 && media.every((r) => new URL(r.url).searchParams.get("access_token") === kToken));
    console.log(`# ${problems.requests.length} requests, ${problems.requests.filter((r) => r.url.includes("/v1/")).length} to the API, each with the token`);
    assertClean(problems, "the pages with a token");
  } finally {
    await session.close();
    await server.stop();
  }
});

test("no token on a loopback server: the pages work straight away", async () => {
  const server = await startServer();
  const session = await openBrowser(server.origin, "/sessions");
  try {
    await session.page.evaluate(() => window.handtrackApp.sessions.ready);
    assert.equal(await session.page.isVisible("#list-empty"), true);
    assert.equal(await session.page.isVisible("#token-dialog"), false);
    assertClean(session.problems, "the sessions page without a token");
  } finally {
    await session.close();
    await server.stop();
  }
});

test("an upload the server refuses, and a server that stops, get clear messages", async () => {
  const server = await startServer();
  const scratch = scratchDir("access");
  const session = await openBrowser(server.origin, "/sessions");
  const { page, problems } = session;
  try {
    await page.evaluate(() => window.handtrackApp.sessions.ready);
    const notes = path.join(scratch, "notes.txt");
    fs.writeFileSync(notes, "not a video\n");
    await page.setInputFiles("#file-input", notes);
    await page.waitForSelector('#message[data-kind="error"]:not([hidden])', { timeout: kHangMs });
    const refused = await page.textContent("#message");
    console.log(`# refused upload: ${refused}`);
    assert.match(refused, /^failed to upload notes\.txt: .*notes\.txt/);
    assert.deepEqual(problems.failed.map((line) => line.replace(/^.*: /, "")), ["HTTP 415"]);

    await server.stop();
    await page.evaluate(() => window.handtrackApp.sessions.refresh());
    const down = await page.textContent("#message");
    console.log(`# server down: ${down}`);
    assert.match(down, /^failed to load the sessions: the server at 127\.0\.0\.1:\d+ does not answer/);
    assert.equal(problems.page.length, 0, problems.page.join("; "));
    assert.equal(problems.outside.length, 0);
  } finally {
    await session.close();
    await server.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});

test("keyboard and screen readers: every control has a name, and Tab reaches each one", async (t) => {
  if (!sharedOrSkip(t)) return;
  const server = await startServer();
  const uploaded = await uploadAndWait(server, path.join(videos, kShortVideo), "overlay=true");
  const session = await openBrowser(server.origin, "/");
  const { page } = session;
  try {
    for (const [pagePath, ready] of [["/", "live"], ["/sessions", "sessions"], [`/session?id=${uploaded.id}`, "session"]]) {
      if (pagePath !== "/") await session.goto(pagePath);  // the browser opened on /
      await page.evaluate((name) => window.handtrackApp[name].ready, ready);
      const report = await page.evaluate(() => {
        // What a screen reader would call each control, and a key to recognise it by.
        window.controlKey = (element) => element.id || element.getAttribute("aria-label") || (element.name ? `${element.name}=${element.value}` : element.textContent.trim());
        const nameOf = (element) => {
          const labelledBy = element.getAttribute("aria-labelledby");
          return (
            element.getAttribute("aria-label") ||
            (labelledBy ? labelledBy.split(" ").map((id) => document.getElementById(id)?.textContent ?? "").join(" ") : "") ||
            [...(element.labels ?? [])].map((label) => label.textContent).join(" ") ||
            (element.tagName === "INPUT" ? "" : element.textContent)
          ).trim();
        };
        const controls = [...document.querySelectorAll("a[href], button, input, select, [tabindex='0'], video[controls]")].filter(
          (element) => !element.disabled && element.getClientRects().length > 0 && !(element.type === "radio" && !element.checked),
        );
        return {
          unnamed: controls.filter((element) => nameOf(element) === "").map((element) => element.outerHTML.slice(0, 120)),
          keys: controls.map((element) => window.controlKey(element)),
        };
      });
      assert.deepEqual(report.unnamed, [], `${pagePath}: controls without a name`);
      const reached = new Set();
      // A <video controls> adds tab stops of its own (play, its seek bar, volume, ...), and more
      // once the video has loaded, so a fixed count of presses missed the last controls now and
      // then: press on until every control was reached, within a bound.
      const missing = () => report.keys.some((key) => !reached.has(key));
      let presses = 0;
      for (; presses < 4 * report.keys.length + 20 && missing(); ++presses) {
        await page.keyboard.press("Tab");
        reached.add(await page.evaluate(() => (document.activeElement ? window.controlKey(document.activeElement) : "")));
      }
      console.log(`# ${pagePath}: ${report.keys.length} controls, each named and reached with Tab (${presses} presses)`);
      assert.deepEqual(report.keys.filter((key) => !reached.has(key)), [], `${pagePath}: not reached with Tab`);
    }
    assertClean(session.problems, "the keyboard tour");
  } finally {
    await session.close();
    await server.stop();
  }
});
