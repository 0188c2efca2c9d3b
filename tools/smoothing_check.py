#!/usr/bin/env python3
"""Does One-Euro smoothing (`handtrack track --smoothing on`) do its job on real videos?

A benchmark-style check, not a timed test. It reads pairs of `handtrack track --format jsonl`
outputs of the same video, one with --smoothing off (RAW) and one with --smoothing on
(SMOOTHED), and measures, for the image landmarks (x, y in pixels) and for the world landmarks
(x, y, z in metres; figures prefixed world_):

  jitter  On frames where a hand is nearly still, the high-frequency part of its frame-to-frame
          landmark motion: the mean over the 21 landmarks of |p(t+1) - 2 p(t) + p(t-1)| (second
          difference: steady motion contributes nothing, frame-to-frame noise everything),
          divided by the hand size. Reported for RAW and SMOOTHED; jitter_ratio = SMOOTHED / RAW.
  lag     On frames where a hand moves fast, the shift L in frames (0..5, sub-frame: RAW is
          interpolated linearly between frames) that best aligns SMOOTHED(t) with RAW(t - L):
          argmin over L of the sum over fast frames of mean_i |S_i(t) - R_i(t - L)|^2 / v(t)^2,
          v(t) the frame's speed, so that every fast frame weighs the same (in frames of lag).
          lag_ls_frames is a second estimate, the least-squares L in S = R - L * R' (R' the
          centred difference of RAW): the mean of (RAW - SMOOTHED) / velocity.

Definitions, chosen from the 8 shared videos tracked with --smoothing off:
  hand size     the longer side of the RAW landmarks' bounding box (as ../shared/tools/compare.py;
                for world landmarks over x, y, z). Speeds and jitter are in hand sizes.
  centre        the mean of the 21 RAW image landmarks.
  nearly still  frame t with the STILL_WINDOW (k = 5) frames t-2..t+2 all present, where every
                centre step inside the window is below STILL_SPEED (X = 1% of the hand size) AND
                every landmark stays within STILL_POSE (3%) of its mean position over the window.
                The second condition leaves out a hand that holds its place while its fingers
                move (fingerspelling): finger motion is signal, not jitter. The raw landmarks'
                frame-to-frame noise is about 0.2-0.5% of the hand size, well inside both bounds;
                the median centre step over all videos is about 0.7%. The same frames serve the
                world landmarks. (Other choices, X 0.5-2%, pose 2%, 5% or no pose condition,
                k 3-7, give jitter ratios of 0.32-0.42 with the default parameters, 0.39 here.)
  fast          frame t with t-5..t present whose step from t-1 is above FAST_SPEED (Y = 5% of
                the hand size, 1.5 hand sizes a second at 30 fps: a swipe, a hand entering the
                picture; about the 90th percentile of the steps; Y 3% or 10% gives lags of 0.12
                or 0.06 frame with the default parameters, 0.10 here). For image landmarks the step
                is the centre's; world landmarks are centred on the hand, so there it is the mean
                landmark step (the hand turning or changing shape fast).

Hands are matched between RAW and SMOOTHED by frame index and id (smoothing never changes
tracking, so both runs must have the same hands: anything else is an input error). Everything
is pooled over all the pairs given; a video without still or fast frames adds nothing to that
part (per-video figures are printed too).

  smoothing_check.py RAW.jsonl SMOOTHED.jsonl [RAW2.jsonl SMOOTHED2.jsonl ...]
      [--json] [--require 'jitter_ratio<=0.5'] [--require 'lag_frames<=1'] ...

Exit status: 0; 1 when a --require bound fails (or its figure is NaN: nothing measured);
2 when the inputs are unusable. Python 3 standard library only.
"""
import argparse
import json
import math
import sys

STILL_SPEED = 0.01   # X: centre step per frame, in hand sizes
STILL_POSE = 0.03    # every landmark within this of its window mean, in hand sizes
STILL_WINDOW = 5     # k: frames in the stillness window, centred on the frame measured
FAST_SPEED = 0.05    # Y: step per frame, in hand sizes
MAX_LAG = 5          # lags searched: 0..MAX_LAG frames
LAG_STEP = 0.01      # grid of that search

SPACES = ("image", "world")   # figures of the world landmarks are prefixed "world_"


class InputError(Exception):
    pass


def load_tracks(path):
    """({id: {frame index: {"image": [(x, y)] px, "world": [(x, y, z)] m}}}, video name)."""
    tracks, video = {}, None
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                frame = json.loads(line)
                video = frame.get("video", video)
                w, h = frame["width"], frame["height"]
                for hand in frame["hands"]:
                    image = [(p[0] * w, p[1] * h) for p in hand["landmarks"]]
                    world = [tuple(p[:3]) for p in hand["world_landmarks"]]
                    if len(image) != 21 or len(world) != 21:
                        raise InputError(f"line {n}: {len(image)}/{len(world)} landmarks, expected 21")
                    tracks.setdefault(hand["id"], {})[frame["index"]] = {"image": image, "world": world}
    except (OSError, ValueError, KeyError, TypeError, IndexError, InputError) as e:
        raise InputError(f"{path}: {e}") from e
    return tracks, video


