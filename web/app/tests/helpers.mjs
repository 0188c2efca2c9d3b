// What the web app's end-to-end tests share: a real `handtrack serve` on a free loopback
// port with a temporary data folder and the built app as its web root, headless Chromium
// (Debian's, through playwright-core) that records every console error, failed request and
// request outside the server, HTTP calls to the API from node, and screenshots.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { kBaseFlags, kChromium } from "../../tools/browser.mjs";

export const app = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const web = path.resolve(app, "..");
export const repo = path.resolve(web, "..");
export const webRoot = path.resolve(process.env.HANDTRACK_WEB_ROOT ?? path.join(web, "build", "app"));
export const handtrack = path.resolve(process.env.HANDTRACK_CLI ?? path.join(repo, "build", "bin", "handtrack"));
export const shared = path.resolve(process.env.HANDTRACK_SHARED ?? path.join(repo, "..", "shared"));
export const videos = path.join(shared, "data", "hands", "videos");
export const compareScript = path.join(shared, "tools", "compare.py");
export const screenshots = path.resolve(process.env.HANDTRACK_SCREENSHOTS ?? path.join(repo, "docs", "screenshots"));
export const inCI = process.env.CI === "true";
export const kDesktop = { width: 1280, height: 860 };
export const kPhone = { width: 360, height: 780 };
// Generous limits that only turn a hang into a failure; nothing is timed.
export const kHangMs = 300_000;

/** Skips (or fails in CI) when ../shared is missing. */
export function sharedOrSkip(t) {
  if (fs.existsSync(videos)) return true;
  if (inCI) throw new Error(`${videos} is missing in CI`);
  t.skip(`no ${videos}`);
  return false;
}

export function scratchDir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `handtrack-webapp-${name}-`));
}

/**
 * Starts `handtrack serve --listen 127.0.0.1:0` with its own data folder and the built app;
 * resolves once /readyz answers 200, to {origin, token, stop(), log()}.
 */
export async function startServer({ token = null, workers = 1, extra = [] } = {}) {
  const data = scratchDir("data");
  const args = ["serve", "--listen", "127.0.0.1:0", "--data", data, "--web-root", webRoot, "--workers", String(workers), ...extra];
  if (token !== null) args.push("--token", token);
  const child = spawn(handtrack, args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (chunk) => {
    log += chunk;
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`handtrack serve did not start:\n${log}`)), kHangMs);
    const check = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stderr.on("data", check);
    exited.then((code) => reject(new Error(`handtrack serve exited with ${code}:\n${log}`)));
  });
  for (const start = Date.now(); ; ) {
    const ready = await fetch(`${origin}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() - start > kHangMs) throw new Error(`handtrack serve never got ready:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    origin,
    token,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      fs.rmSync(data, { recursive: true, force: true });
    },
  };
}

