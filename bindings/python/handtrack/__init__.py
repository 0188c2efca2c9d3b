"""handtrack: MediaPipe's hand landmarker for Python back ends, on handtrack's engine.

A drop-in for MediaPipe's Tasks API: change ``import mediapipe as mp`` to
``import handtrack as mp`` and the hand landmarker code runs unchanged::

    import handtrack as mp
    BaseOptions = mp.tasks.BaseOptions
    HandLandmarker = mp.tasks.vision.HandLandmarker
    HandLandmarkerOptions = mp.tasks.vision.HandLandmarkerOptions
    options = HandLandmarkerOptions(base_options=BaseOptions(model_asset_path="hand_landmarker.task"),
                                    num_hands=2)
    with HandLandmarker.create_from_options(options) as landmarker:
        result = landmarker.detect(mp.Image.create_from_file("photo.jpg"))

Beyond MediaPipe: numpy arrays straight in (RGB, or OpenCV's BGR with
``image_format=ImageFormat.SBGR``) and out (``result.landmarks_array``), stable hand ids,
gestures, finger counts and pinch (``result.hands``), a shared ``HandEngine`` for many threads
and streams, ``track()`` over video files, the CUDA backend, and the GIL released during
inference. Errors: ValueError for bad arguments, RuntimeError otherwise, with the engine's
message.
"""
from . import _handtrack
from ._image import Image, ImageFormat
from ._landmarker import (BaseOptions, Category, Hand, HandEngine, HandLandmarker, HandLandmarkerOptions,
                          HandLandmarkerResult, Landmark, NormalizedLandmark, RunningMode)
from ._track import TrackedFrame, track
from . import tasks

__version__ = "0.1.0"


def list_backends():
    """The backends of this build: name, priority, compiled_in, device, available, detail."""
    return _handtrack.list_backends()


__all__ = ["BaseOptions", "Category", "Hand", "HandEngine", "HandLandmarker", "HandLandmarkerOptions",
           "HandLandmarkerResult", "Image", "ImageFormat", "Landmark", "NormalizedLandmark", "RunningMode",
           "TrackedFrame", "list_backends", "tasks", "track"]
