#!/usr/bin/env python3
"""What `track --palm-detection-interval N` gains and what it costs, on the shared videos.

For each video, `handtrack track --num-hands 2` runs with MediaPipe's rule (interval 1) and with
interval N, alternately, --runs times each; the speed is each run's processing_fps (the
summary's: decode and tracking, not model loading), the median per setting. Then, frame by frame:

- same landmarks: hands are paired frame by frame by wrist position; a pair whose tracking began
  on the same frame in both runs (the same hand from the same palm detection) must have the same
  landmarks (column "same": such hand-frames; "max_diff": their largest difference, 0 when palm
  detection never moved a tracked hand, the option's promise). A hand that the interval run found
  later starts from another region (column "later": hand-frames not compared);
- a hand that enters: each time the default run's hand count rises and stays up for at least N
  frames, the number of frames until the interval run has as many hands; the largest is
  reported and must be below N.

Column "ceil" is the most any interval could give on this machine: the default run's time per
frame over that time less its palm detection (the summary's engine run seconds for palm per
frame), i.e. the speed-up with no palm detection at all. Where the two models cost about the
same, as MediaPipe's full models do on XNNPACK, it stays near 2 (docs/CUDA.md).

One-hand videos (at most one hand in ../shared/golden/videos) are where the option pays: with
one hand tracked and num_hands 2, MediaPipe's rule runs palm detection on every frame.

  /usr/bin/python3 tools/palm_interval_check.py build/bin/handtrack --interval 10 [--runs 3]
      [--require-speedup 2.5] [--videos DIR] [--delegate NAME] [--threads N]

--delegate and --threads go to every `track` command (default: track's own, i.e. auto and 1
thread); on a machine with a GPU, `--delegate xnnpack` measures the CPU path.

Exit 1 when landmarks differ, a hand is found late, or (with --require-speedup) a one-hand
video's speed-up is below the bound.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("HANDTRACK_SHARED", os.path.join(HERE, "..", "..", "shared"))


def run_track(binary, video, interval, workdir, tag, extra_args=()):
    out = os.path.join(workdir, f"{tag}.jsonl")
    summary = os.path.join(workdir, f"{tag}.summary.json")
    command = [binary, "track", "--num-hands", "2", "--palm-detection-interval", str(interval),
               "--summary", summary, "--output", out, "--no-progress", *extra_args, video]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    with open(summary) as f:
        summary = json.load(f)
    fps = summary["processing_fps"]
    with open(out) as f:
        frames = [json.loads(line) for line in f if line.strip()]
    return fps, frames, ceiling(summary, fps, len(frames))


def ceiling(summary, fps, frame_count):
    """The speed-up if this run had run no palm detection: its time per frame over that time
    less palm detection's share (None without the engine's palm figures)."""
    palm = summary.get("engine", {}).get("palm")
    if not palm or not fps or not frame_count:
        return None
    frame_seconds = 1.0 / fps
    palm_seconds = palm.get("run_seconds", 0.0) / frame_count
    rest = frame_seconds - palm_seconds
    return frame_seconds / rest if rest > 0 else None


def first_seen(frames):
    """The frame each hand id was first reported on: where its tracking began."""
    start = {}
    for index, frame in enumerate(frames):
        for hand in frame["hands"]:
            start.setdefault(hand["id"], index)
    return start


def largest_landmark_difference(default_frames, interval_frames):
    """Over hands whose tracking began on the same frame in both runs (the same hand, tracked
    from the same palm detection): the largest landmark difference, and how many were compared.
    A hand found later with the interval starts from another region, so its landmarks may
    differ by a little until they converge: those pairs are counted apart."""
    start_a, start_b = first_seen(default_frames), first_seen(interval_frames)
    worst, compared, later_found = 0.0, 0, 0
    for a, b in zip(default_frames, interval_frames):
        unused = list(b["hands"])
        for hand in a["hands"]:
            if not unused:
                break
            wrist = hand["landmarks"][0]
            match = min(unused, key=lambda h: (h["landmarks"][0][0] - wrist[0]) ** 2 +
                        (h["landmarks"][0][1] - wrist[1]) ** 2)
            unused.remove(match)
            if start_a[hand["id"]] != start_b[match["id"]]:
                later_found += 1
                continue
            compared += 1
            for p, q in zip(hand["landmarks"], match["landmarks"]):
                worst = max(worst, max(abs(u - v) for u, v in zip(p, q)))
    return worst, compared, later_found


def entry_delays(default_frames, interval_frames, interval):
    counts_a = [len(f["hands"]) for f in default_frames]
    counts_b = [len(f["hands"]) for f in interval_frames]
    delays = []
    for i in range(1, len(counts_a)):
        rise = counts_a[i]
        if rise <= counts_a[i - 1] or counts_b[i - 1] >= rise:
            continue
        if any(c < rise for c in counts_a[i:i + interval]) or i + interval > len(counts_a):
            continue  # a brief appearance: not a hand that entered and stayed
        delay = next((j - i for j in range(i, len(counts_b)) if counts_b[j] >= rise), len(counts_b) - i)
        delays.append(delay)
    return delays


def golden_max_hands(name):
    path = os.path.join(SHARED, "golden", "videos", os.path.splitext(name)[0] + ".tasks_full.json")
    with open(path) as f:
        frames = json.load(f)["frames"]
    return max(len(frame["hands"]) for frame in frames)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--videos", default=os.path.join(SHARED, "data", "hands", "videos"))
    parser.add_argument("--require-speedup", type=float, default=0.0)
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--delegate", help="track's --delegate (default: track's)")
    parser.add_argument("--threads", type=int, help="track's --threads (default: track's)")
    args = parser.parse_args()
    extra_args = []
    if args.delegate:
        extra_args += ["--delegate", args.delegate]
    if args.threads:
        extra_args += ["--threads", str(args.threads)]

    rows, failures = [], []
    with tempfile.TemporaryDirectory() as workdir:
        for name in sorted(os.listdir(args.videos)):
            video = os.path.join(args.videos, name)
            speeds = {1: [], args.interval: []}
            frames = {}
            ceilings = []
            for _ in range(args.runs):
                for interval in (1, args.interval):
                    fps, frames[interval], bound = run_track(args.binary, video, interval, workdir,
                                                             f"n{interval}", extra_args)
                    speeds[interval].append(fps)
                    if interval == 1 and bound is not None:
                        ceilings.append(bound)
            default_fps = statistics.median(speeds[1])
            interval_fps = statistics.median(speeds[args.interval])
            difference, compared, later_found = largest_landmark_difference(frames[1], frames[args.interval])
            delays = entry_delays(frames[1], frames[args.interval], args.interval)
            one_hand = golden_max_hands(name) == 1
            row = {"video": name, "one_hand": one_hand, "frames": len(frames[1]),
                   "default_fps": default_fps, "interval_fps": interval_fps,
                   "speedup": round(interval_fps / default_fps, 2),
                   "ceiling": round(statistics.median(ceilings), 2) if ceilings else None,
                   "hands_compared": compared,
                   "hands_found_later": later_found, "largest_landmark_difference": difference,
                   "entries": len(delays), "largest_entry_delay": max(delays, default=0)}
            rows.append(row)
            if difference > 0:
                failures.append(f"{name}: landmarks of a hand tracked from the same detection differ by {difference:g}")
            if delays and max(delays) >= args.interval:
                failures.append(f"{name}: a hand that entered was found after {max(delays)} frames "
                                f"(interval {args.interval})")
            if one_hand and args.require_speedup and row["speedup"] < args.require_speedup:
                failures.append(f"{name}: speed-up {row['speedup']} is below {args.require_speedup}")

    print(f"interval {args.interval}, num_hands 2, median of {args.runs} runs each")
    print(f"{'video':46} {'hands':>5} {'frames':>6} {'default':>8} {'interval':>8} {'x':>5} {'ceil':>5} "
          f"{'same':>5} {'later':>5} {'max_diff':>8} {'entries':>7} {'delay':>5}")
    for r in rows:
        print(f"{r['video']:46} {'1' if r['one_hand'] else '2':>5} {r['frames']:6d} {r['default_fps']:8.1f} "
              f"{r['interval_fps']:8.1f} {r['speedup']:5.2f} "
              f"{'-' if r['ceiling'] is None else format(r['ceiling'], '.2f'):>5} "
              f"{r['hands_compared']:5d} {r['hands_found_later']:5d} "
              f"{r['largest_landmark_difference']:8.2g} {r['entries']:7d} {r['largest_entry_delay']:5d}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
