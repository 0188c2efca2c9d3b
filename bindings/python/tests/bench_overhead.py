#!/usr/bin/env python3
"""Overhead of the Python module (a measurement, not a test). In one sitting, alternating:
  1. `handtrack bench --delegate D --iters N --json PHOTO`: the C++ Detect's median (IMAGE mode,
     full models, 2 hands, 1 thread);
  2. HandLandmarker.detect from Python on the same decoded photo: median of N calls;
then detect from 1 and from 2 Python threads on one landmarker: photos per second; and with
--video, track() of that video in 1 and in 2 Python threads at once on one shared engine.

    bench_overhead.py HANDTRACK_CLI PHOTO [--delegate xnnpack] [--iters 200] [--rounds 3] [--video V]"""
import argparse
import json
import statistics
import subprocess
import threading
import time

import handtrack


def cpp_median(cli, photo, delegate, iters):
    out = subprocess.run([cli, "bench", "--delegate", delegate, "--iters", str(iters), "--warmup", "20", "--json", photo],
                         stdout=subprocess.PIPE, check=True, text=True).stdout
    rows = [r for r in json.loads(out) if r["what"].startswith("detect")]
    return rows[0]["median_ms"]


def python_median(landmarker, image, iters):
    for _ in range(20):
        landmarker.detect(image)
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        landmarker.detect(image)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def rate(landmarker, image, threads, per_thread):
    def work():
        for _ in range(per_thread):
            landmarker.detect(image)
    pool = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return threads * per_thread / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cli")
    parser.add_argument("photo")
    parser.add_argument("--delegate", default="xnnpack")
    parser.add_argument("--iters", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--video", default=None)
    args = parser.parse_args()
    image = handtrack.Image.create_from_file(args.photo)
    options = handtrack.HandLandmarkerOptions(base_options=handtrack.BaseOptions(delegate=args.delegate), num_hands=2)
    with handtrack.HandLandmarker.create_from_options(options) as landmarker:
        print(f"photo {args.photo}: {len(landmarker.detect(image).hands)} hand(s); delegate {args.delegate}")
        for round_ in range(args.rounds):
            cpp = cpp_median(args.cli, args.photo, args.delegate, args.iters)
            py = python_median(landmarker, image, args.iters)
            print(f"round {round_ + 1}: C++ Detect median {cpp:.3f} ms, Python detect median {py:.3f} ms: "
                  f"{py - cpp:+.3f} ms ({(py / cpp - 1) * 100:+.1f} %)", flush=True)
        one = rate(landmarker, image, 1, args.iters)
        two = rate(landmarker, image, 2, args.iters)
        print(f"one landmarker, 1 thread: {one:.1f} photos/s; 2 threads: {two:.1f} photos/s ({two / one:.2f}x)")
    if args.video:
        engine = handtrack.HandEngine(base_options=handtrack.BaseOptions(delegate=args.delegate))
        stream = handtrack.HandLandmarkerOptions(num_hands=2, engine=engine)
        rates = []
        for threads in (1, 2):
            counts = []
            pool = [threading.Thread(target=lambda: counts.append(sum(1 for _ in handtrack.track(args.video, stream))))
                    for _ in range(threads)]
            start = time.perf_counter()
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            rates.append(sum(counts) / (time.perf_counter() - start))
        print(f"track() on one engine, 1 thread: {rates[0]:.1f} frames/s; 2 threads: {rates[1]:.1f} frames/s "
              f"({rates[1] / rates[0]:.2f}x)")


if __name__ == "__main__":
    main()