# ---- Geometry on lists of points of any dimension ---------------------------------------

def hand_size(points):
    return max(max(axis) - min(axis) for axis in zip(*points)) or 1e-9


def centre(points):
    return tuple(sum(axis) / len(points) for axis in zip(*points))


def mean_step(a, b):
    return sum(math.dist(p, q) for p, q in zip(a, b)) / len(a)


def second_difference(a, b, c):
    """Mean over landmarks of |a - 2b + c|."""
    return sum(math.hypot(*(x - 2 * y + z for x, y, z in zip(p, q, r))) for p, q, r in zip(a, b, c)) / len(b)


def lerp(a, b, f):
    return [[x + (y - x) * f for x, y in zip(p, q)] for p, q in zip(a, b)]


def mean_sq_dist(a, b):
    return sum(math.dist(p, q) ** 2 for p, q in zip(a, b)) / len(a)


# ---- Which frames count ------------------------------------------------------------------

def is_still(track, t):
    """Nearly still at frame t (image landmarks of RAW): see the module docstring."""
    h = STILL_WINDOW // 2
    window = [track.get(u) for u in range(t - h, t + h + 1)]
    if any(f is None for f in window):
        return False
    window = [f["image"] for f in window]
    size = hand_size(track[t]["image"])
    centres = [centre(p) for p in window]
    if any(math.dist(c0, c1) > STILL_SPEED * size for c0, c1 in zip(centres, centres[1:])):
        return False
    mean_pose = [centre([p[i] for p in window]) for i in range(21)]
    return all(math.dist(p[i], mean_pose[i]) <= STILL_POSE * size for p in window for i in range(21))


def fast_step(track, t, space):
    """The step from t-1 to t in hand sizes when t is a fast frame with MAX_LAG frames of history."""
    if any(track.get(u) is None for u in range(t - MAX_LAG, t + 1)):
        return None
    a, b = track[t - 1][space], track[t][space]
    step = math.dist(centre(a), centre(b)) if space == "image" else mean_step(a, b)
    step /= hand_size(b)
    return step if step > FAST_SPEED else None


# ---- Sums and figures ----------------------------------------------------------------------

class Tally:
    """Sums for one space (image or world) of one video, or of all videos pooled."""

    LAGS = [k * LAG_STEP for k in range(int(round(MAX_LAG / LAG_STEP)) + 1)]

    def __init__(self):
        self.still_frames = 0
        self.jitter_raw = 0.0
        self.jitter_smoothed = 0.0
        self.fast_frames = 0
        self.lag_error = [0.0] * len(self.LAGS)
        self.ls_num = 0.0  # sum of (RAW - SMOOTHED) . velocity / v^2
        self.ls_den = 0.0  # sum of |velocity|^2 / v^2

    def add(self, other):
        self.still_frames += other.still_frames
        self.jitter_raw += other.jitter_raw
        self.jitter_smoothed += other.jitter_smoothed
        self.fast_frames += other.fast_frames
        self.lag_error = [a + b for a, b in zip(self.lag_error, other.lag_error)]
        self.ls_num += other.ls_num
        self.ls_den += other.ls_den

    def figures(self, prefix=""):
        nan = float("nan")
        out = {"still_frames": self.still_frames, "jitter_raw": nan, "jitter_smoothed": nan, "jitter_ratio": nan,
               "fast_frames": self.fast_frames, "lag_frames": nan, "lag_ls_frames": nan}
        if self.still_frames:
            out["jitter_raw"] = self.jitter_raw / self.still_frames
            out["jitter_smoothed"] = self.jitter_smoothed / self.still_frames
            if self.jitter_raw > 0:
                out["jitter_ratio"] = self.jitter_smoothed / self.jitter_raw
        if self.fast_frames:
            out["lag_frames"] = self.LAGS[min(range(len(self.LAGS)), key=lambda k: self.lag_error[k])]
            if self.ls_den > 0:
                out["lag_ls_frames"] = self.ls_num / self.ls_den
        return {prefix + k: v for k, v in out.items()}


