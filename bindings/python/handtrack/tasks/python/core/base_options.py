"""MediaPipe's ``mediapipe.tasks.python.core.base_options``."""
from ...._landmarker import BaseOptions

__all__ = ["BaseOptions"]
