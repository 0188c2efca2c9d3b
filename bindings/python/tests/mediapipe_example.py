# A script written for MediaPipe's Python Tasks API, as in MediaPipe's hand landmarker guide
# (IMAGE and VIDEO mode). test_mediapipe_compat.py runs it with its import line changed to
# `import handtrack as mp` and nothing else. Frames come from the ffmpeg command (OpenCV's
# VideoCapture in the guide), as RGB numpy arrays.
#   mediapipe_example.py MODEL.task PHOTO VIDEO
import json
import subprocess
import sys

import numpy as np
import mediapipe as mp

BaseOptions = mp.tasks.BaseOptions
HandLandmarker = mp.tasks.vision.HandLandmarker
HandLandmarkerOptions = mp.tasks.vision.HandLandmarkerOptions
VisionRunningMode = mp.tasks.vision.RunningMode

model_path, photo_path, video_path = sys.argv[1:4]


def describe(result):
    hands = []
    for handedness, landmarks, world in zip(result.handedness, result.hand_landmarks, result.hand_world_landmarks):
        hands.append({"label": handedness[0].category_name, "score": handedness[0].score,
                      "index": handedness[0].index,
                      "landmarks": [[lm.x, lm.y, lm.z] for lm in landmarks],
                      "world": [[lm.x, lm.y, lm.z] for lm in world]})
    return hands


# IMAGE mode
options = HandLandmarkerOptions(
    base_options=BaseOptions(model_asset_path=model_path),
    running_mode=VisionRunningMode.IMAGE,
    num_hands=2)
with HandLandmarker.create_from_options(options) as landmarker:
    mp_image = mp.Image.create_from_file(photo_path)
    hand_landmarker_result = landmarker.detect(mp_image)
    print(json.dumps({"mode": "image", "width": mp_image.width, "height": mp_image.height,
                      "hands": describe(hand_landmarker_result)}))

# VIDEO mode
probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "stream=width,height,avg_frame_rate", "-of", "json", video_path],
                       stdout=subprocess.PIPE, check=True)
stream = json.loads(probe.stdout)["streams"][0]
width, height = stream["width"], stream["height"]
num, den = stream["avg_frame_rate"].split("/")
fps = float(num) / float(den)
decoder = subprocess.Popen(["ffmpeg", "-v", "error", "-i", video_path, "-vsync", "0", "-f", "rawvideo",
                            "-pix_fmt", "rgb24", "-"], stdout=subprocess.PIPE)
options = HandLandmarkerOptions(
    base_options=BaseOptions(model_asset_path=model_path),
    running_mode=VisionRunningMode.VIDEO,
    num_hands=2)
with HandLandmarker.create_from_options(options) as landmarker:
    index = 0
    while True:
        raw = decoder.stdout.read(width * height * 3)
        if len(raw) < width * height * 3:
            break
        numpy_frame = np.frombuffer(raw, np.uint8).reshape(height, width, 3)
        mp_image = mp.Image(image_format=mp.ImageFormat.SRGB, data=numpy_frame)
        frame_timestamp_ms = int(index * 1000 / fps)
        hand_landmarker_result = landmarker.detect_for_video(mp_image, frame_timestamp_ms)
        print(json.dumps({"mode": "video", "index": index, "timestamp_ms": frame_timestamp_ms,
                          "hands": describe(hand_landmarker_result)}))
        index += 1
decoder.wait()