def measure_track(raw, smoothed, tallies):
    for t in raw:
        if t not in smoothed:
            raise InputError(f"missing from the smoothed output at frame {t}")
    still = {t for t in raw if is_still(raw, t)}
    for space, tally in tallies.items():
        r = {t: f[space] for t, f in raw.items()}
        s = {t: f[space] for t, f in smoothed.items()}
        for t in sorted(r):
            size = hand_size(r[t])
            if t in still:  # the window includes t-1 and t+1
                tally.still_frames += 1
                tally.jitter_raw += second_difference(r[t - 1], r[t], r[t + 1]) / size
                tally.jitter_smoothed += second_difference(s[t - 1], s[t], s[t + 1]) / size
            step = fast_step(raw, t, space)
            if step is None:
                continue
            # Error of SMOOTHED(t) against RAW(t - L) on the grid of L, in (frames of lag)^2.
            tally.fast_frames += 1
            norm = (step * size) ** 2
            for k, lag in enumerate(tally.LAGS):
                whole = int(lag)
                frac = lag - whole
                shifted = r[t - whole] if frac == 0 else lerp(r[t - whole], r[t - whole - 1], frac)
                tally.lag_error[k] += mean_sq_dist(s[t], shifted) / norm
            # Least squares L in S = R - L * R', R' the centred difference (needs t+1).
            if t + 1 in r:
                for p, q, a, b in zip(r[t], s[t], r[t - 1], r[t + 1]):
                    v = [(y - x) / 2 for x, y in zip(a, b)]
                    tally.ls_num += sum((x - y) * vi for x, y, vi in zip(p, q, v)) / norm
                    tally.ls_den += sum(vi * vi for vi in v) / norm


def measure_pair(raw_path, smoothed_path):
    """{space: Tally} of one video, and its name."""
    raw, raw_video = load_tracks(raw_path)
    smoothed, smoothed_video = load_tracks(smoothed_path)
    if raw_video != smoothed_video:
        raise InputError(f"{raw_path} and {smoothed_path} are of different videos ({raw_video}, {smoothed_video})")
    if sorted(raw) != sorted(smoothed) or any(sorted(raw[i]) != sorted(smoothed[i]) for i in raw):
        raise InputError(f"{raw_path} and {smoothed_path} do not have the same hands in the same frames "
                         "(smoothing must not change tracking)")
    tallies = {space: Tally() for space in SPACES}
    for hand_id in raw:
        try:
            measure_track(raw[hand_id], smoothed[hand_id], tallies)
        except InputError as e:
            raise InputError(f"{smoothed_path}: hand {hand_id}: {e}") from e
    return tallies, raw_video or raw_path


def all_figures(tallies):
    out = {}
    for space in SPACES:
        out.update(tallies[space].figures("" if space == "image" else space + "_"))
    return out


def check_requirements(figures, requirements):
    failed = []
    for req in requirements:
        op = "<=" if "<=" in req else ">=" if ">=" in req else None
        if op is None:
            raise InputError(f"--require {req}: expected KEY<=VALUE or KEY>=VALUE")
        key, bound = (x.strip() for x in req.split(op))
        if key not in figures:
            raise InputError(f"--require {req}: unknown figure {key} (known: {', '.join(figures)})")
        got, bound = figures[key], float(bound)
        ok = got <= bound if op == "<=" else got >= bound
        if not ok:  # also when got is NaN: nothing was measured, so nothing is shown
            failed.append(f"{key}={got:.4g} (want {op}{bound:g})")
    return failed


def fmt(v):
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", metavar="RAW.jsonl SMOOTHED.jsonl",
                    help="pairs of outputs of one video: --smoothing off, then --smoothing on")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--require", action="append", default=[], metavar="KEY<=VALUE",
                    help="exit 1 when the pooled figure KEY is outside the bound (repeatable)")
    a = ap.parse_args()
    if len(a.files) % 2:
        ap.error("give the outputs in pairs: RAW.jsonl SMOOTHED.jsonl ...")

    try:
        total, videos = {space: Tally() for space in SPACES}, {}
        for raw_path, smoothed_path in zip(a.files[::2], a.files[1::2]):
            tallies, name = measure_pair(raw_path, smoothed_path)
            for space in SPACES:
                total[space].add(tallies[space])
            videos[name] = all_figures(tallies)
        figures = all_figures(total)
        failed = check_requirements(figures, a.require)
    except InputError as e:
        print(f"smoothing_check: {e}", file=sys.stderr)
        return 2

    if a.json:
        print(json.dumps({**figures, "videos": videos}))
    else:
        for name, f in videos.items():
            print(f"{name}:")
            for p in ("", "world_"):
                print(f"  {p or 'image_'}jitter {fmt(f[p + 'jitter_raw'])} -> {fmt(f[p + 'jitter_smoothed'])} "
                      f"(ratio {fmt(f[p + 'jitter_ratio'])}, {f[p + 'still_frames']} still frames); "
                      f"lag {fmt(f[p + 'lag_frames'])} (ls {fmt(f[p + 'lag_ls_frames'])}, "
                      f"{f[p + 'fast_frames']} fast frames)")
        print("all videos:")
        for key, value in figures.items():
            print(f"{key}: {fmt(value)}")
    if failed:
        print("FAILS: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
