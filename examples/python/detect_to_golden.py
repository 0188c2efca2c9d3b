#!/usr/bin/env python3
"""Runs handtrack's HandLandmarker (IMAGE mode) over photos and writes the golden JSON schema
of ../shared/golden (frames of hands with handedness, landmarks and world landmarks), so that
../shared/tools/compare.py can compare it with MediaPipe's answers:

    detect_to_golden.py PHOTO_OR_FOLDER... --output result.json [--num-hands 2] [--models DIR]

Values are rounded to 7 significant digits, as `handtrack detect` writes them. A photo that
cannot be read gets an "error" entry; the others are still processed (exit status 1)."""
import argparse
import json
import os
import sys
import time

import handtrack


def r7(value):
    return float(f"{value:.7g}")


def points(array):
    return [[r7(x), r7(y), r7(z)] for x, y, z in array.tolist()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--output", required=True)
    parser.add_argument("--num-hands", type=int, default=2)
    parser.add_argument("--models", default=None, help="folder of the .tflite models or a .task bundle")
    parser.add_argument("--delegate", default="auto")
    args = parser.parse_args()

    files = []
    for item in args.inputs:
        if os.path.isdir(item):
            files += sorted(os.path.join(item, f) for f in os.listdir(item) if f.lower().endswith((".jpg", ".jpeg", ".png")))
        else:
            files.append(item)
    options = handtrack.HandLandmarkerOptions(
        base_options=handtrack.BaseOptions(model_asset_path=args.models, delegate=args.delegate),
        running_mode=handtrack.RunningMode.IMAGE, num_hands=args.num_hands)
    frames = []
    failed = False
    with handtrack.HandLandmarker.create_from_options(options) as landmarker:
        for index, path in enumerate(files):
            name = os.path.basename(path)
            try:
                image = handtrack.Image.create_from_file(path)
                start = time.perf_counter()
                result = landmarker.detect(image)
                elapsed_ms = (time.perf_counter() - start) * 1000
            except (ValueError, RuntimeError) as error:
                print(f"detect_to_golden: {error}", file=sys.stderr)
                frames.append({"index": index, "file": name, "error": str(error)})
                failed = True
                continue
            hands = []
            for category, hand, landmarks, world, model_output in zip(
                    [c[0] for c in result.handedness], result.hands, result.landmarks_array,
                    result.world_landmarks_array, result.handedness_model_outputs):
                hands.append({"handedness": {"label": category.category_name, "score": r7(category.score),
                                             "index": category.index, "model_output": r7(model_output)},
                              "presence": r7(hand.presence), "landmarks": points(landmarks),
                              "world_landmarks": points(world)})
            frames.append({"index": index, "file": name, "width": image.width, "height": image.height,
                           "time_ms": round(elapsed_ms, 2), "num_hands": len(hands), "hands": hands})
    with open(args.output, "w") as out:
        json.dump({"handtrack": {"tool": "examples/python/detect_to_golden.py", "api": "python",
                                 "num_hands": args.num_hands}, "frames": frames}, out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
