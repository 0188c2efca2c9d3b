#!/usr/bin/python3
"""Scale-out: one PostgreSQL 15 (started here), `handtrack serve --workers 0` for the API,
and three `handtrack worker` processes with separate working folders process 30 sessions:
each succeeds once (one attempt), and every worker does some. Prints the split and the
frames/s. With --sweep, runs 1 and then 3 workers on the same 30 sessions and prints both
rates (a measurement, not a check: speed is for benchmarks).

    serve_scaleout_test.py HANDTRACK_BINARY [--sweep]"""
import os
import re
import shutil
import sys
import time


sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from service_support import (VIDEOS, Postgres, Process, Server, check, skip_unless_shared, temp_root, videos,
                             wait_for)

SESSIONS = 30


def main():
    binary = os.path.abspath(sys.argv[1])
    sweep = "--sweep" in sys.argv
    skip_unless_shared()
    root = temp_root()
    pg = Postgres(root)
    try:
        for n, workers in enumerate([1, 3] if sweep else [3]):
            run(binary, os.path.join(root, f"run{n}"), pg, workers, f"run{n}")
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def run(binary, root, pg, count, schema):
    os.makedirs(root)
    # Each run in a database of its own.
    import subprocess
    subprocess.run(["psql", pg.address, "-qc", f"CREATE DATABASE {schema}"], check=True)
    address = pg.address.replace("/postgres?", f"/{schema}?")
    server = Server(binary, os.path.join(root, "data"), os.path.join(root, "serve.log"),
                    extra=["--db", address, "--workers", "0"])
    workers = []
    try:
        server.wait_ready()
        # The three shortest videos (38, 77 and 80 frames), so the 30 sessions stay a CI-sized job.
        shortest = ["two_hands_zoom_gesture_with_overlays_01.mp4", "open_palm_to_fist_closeup_with_overlays_01.mp4",
                    "hand_swipe_left_right_with_overlays_01.mp4"]
        chosen = [v for v in shortest if v in videos()] or videos()[:3]
        ids = []
        for i in range(SESSIONS):
            video = chosen[i % len(chosen)]
            status, s = server.upload(video)
            check(status == 202, f"session {i} ({video}) queued") if i in (0, SESSIONS - 1) else None
            ids.append(s["id"])
        start = time.monotonic()
        for i in range(count):
            workers.append(Process([binary, "worker", "--db", address, "--data", os.path.join(root, f"worker{i}"),
                                    "--name", f"worker{i}"], os.path.join(root, f"worker{i}.log")))
        frames = 0
        for sid in ids:
            s = server.wait_ended(sid)
            if s["state"] != "succeeded" or s["attempts"] != 1:
                print(server.text()[-3000:])
            check(s["state"] == "succeeded" and s["attempts"] == 1, f"session {sid[:8]}: succeeded on its first attempt") \
                if sid in (ids[0], ids[-1]) else None
            if s["state"] != "succeeded" or s["attempts"] != 1:
                check(False, f"session {sid}: {s['state']} after {s['attempts']} attempts")
            frames += s["progress"]["frames_done"]
        elapsed = time.monotonic() - start
        check(True, f"all {SESSIONS} sessions succeeded, each on its first attempt")
        split = {}
        for i, w in enumerate(workers):
            done = set(re.findall(r"session ([0-9a-f]{32}): succeeded", w.text()))
            split[f"worker{i}"] = len(done)
        check(sum(split.values()) == SESSIONS, f"{sum(split.values())} successes in the workers' logs, one per session")
        check(all(n > 0 for n in split.values()), f"the work is spread over all {count} workers: {split}")
        print(f"{count} worker(s): {frames} frames in {elapsed:.1f} s = {frames / elapsed:.1f} frames/s "
              f"(from the first worker's start to the last session's end)", flush=True)
    finally:
        for w in workers:
            w.stop()
        server.stop()


if __name__ == "__main__":
    main()
