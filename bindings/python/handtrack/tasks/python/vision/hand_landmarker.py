"""MediaPipe's ``mediapipe.tasks.python.vision.hand_landmarker``."""
from ...._landmarker import HandLandmarker, HandLandmarkerOptions, HandLandmarkerResult

__all__ = ["HandLandmarker", "HandLandmarkerOptions", "HandLandmarkerResult"]
