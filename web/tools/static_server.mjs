// A small static file server on 127.0.0.1 for the demo, the harness and the
// tests. With `isolate` every response carries the headers that make a page
// cross-origin isolated (COOP same-origin + COEP require-corp), which the
// threaded build needs; without, the page gets the single-threaded build.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const kMimeTypes = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".tflite": "application/octet-stream",
  ".task": "application/octet-stream",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".y4m": "application/octet-stream",
};

/**
 * Starts the server. routes: URL prefix ("/dist/") -> folder; files: URL path
 * -> file (inputs named one by one). Resolves to {server, origin, close()}.
 * port 0 picks a free port.
 */
export function startStaticServer({ routes = {}, files = new Map(), isolate = false, port = 0, host = "127.0.0.1", log = null } = {}) {
  const isolationHeaders = isolate ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } : {};
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    let pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      response.writeHead(400).end("bad path");
      return;
    }
    let file = files.get(pathname) ?? null;
    if (file === null) {
      for (const [prefix, folder] of Object.entries(routes)) {
        if (!pathname.startsWith(prefix)) continue;
        const root = path.resolve(folder);
        const candidate = path.resolve(root, `.${pathname.slice(prefix.length - 1)}`);
        if (candidate === root || candidate.startsWith(root + path.sep)) file = candidate;
        break;
      }
    }
    if (file !== null && fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (file === null || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      log?.(`404 ${pathname}`);
      response.writeHead(404, { "Content-Type": "text/plain", ...isolationHeaders }).end("not found");
      return;
    }
    response.writeHead(200, {
      "Content-Type": kMimeTypes[path.extname(file).toLowerCase()] ?? "application/octet-stream",
      "Content-Length": fs.statSync(file).size,
      "Cache-Control": "no-store",
      "Cross-Origin-Resource-Policy": "same-origin",
      ...isolationHeaders,
    });
    if (request.method === "HEAD") response.end();
    else fs.createReadStream(file).pipe(response);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const origin = `http://${host}:${server.address().port}`;
      resolve({ server, origin, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}
