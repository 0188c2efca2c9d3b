// What the browser tests share: the paths, a server + Chromium page, and
// running the harness and ../shared/tools/compare.py.
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { openPage } from "../tools/browser.mjs";
import { startStaticServer } from "../tools/static_server.mjs";

export const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const repo = path.resolve(web, "..");
export const shared = path.resolve(process.env.HANDTRACK_SHARED ?? path.join(repo, "..", "shared"));
export const images = path.join(shared, "data", "hands", "images");
export const videos = path.join(shared, "data", "hands", "videos");
export const goldenDir = path.join(shared, "golden");
export const compareScript = path.join(shared, "tools", "compare.py");
export const hasShared = fs.existsSync(images) && fs.existsSync(videos);
export const hasThreadedBuild = fs.existsSync(path.join(web, "dist", "handtrack_mt.wasm"));
export const inCI = process.env.CI === "true";
// A one-hand 640x480-ish photo and a two-hand one, used by several tests.
export const oneHandPhoto = path.join(images, "count_five_open_hand_webcam_01.jpg");
export const twoHandPhoto = path.join(images, "two_hands_heart_torso_01.jpg");

const run = promisify(execFile);

/** Skips (or fails in CI) when shared/ is missing. */
export function sharedOrSkip(t) {
  if (hasShared) return true;
  if (inCI) throw new Error(`${shared} is missing in CI`);
  t.skip(`no ${images}`);
  return false;
}

/**
 * Serves web/ (dist, the harness, the demo) and the shared photos (/images/),
 * and opens pagePath in Chromium. Resolves to {page, origin, problems, close()}.
 * extraFiles: URL path -> file; distOverride: another folder served as /dist/.
 */
export async function openSession({ isolate = false, webgpu = false, pagePath = "/harness/index.html", extraFiles = new Map(), fakeCamera = null, cameraPermission = true, distOverride = null } = {}) {
  const server = await startStaticServer({
    routes: {
      "/dist/": distOverride ?? path.join(web, "dist"),
      "/harness/": path.join(web, "tools", "harness"),
      "/demo/": path.join(web, "demo"),
      "/images/": images,
    },
    files: extraFiles,
    isolate,
  });
  let session = null;
  try {
    session = await openPage(server.origin, pagePath, { webgpu, fakeCamera, cameraPermission });
    if (pagePath.startsWith("/harness/")) await session.page.waitForFunction(() => window.harnessReady === true, null, { timeout: 30000 });
  } catch (error) {
    await session?.close();
    await server.close();
    throw error;
  }
  return {
    page: session.page,
    origin: server.origin,
    problems: session.problems,
    close: async () => {
      await session.close();
      await server.close();
    },
  };
}

/** openSession, fn(session), close. */
export async function withPage(options, fn) {
  const session = await openSession(options);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/** Runs `node web/tools/browser-run.mjs ARGS`; resolves to {stdout, stderr}. */
export async function browserRun(args, options = {}) {
  return run(process.execPath, [path.join(web, "tools", "browser-run.mjs"), ...args], { maxBuffer: 256 << 20, ...options });
}

/**
 * Runs compare.py REFERENCE CANDIDATE with the bounds; returns its output.
 * Throws (with the output) when a bound fails.
 */
export function compare(reference, candidate, bounds, { byIndex = false } = {}) {
  const args = [compareScript, ...(byIndex ? ["--by-index"] : []), reference, candidate, ...bounds.flatMap((bound) => ["--require", bound])];
  try {
    return execFileSync("python3", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new Error(`compare.py failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`);
  }
}

/** The metric lines of compare.py's output (count_agreement, ne_median, ...). */
export function metrics(output) {
  return output.split("\n").filter((line) => /^(count_agreement|recall|precision|ne_median|ne_p90|handedness_agreement|world_err_median_mm)\b/.test(line)).join("; ");
}
