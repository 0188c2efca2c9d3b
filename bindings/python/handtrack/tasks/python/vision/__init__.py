"""MediaPipe's ``mediapipe.tasks.python.vision``, for the hand landmarker."""
from ...._landmarker import HandLandmarker, HandLandmarkerOptions, HandLandmarkerResult, RunningMode
from . import hand_landmarker

RunningMode = RunningMode
VisionTaskRunningMode = RunningMode

__all__ = ["HandLandmarker", "HandLandmarkerOptions", "HandLandmarkerResult", "RunningMode", "VisionTaskRunningMode",
           "hand_landmarker"]