/** GET/POST/DELETE on the API from node; resolves to the Response (throws on non-2xx unless ok: false). */
export async function apiFetch(server, route, { method = "GET", body = undefined, headers = {}, ok = true } = {}) {
  const auth = server.token === null ? {} : { Authorization: `Bearer ${server.token}` };
  const response = await fetch(`${server.origin}${route}`, { method, body, headers: { ...auth, ...headers } });
  if (ok && !response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return response;
}

export async function apiBytes(server, route) {
  return Buffer.from(await (await apiFetch(server, route)).arrayBuffer());
}

/** Uploads a video through the API (not the page) and waits for its session to end. */
export async function uploadAndWait(server, file, query = "") {
  const created = await (await apiFetch(server, `/v1/sessions?name=${encodeURIComponent(path.basename(file))}${query ? `&${query}` : ""}`, { method: "POST", body: fs.readFileSync(file) })).json();
  return waitForSession(server, created.id);
}

export async function waitForSession(server, id) {
  for (const start = Date.now(); ; ) {
    const session = await (await apiFetch(server, `/v1/sessions/${id}`)).json();
    if (!["queued", "running"].includes(session.state)) return session;
    if (Date.now() - start > kHangMs) throw new Error(`session ${id} never ended`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Opens `origin + pagePath` in headless Chromium. Records console errors, page errors,
 * failed requests (network failures and HTTP statuses >= 400) and requests outside the
 * server (aborted). options: viewport, fakeCamera (a .y4m played as the webcam),
 * cameraPermission, storage (localStorage entries set before the page loads).
 */
export async function openBrowser(origin, pagePath, { viewport = kDesktop, fakeCamera = null, cameraPermission = true, storage = {} } = {}) {
  const args = [...kBaseFlags];
  if (fakeCamera !== null) {
    args.push("--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${fakeCamera}`);
    if (cameraPermission) args.push("--use-fake-ui-for-media-stream");
  }
  const browser = await chromium.launch({ executablePath: kChromium, headless: true, args });
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  if (fakeCamera !== null && cameraPermission) await context.grantPermissions(["camera"], { origin });
  const problems = { console: [], page: [], failed: [], outside: [], requests: [] };
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    problems.outside.push(url);
    return route.abort();
  });
  if (Object.keys(storage).length) {
    await context.addInitScript((entries) => {
      if (sessionStorage.getItem("handtrack.test.seeded") === null) {
        for (const [key, value] of Object.entries(entries)) localStorage.setItem(key, value);
        sessionStorage.setItem("handtrack.test.seeded", "1");
      }
    }, storage);
  }
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") problems.console.push(`${message.text()} (${message.location().url})`);
    if (process.env.HANDTRACK_VERBOSE) console.error(`[browser ${message.type()}] ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.page.push(error.message));
  page.on("request", (request) => problems.requests.push({ url: request.url(), method: request.method(), headers: request.headers(), type: request.resourceType() }));
  let navigating = false;
  page.on("requestfailed", (request) => {
    const reason = request.failure()?.errorText ?? "";
    // The media player drops range requests it no longer needs when the video seeks, and a
    // page that is left drops what it was still fetching: the browser at work, not failures.
    if (reason === "net::ERR_ABORTED" && (request.resourceType() === "media" || navigating)) return;
    problems.failed.push(`${request.method()} ${request.url()}: ${reason}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.failed.push(`${response.request().method()} ${response.url()}: HTTP ${response.status()}`);
  });
  await page.goto(`${origin}${pagePath}`);
  return {
    browser,
    context,
    page,
    problems,
    /** Leaves the page for origin + pagePath (what the old page was fetching may be dropped). */
    goto: async (pagePath) => {
      navigating = true;
      try {
        await page.goto(`${origin}${pagePath}`);
      } finally {
        navigating = false;
      }
    },
    close: async () => {
      await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}

/** Throws when the page logged an error, failed a request or reached outside the server. */
export function assertClean(problems, what) {
  const lines = [
    ...problems.console.map((text) => `console error: ${text}`),
    ...problems.page.map((text) => `page error: ${text}`),
    ...problems.failed.map((text) => `failed request: ${text}`),
    ...problems.outside.map((text) => `request outside the server: ${text}`),
  ];
  if (lines.length) throw new Error(`${what}:\n  ${lines.join("\n  ")}`);
}

/** Writes docs/screenshots/NAME.png (or $HANDTRACK_SCREENSHOTS/NAME.png). */
export async function screenshot(page, name) {
  fs.mkdirSync(screenshots, { recursive: true });
  const file = path.join(screenshots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Runs compare.py REFERENCE CANDIDATE --by-index with the bounds; returns its output, throws (with it) on a failed bound. */
export function compare(reference, candidate, bounds) {
  const args = [compareScript, "--by-index", reference, candidate, ...bounds.flatMap((bound) => ["--require", bound])];
  try {
    return execFileSync("/usr/bin/python3", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`compare.py failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`);
  }
}

export function metrics(output) {
  return output.split("\n").filter((line) => /^(frames|count_agreement|ne_median|ne_p90|handedness_agreement)\b/.test(line)).join("; ");
}
