#!/usr/bin/python3
"""Load measurement of `handtrack serve` (a benchmark, not a test: nothing is asserted on
speed). In one sitting:
  1. a server with --workers J --threads J: 16 concurrent uploads (the shared videos, twice),
     upload latency, and processing frames/s from the first session's start to the last
     one's end;
  2. 64 concurrent POST /v1/detect of a shared photo: p50 and p99 latency;
  3. the server's peak memory (VmHWM);
  4. `handtrack track --jobs J --threads J` on the same 16 videos, twice: in the order the
     server claimed them (the same schedule: the server's rate against this one is the
     service's own cost), and in name order (a schedule of its own).
Every request must succeed.

With J jobs of one inference thread each, the rate's end is a tail where the last videos run
alone on fewer cores than J; how long it lasts depends on which video comes last, so only
runs with the same order measure the service's cost rather than the schedule's luck.

    serve_load_bench.py HANDTRACK_BINARY [JOBS (default 2)]"""
import concurrent.futures
import datetime
import json
import os
import shutil
import subprocess
import sys
import time


sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from service_support import IMAGES, VIDEOS, Server, check, skip_unless_shared, temp_root, videos


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def track_rate(binary, jobs, root, label, order):
    """Runs track on the videos of `order` (names in the shared folder), in that order, through
    numbered links (one output each); prints and returns frames/s from process start to exit."""
    inputs = os.path.join(root, "inputs-" + label)
    out = os.path.join(root, "track-" + label)
    os.makedirs(inputs)
    os.makedirs(out)
    names = []
    for i, video in enumerate(order):
        name = f"{i:02d}_{video}"
        os.symlink(os.path.join(VIDEOS, video), os.path.join(inputs, name))
        names.append(name)
    start = time.monotonic()
    subprocess.run([binary, "track", "--jobs", str(jobs), "--threads", str(jobs), "--format", "golden", "--no-progress",
                    "--output", out] + names, cwd=inputs, check=True)
    seconds = time.monotonic() - start
    frames = sum(len(json.load(open(os.path.join(out, n[:-4] + ".json")))["frames"]) for n in names)
    print(f"track --jobs {jobs} --threads {jobs} ({label}): {frames} frames in {seconds:.1f} s = "
          f"{frames / seconds:.1f} frames/s (process start to exit)", flush=True)
    return frames / seconds


def main():
    binary = os.path.abspath(sys.argv[1])
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    skip_unless_shared()
    root = temp_root()
    try:
        server = Server(binary, os.path.join(root, "data"), os.path.join(root, "serve.log"),
                        extra=["--workers", str(jobs), "--threads", str(jobs)])
        try:
            server.wait_ready()
            uploads = videos() * 2
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                def upload(video):
                    t = time.monotonic()
                    status, s = server.upload(video)
                    return status, s, time.monotonic() - t
                results = list(pool.map(upload, uploads))
            check(all(r[0] == 202 for r in results), f"{len(uploads)} concurrent uploads: all 202")
            lat = sorted(r[2] for r in results)
            print(f"upload latency: p50 {lat[len(lat) // 2] * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms", flush=True)
            ended = [server.wait_ended(r[1]["id"]) for r in results]
            check(all(s["state"] == "succeeded" for s in ended), "all succeeded")
            frames = sum(s["progress"]["frames_done"] for s in ended)
            first = min(parse_time(s["timings"]["started_at"]) for s in ended)
            last = max(parse_time(s["timings"]["finished_at"]) for s in ended)
            serve_rate = frames / (last - first)
            print(f"serve --workers {jobs} --threads {jobs}: {frames} frames in {last - first:.1f} s = "
                  f"{serve_rate:.1f} frames/s (first start to last end)", flush=True)
            claimed = [video for _, video in sorted(
                (parse_time(s["timings"]["started_at"]), video) for s, video in zip(ended, uploads))]

            photo = open(os.path.join(IMAGES, "two_hands_heart_torso_01.jpg"), "rb").read()
            with concurrent.futures.ThreadPoolExecutor(64) as pool:
                def detect(_):
                    t = time.monotonic()
                    status, frame = server.json("POST", "/v1/detect?num_hands=2", photo)
                    return status, frame, time.monotonic() - t
                results = list(pool.map(detect, range(64)))
            check(all(r[0] == 200 and r[1]["num_hands"] == 2 for r in results), "64 concurrent /v1/detect: all 200, two hands")
            lat = sorted(r[2] for r in results)
            print(f"detect latency (64 at once): p50 {lat[31] * 1000:.0f} ms, p99 {lat[63] * 1000:.0f} ms", flush=True)
            status = open(f"/proc/{server.proc.pid}/status").read()
            hwm = [l for l in status.splitlines() if l.startswith("VmHWM")][0]
            print(f"server peak memory: {hwm.split(':')[1].strip()}", flush=True)
        finally:
            server.stop()

        same_order = track_rate(binary, jobs, root, "the server's claim order", claimed)
        name_order = track_rate(binary, jobs, root, "name order", uploads)
        print(f"serve's rate: {serve_rate / same_order:.0%} of track's in the same order, "
              f"{serve_rate / name_order:.0%} of track's in name order", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
