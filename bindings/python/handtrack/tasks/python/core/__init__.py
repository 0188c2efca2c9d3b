"""MediaPipe's ``mediapipe.tasks.python.core``."""
from . import base_options

__all__ = ["base_options"]
