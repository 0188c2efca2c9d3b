"""Compatibility: scripts written for MediaPipe's Python Tasks API run with only their import
lines changed from mediapipe to handtrack."""
import json
import os
import re
import subprocess
import sys

import numpy as np

import handtrack
from conftest import HERE


def run_with_handtrack(script, args, tmp_path):
    source = open(os.path.join(HERE, script)).read()
    changed = re.sub(r"^import mediapipe as mp$", "import handtrack as mp", source, flags=re.M)
    changed = re.sub(r"^from mediapipe\.", "from handtrack.", changed, flags=re.M)
    differing = [(a, b) for a, b in zip(source.splitlines(), changed.splitlines()) if a != b]
    assert differing and all("import" in a and "mediapipe" in a for a, _ in differing)
    path = tmp_path / script
    path.write_text(changed)
    done = subprocess.run([sys.executable, str(path)] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_guide_example_image_and_video(task_bundle, photos, videos, tmp_path):
    photo = [p for p in photos if "two_hands_heart" in p][0]
    video = [v for v in videos if "asl_sign_book" in v][0]
    lines = [json.loads(l) for l in run_with_handtrack("mediapipe_example.py", [task_bundle, photo, video],
                                                       tmp_path).splitlines()]
    image = lines[0]
    assert image["mode"] == "image" and len(image["hands"]) == 2
    assert {h["label"] for h in image["hands"]} == {"Left", "Right"}
    with handtrack.HandLandmarker.create_from_options(handtrack.HandLandmarkerOptions(num_hands=2)) as landmarker:
        expected = landmarker.detect(handtrack.Image.create_from_file(photo))
    assert np.array(image["hands"][0]["landmarks"], np.float32).tolist() == expected.landmarks_array[0].tolist()

    frames = lines[1:]
    assert len(frames) > 30 and all(f["mode"] == "video" for f in frames)
    assert sum(1 for f in frames if f["hands"]) > len(frames) // 2
    # The same frames through handtrack.track (FFmpeg inside the engine) give the same landmarks
    # where the decoders agree; the command-line ffmpeg is the same FFmpeg, so all frames match.
    tracked = list(handtrack.track(video, num_hands=2))
    assert len(tracked) == len(frames)
    same = sum(1 for f, t in zip(frames, tracked)
               if np.array([h["landmarks"] for h in f["hands"]], np.float32).reshape(-1, 21, 3).tolist()
               == t.result.landmarks_array.tolist())
    assert same >= len(frames) * 0.9, f"{same} of {len(frames)} frames equal"


def test_colab_example(task_bundle, photos, tmp_path):
    photo = [p for p in photos if "two_hands_heart" in p][0]
    out = run_with_handtrack("mediapipe_colab_example.py", [task_bundle, photo], tmp_path).splitlines()
    assert len(out) == 2 and all(line.endswith(" 21") for line in out)
