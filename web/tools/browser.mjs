// Headless Chromium (Debian's /usr/bin/chromium, or $HANDTRACK_CHROMIUM) driven
// by playwright-core, for the harness and the tests. Only the local server is
// reachable: every other request is aborted and no name resolves.
import { chromium } from "playwright-core";

export const kChromium = process.env.HANDTRACK_CHROMIUM ?? "/usr/bin/chromium";

export const kBaseFlags = [
  "--no-sandbox",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--disable-default-apps",
  "--disable-extensions",
  "--no-default-browser-check",
  "--use-gl=angle",
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
  // Never resolve anything but loopback.
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
];

/**
 * Launches Chromium and opens origin + pagePath. options: webgpu (adds
 * --enable-unsafe-webgpu: without it this browser has no WebGPU adapter),
 * fakeCamera (a .y4m file played as the webcam), cameraPermission (false: the
 * page is refused the camera), verbose (browser console to stderr).
 */
export async function openPage(origin, pagePath, { webgpu = false, fakeCamera = null, cameraPermission = true, verbose = false } = {}) {
  const args = [...kBaseFlags];
  if (webgpu) args.push("--enable-unsafe-webgpu");
  if (fakeCamera !== null) {
    args.push("--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${fakeCamera}`);
    if (cameraPermission) args.push("--use-fake-ui-for-media-stream");
  }
  const browser = await chromium.launch({ executablePath: kChromium, headless: true, args });
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  if (fakeCamera !== null && cameraPermission) await context.grantPermissions(["camera"], { origin });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    console.error(`[browser] blocked a request outside ${origin}: ${url.split("?")[0]}`);
    return route.abort();
  });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (verbose || message.type() === "error") console.error(`[browser ${message.type()}] ${message.text()}`);
  });
  page.on("pageerror", (error) => {
    problems.push(error.message);
    console.error(`[pageerror] ${error.message}`);
  });
  await page.goto(`${origin}${pagePath}`);
  return {
    browser,
    context,
    page,
    problems,
    close: async () => {
      await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}
