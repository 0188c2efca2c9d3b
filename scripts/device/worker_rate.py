#!/usr/bin/env python3
"""Frames per second of `handtrack worker` on recorded sessions, end to end.

Starts `handtrack serve --workers 0` (it only queues), uploads the videos through its API,
then starts `handtrack worker` on the server's SQLite database and waits until every session
has succeeded (or failed); frames/s = all frames over the time from the worker's start to the
last session's end. Used by scripts/device/track_check.sh on the GPU machine (stdlib only).

  worker_rate.py HANDTRACK DATA_DIR VIDEO... -- WORKER_OPTIONS...
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

TOKEN = "worker-rate"


def call(port, method, path, body=None, headers=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    request.add_header("Authorization", f"Bearer {TOKEN}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read() or b"null")


def main():
    split = sys.argv.index("--")
    handtrack, data, videos = sys.argv[1], sys.argv[2], sys.argv[3:split]
    worker_options = sys.argv[split + 1:]
    port = 18080
    os.makedirs(data, exist_ok=True)
    # The web app is not built on the GPU machine: an empty one satisfies --web-root.
    web_root = os.path.join(data, "web")
    os.makedirs(web_root, exist_ok=True)
    open(os.path.join(web_root, "index.html"), "w").close()
    # serve loads the models too (for /v1/detect): the worker's --models, when given.
    models = []
    if "--models" in worker_options:
        models = ["--models", worker_options[worker_options.index("--models") + 1]]
    server = subprocess.Popen([handtrack, "serve", "--listen", f"127.0.0.1:{port}", "--workers", "0",
                               "--data", os.path.join(data, "serve"), "--token", TOKEN, "--web-root", web_root]
                              + models,
                              stdout=open(os.path.join(data, "serve.log"), "w"), stderr=subprocess.STDOUT)
    worker = None
    try:
        for _ in range(100):
            try:
                call(port, "GET", "/healthz")
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit("serve ended: " + open(os.path.join(data, "serve.log")).read()[-300:])
                time.sleep(0.1)
        ids = []
        for video in videos:
            with open(video, "rb") as f:
                session = call(port, "POST", "/v1/sessions", f.read(), {"Content-Type": "video/mp4"})
            ids.append(session["id"])
        start = time.time()
        worker = subprocess.Popen([handtrack, "worker", "--db", os.path.join(data, "serve", "handtrack.db"),
                                   "--data", os.path.join(data, "worker")] + worker_options,
                                  stdout=open(os.path.join(data, "worker.log"), "w"), stderr=subprocess.STDOUT)
        states = {}
        while time.time() - start < 400:
            states = {i: call(port, "GET", f"/v1/sessions/{i}") for i in ids}
            if all(s["state"] in ("succeeded", "failed", "cancelled") for s in states.values()):
                break
            time.sleep(0.2)
        seconds = time.time() - start
        frames = sum(s["progress"]["frames_done"] for s in states.values())
        done = sum(s["state"] == "succeeded" for s in states.values())
        print(f"worker {' '.join(worker_options)}: {done}/{len(ids)} sessions succeeded, {frames} frames in "
              f"{seconds:.1f} s: {frames / seconds:.0f} frames/s")
    finally:
        for process in (worker, server):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()
