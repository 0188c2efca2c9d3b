# MediaPipe's hand landmarker notebook, its detection steps (the drawing needs MediaPipe's
# protobufs and is left out). test_mediapipe_compat.py runs it with `mediapipe` changed to
# `handtrack` in its import lines and nothing else.
#   mediapipe_colab_example.py MODEL.task PHOTO
import sys

import mediapipe as mp
from mediapipe.tasks import python
from mediapipe.tasks.python import vision

# STEP 2: Create an HandLandmarker object.
base_options = python.BaseOptions(model_asset_path=sys.argv[1])
options = vision.HandLandmarkerOptions(base_options=base_options,
                                       num_hands=2)
detector = vision.HandLandmarker.create_from_options(options)

# STEP 3: Load the input image.
image = mp.Image.create_from_file(sys.argv[2])

# STEP 4: Detect hand landmarks from the input image.
detection_result = detector.detect(image)

for handedness, hand_landmarks in zip(detection_result.handedness, detection_result.hand_landmarks):
    print(handedness[0].category_name, f"{handedness[0].score:.3f}", f"{hand_landmarks[0].x:.4f}",
          f"{hand_landmarks[0].y:.4f}", len(hand_landmarks))
