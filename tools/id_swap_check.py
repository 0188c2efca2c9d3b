#!/usr/bin/env python3
"""Do hand ids stay with their hands? Checks a `handtrack track --format jsonl` output.

  swap  Two consecutive frames (indices t and t+1) that both have the same two ids a and b:
        the ids must be attached the way that moves the landmarks least, i.e.
            D(a_t, a_t+1) + D(b_t, b_t+1) <= D(a_t, b_t+1) + D(b_t, a_t+1)
        with D the mean distance of the 21 landmarks in pixels. Otherwise the tracker has
        handed each hand the other's id (a swap). With more than two hands every pair of ids
        present in both frames is checked.
  jump  An id present in consecutive frames whose centre (mean of the 21 landmarks) moves by
        more than a hand size (the longer side of the landmarks' bounding box, the larger of
        the two frames'): at 30 fps no real hand does that (the fastest steps in the shared
        videos are under half a hand size), so the id went to another hand.

Prints the number of frame pairs checked and every swap and jump found; exit 1 when there is
one (or when --min-pairs is not reached: a two-hand video where both hands are never tracked
together checks nothing), 2 when the input is unusable. --json prints one JSON object.

  id_swap_check.py OUTPUT.jsonl [OUTPUT2.jsonl ...] [--min-pairs N] [--json]

Python 3 standard library only.
"""
import argparse
import itertools
import json
import math
import sys

JUMP_HAND_SIZES = 1.0  # a centre step beyond this many hand sizes is a jump


def load_frames(path):
    """{frame index: {id: [(x, y)] pixels}}."""
    frames = {}
    try:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                frame = json.loads(line)
                w, h = frame["width"], frame["height"]
                hands = {}
                for hand in frame["hands"]:
                    if hand["id"] in hands:
                        raise ValueError(f"frame {frame['index']}: id {hand['id']} twice")
                    hands[hand["id"]] = [(p[0] * w, p[1] * h) for p in hand["landmarks"]]
                frames[frame["index"]] = hands
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        raise SystemExit(f"id_swap_check: {path}: {e}") from None
    return frames


def mean_dist(a, b):
    return sum(math.dist(p, q) for p, q in zip(a, b)) / len(a)


def hand_size(points):
    return max(max(p[0] for p in points) - min(p[0] for p in points),
               max(p[1] for p in points) - min(p[1] for p in points), 1e-6)


def centre(points):
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def check(frames):
    """(pairs checked, [swap descriptions], [jump descriptions]) for one output."""
    pairs, swaps, jumps = 0, [], []
    for t in sorted(frames):
        now, after = frames[t], frames.get(t + 1)
        if after is None:
            continue
        common = sorted(set(now) & set(after))
        for i in common:
            step = math.dist(centre(now[i]), centre(after[i]))
            size = max(hand_size(now[i]), hand_size(after[i]))
            if step > JUMP_HAND_SIZES * size:
                jumps.append(f"frames {t}->{t + 1}: id {i} moved {step / size:.2f} hand sizes")
        for a, b in itertools.combinations(common, 2):
            pairs += 1
            kept = mean_dist(now[a], after[a]) + mean_dist(now[b], after[b])
            swapped = mean_dist(now[a], after[b]) + mean_dist(now[b], after[a])
            if swapped < kept:
                swaps.append(f"frames {t}->{t + 1}: ids {a} and {b} swapped (displacement {kept:.1f} px as "
                             f"labelled, {swapped:.1f} px the other way round)")
    return pairs, swaps, jumps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outputs", nargs="+", metavar="OUTPUT.jsonl")
    ap.add_argument("--min-pairs", type=int, default=0,
                    help="fail an output with fewer pairs of consecutive frames sharing two ids")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    status, report = 0, {}
    for path in a.outputs:
        pairs, swaps, jumps = check(load_frames(path))
        ok = not swaps and not jumps and pairs >= a.min_pairs
        status |= not ok
        report[path] = {"pairs_checked": pairs, "swaps": swaps, "jumps": jumps, "ok": ok}
        if not a.json:
            print(f"{path}: {pairs} frame pairs with two ids checked, {len(swaps)} swaps, {len(jumps)} jumps"
                  + ("" if pairs >= a.min_pairs else f" (FAIL: fewer than {a.min_pairs} pairs)"))
            for line in swaps + jumps:
                print(f"  FAIL: {line}")
    if a.json:
        print(json.dumps(report))
    return status


if __name__ == "__main__":
    sys.exit(main())
