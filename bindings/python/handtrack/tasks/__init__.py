"""MediaPipe's ``mediapipe.tasks`` layout: ``tasks.BaseOptions``, ``tasks.vision``,
``tasks.python`` (and ``from handtrack.tasks.python import vision``)."""
from . import python
from .python import vision
from .python.core.base_options import BaseOptions

__all__ = ["BaseOptions", "python", "vision"]
