"""`handtrack serve`'s web app files (tools/serve/static_files.cc) and the token rules the web
app relies on, against a real server with a web root made here: the pages and assets without
a token, with their content types, the cross-origin isolation headers and ETag revalidation;
nothing outside the root or hidden in it, however the path is written (.., encoded dots and
slashes, NUL, a symbolic link out); the API still behind the token, which GET requests may
also carry as ?access_token= (a <video>, a download link) and other methods may not; /healthz
saying whether a token is needed. Needs no shared media.

    serve_static_test.py HANDTRACK_BINARY
"""
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from service_support import Server, check, temp_root

TOKEN = "static-test-token"


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    binary = os.path.abspath(sys.argv[1])
    root = temp_root()
    try:
        run(binary, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(binary, root):
    web = os.path.join(root, "web")
    files = {
        "index.html": b"<!doctype html><title>live</title>",
        "sessions.html": b"<!doctype html><title>sessions</title>",
        "assets/app.js": b"console.log('app');\n",
        "assets/app.css": b"body{}\n",
        "engine/handtrack_st.wasm": b"\0asm\1\0\0\0",
        "engine/models/m.tflite": b"TFL3" * 100,
        "sub/index.html": b"<!doctype html><title>sub</title>",
        ".hidden": b"secret",
        "assets/.env": b"secret",
    }
    for name, data in files.items():
        write(os.path.join(web, name), data)
    write(os.path.join(root, "outside.txt"), b"outside the web root")
    os.symlink(os.path.join(root, "outside.txt"), os.path.join(web, "escape.txt"))
    os.symlink(os.path.join(web, "assets", "app.js"), os.path.join(web, "inside.js"))

    result = subprocess.run([binary, "serve", "--web-root", os.path.join(root, "none"), "--data", os.path.join(root, "unused")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    err = result.stderr.decode().strip()
    check(result.returncode == 2 and "--web-root" in err and len(err.splitlines()) == 1,
          f"--web-root without an index.html: exit 2, {err}")

    server = Server(binary, os.path.join(root, "data"), os.path.join(root, "serve.log"), token=TOKEN,
                    extra=["--web-root", web, "--workers", "0"])
    try:
        exercise(server, files)
    except SystemExit:
        print(server.text()[-4000:])
        raise
    finally:
        server.stop()
    check(f"web app at http://127.0.0.1:{server.port}/ from {web}" in server.text(), "the log names the web root")


def exercise(server, files):
    types = {"/": ("index.html", "text/html; charset=utf-8"),
             "/sessions": ("sessions.html", "text/html; charset=utf-8"),
             "/sessions.html": ("sessions.html", "text/html; charset=utf-8"),
             "/assets/app.js": ("assets/app.js", "text/javascript; charset=utf-8"),
             "/assets/app.css": ("assets/app.css", "text/css; charset=utf-8"),
             "/engine/handtrack_st.wasm": ("engine/handtrack_st.wasm", "application/wasm"),
             "/engine/models/m.tflite": ("engine/models/m.tflite", "application/octet-stream"),
             "/sub/": ("sub/index.html", "text/html; charset=utf-8"),
             "/engine/%68andtrack_st.wasm": ("engine/handtrack_st.wasm", "application/wasm"),
             "/inside.js": ("assets/app.js", "text/javascript; charset=utf-8")}
    for path, (name, content_type) in types.items():
        status, headers, body = server.request("GET", path, auth=False)
        check(status == 200 and body == files[name] and headers["content-type"] == content_type,
              f"GET {path} without a token: 200, {name} as {content_type}")
        check(headers.get("cross-origin-opener-policy") == "same-origin" and
              headers.get("cross-origin-embedder-policy") == "require-corp" and
              headers.get("cross-origin-resource-policy") == "same-origin" and
              headers.get("x-content-type-options") == "nosniff" and headers.get("cache-control") == "no-cache" and
              "default-src 'self'" in headers.get("content-security-policy", ""),
              f"GET {path}: isolation, caching and security headers")
        etag = headers["etag"]
        status, headers, body = server.request("GET", path, headers={"If-None-Match": etag}, auth=False)
        check(status == 304 and body == b"" and headers.get("etag") == etag, f"GET {path} with its ETag: 304, no body")
    status, headers, body = server.request("HEAD", "/", auth=False)
    check(status == 200 and body == b"" and headers["content-length"] == str(len(files["index.html"])),
          "HEAD /: 200 with the length, no body")

    for path, what in (("/.hidden", "a hidden file"),
                       ("/assets/.env", "a hidden file in a folder"),
                       ("/../outside.txt", ".."),
                       ("/assets/../../outside.txt", ".. out of a folder"),
                       ("/%2e%2e/outside.txt", "encoded dots"),
                       ("/assets/..%2f..%2foutside.txt", "an encoded slash"),
                       ("/assets%2fapp.js", "an encoded slash inside the root"),
                       ("/./index.html", "a '.' segment"),
                       ("//etc/passwd", "an empty segment"),
                       ("/index.html%00.js", "a NUL byte"),
                       ("/assets\\app.js", "a backslash"),
                       ("/escape.txt", "a symbolic link out of the root"),
                       ("/assets", "a folder without index.html"),
                       ("/nothing-here", "a missing file"),
                       ("/bad%zzescape", "a bad percent escape")):
        status, headers, body = server.request("GET", path, auth=False)
        check(status == 404 and b"outside the web root" not in body and b"secret" not in body, f"GET {path} ({what}): 404")

    # The API stays behind the token.
    status, _ = server.json("GET", "/v1/sessions", auth=False)
    check(status == 401, "GET /v1/sessions without the token: 401")
    status, _ = server.json("GET", "/openapi.json", auth=False)
    check(status == 401, "GET /openapi.json without the token: 401")
    status, body = server.json("GET", f"/v1/sessions?limit=5&access_token={TOKEN}", auth=False)
    check(status == 200 and body["sessions"] == [], "GET /v1/sessions?access_token=TOKEN: 200 (the other options still apply)")
    status, _ = server.json("GET", "/v1/sessions?access_token=wrong", auth=False)
    check(status == 401, "GET with a wrong access_token: 401")
    status, _ = server.json("POST", f"/v1/sessions?access_token={TOKEN}", body=b"x", auth=False)
    check(status == 401, "POST with ?access_token=: 401 (only GET takes the token in the URL)")
    status, _ = server.json("DELETE", f"/v1/sessions/0123456789abcdef0123456789abcdef?access_token={TOKEN}", auth=False)
    check(status == 401, "DELETE with ?access_token=: 401")
    status, body = server.json("POST", "/", auth=True)
    check(status == 404 and body["error"]["code"] == "not_found", "POST / (not a static method): the API's 404")
    status, body = server.json("GET", "/healthz", auth=False)
    check(status == 200 and body == {"status": "ok", "token_required": True}, "/healthz says a token is required")


if __name__ == "__main__":
    main()
