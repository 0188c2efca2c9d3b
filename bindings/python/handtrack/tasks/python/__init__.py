"""MediaPipe's ``mediapipe.tasks.python``: ``BaseOptions`` and ``vision``."""
from . import core, vision
from .core.base_options import BaseOptions

__all__ = ["BaseOptions", "core", "vision"]
