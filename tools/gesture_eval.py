#!/usr/bin/env python3
"""Score gestures, finger counts and pinch of detected hands against hands labelled by eye.

    gesture_eval.py LABELS.json CANDIDATE.json [--all] [--json] [--require 'gesture_accuracy>=0.85' ...]

LABELS.json is ../shared/golden/gestures.json: per photo, per visible hand a rough palm
centre (normalised), "gesture", "fingers", "pinch" and "certain". CANDIDATE.json is the output
of `handtrack detect`: {"frames": [{"file", "width", "height",
"hands": [{"landmarks": 21 x [x, y, z], "gestures": {"gesture", "finger_count", "pinch", ...}}]}]}.

A labelled hand is matched to the detected hand whose palm centre (mean of landmarks 0, 5, 9,
13, 17) is nearest, within MATCH_RADIUS x that hand's size (the longer side of its landmarks'
bounding box, in pixels), one to one, nearest pairs first. Only certain hands are scored unless
--all. Prints the three accuracies over the matched hands, how many labelled hands were found,
the gesture confusions and each miss. Exit 1 when a --require bound fails, 2 on bad input.
"""
import argparse
import collections
import json
import math
import sys

MATCH_RADIUS = 0.75  # palm-centre labels are rough (about +/-0.03 of the image); hands are large
PALM_LANDMARKS = (0, 5, 9, 13, 17)


def die(message):
    print(f"gesture_eval: {message}", file=sys.stderr)
    sys.exit(2)


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        die(f"failed to read {path}: {e}")


def palm_centre_and_size(hand, width, height):
    points = [(p[0] * width, p[1] * height) for p in hand["landmarks"]]
    cx = sum(points[i][0] for i in PALM_LANDMARKS) / len(PALM_LANDMARKS)
    cy = sum(points[i][1] for i in PALM_LANDMARKS) / len(PALM_LANDMARKS)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (cx, cy), max(max(xs) - min(xs), max(ys) - min(ys), 1e-6)


def match_hands(labels, detected, width, height):
    """Pairs (label, detected hand), nearest first, each hand used once."""
    pairs = []
    for i, label in enumerate(labels):
        lx, ly = label["center"][0] * width, label["center"][1] * height
        for j, hand in enumerate(detected):
            (cx, cy), size = palm_centre_and_size(hand, width, height)
            distance = math.hypot(cx - lx, cy - ly) / size
            if distance <= MATCH_RADIUS:
                pairs.append((distance, i, j))
    used_labels, used_hands, matched = set(), set(), []
    for _, i, j in sorted(pairs):
        if i not in used_labels and j not in used_hands:
            used_labels.add(i)
            used_hands.add(j)
            matched.append((labels[i], detected[j]))
    return matched


def evaluate(labels_doc, candidate_doc, certain_only):
    frames = candidate_doc["frames"] if isinstance(candidate_doc, dict) else candidate_doc
    by_file = {f["file"].split("/")[-1]: f for f in frames}
    scored = labelled = 0
    right = collections.Counter()
    confusion = collections.Counter()
    misses = []
    for image in labels_doc["images"]:
        labels = [h for h in image["hands"] if h["certain"] or not certain_only]
        labelled += len(labels)
        frame = by_file.get(image["file"])
        if frame is None or "hands" not in frame:
            continue
        for label, hand in match_hands(labels, frame["hands"], frame["width"], frame["height"]):
            got = hand.get("gestures")
            if got is None:
                die(f"{image['file']}: a hand has no \"gestures\" object")
            scored += 1
            checks = {"gesture": (label["gesture"], got["gesture"]),
                      "fingers": (label["fingers"], got["finger_count"]),
                      "pinch": (bool(label["pinch"]), bool(got["pinch"]))}
            for name, (want, have) in checks.items():
                right[name] += want == have
            confusion[(label["gesture"], got["gesture"])] += 1
            if any(want != have for want, have in checks.values()):
                misses.append(f"{image['file']} @{label['center']}: want {label['gesture']}/"
                              f"{label['fingers']}/{'pinch' if label['pinch'] else '-'}, got "
                              f"{got['gesture']}/{got['finger_count']}/{'pinch' if got['pinch'] else '-'}")
    nan = float("nan")
    result = {
        "labelled_hands": labelled,
        "scored_hands": scored,
        "gesture_accuracy": right["gesture"] / scored if scored else nan,
        "finger_count_accuracy": right["fingers"] / scored if scored else nan,
        "pinch_accuracy": right["pinch"] / scored if scored else nan,
    }
    return result, confusion, misses


FIGURES = ("labelled_hands", "scored_hands", "gesture_accuracy", "finger_count_accuracy", "pinch_accuracy")


def parse_bounds(requirements):
    """'key>=value' strings -> (key, op, value), checked before any work is done."""
    bounds = []
    for requirement in requirements:
        op = next((op for op in ("<=", ">=") if op in requirement), None)
        if op is None:
            die(f"--require wants KEY<=VALUE or KEY>=VALUE, got {requirement}")
        key, value = (part.strip() for part in requirement.split(op, 1))
        if key not in FIGURES:
            die(f"unknown figure in --require: {key} (one of {', '.join(FIGURES)})")
        try:
            bounds.append((key, op, float(value)))
        except ValueError:
            die(f"--require: not a number: {value}")
    return bounds


def failed_bounds(result, bounds):
    failed = []
    for key, op, value in bounds:
        got = result[key]
        ok = got <= value if op == "<=" else got >= value
        if not ok or got != got:
            failed.append(f"{key}={got:.4g} (want {op}{value})")
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels")
    parser.add_argument("candidate")
    parser.add_argument("--all", action="store_true", help="score uncertain hands too")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--require", action="append", default=[], metavar="KEY>=VALUE")
    args = parser.parse_args()
    bounds = parse_bounds(args.require)

    result, confusion, misses = evaluate(load_json(args.labels), load_json(args.candidate), not args.all)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
        print("gesture confusions (label -> got):")
        for (want, have), n in sorted(confusion.items()):
            if want != have:
                print(f"  {want} -> {have}: {n}")
        print("misses:")
        for miss in misses:
            print("  " + miss)
    failed = failed_bounds(result, bounds)
    if failed:
        print("FAILS: " + "; ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
