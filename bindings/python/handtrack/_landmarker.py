"""HandLandmarker in MediaPipe's Python shape, over handtrack's engine.

Threading: in IMAGE mode one landmarker may be called from many threads at once (the GIL is
released during inference; the engine runs the calls in parallel). In VIDEO mode a landmarker
is one stream: make one per stream, with the same ``engine`` to share the models. In
LIVE_STREAM mode ``result_callback`` runs on the landmarker's worker thread.
"""
from __future__ import annotations

import dataclasses
import enum
import os
import warnings
import zipfile
from typing import Any, Callable, List, Optional, Sequence, Union

import numpy as np

from . import _handtrack
from ._image import Image, ImageFormat, engine_input

# Model names in a MediaPipe .task bundle, and handtrack's own file names, by role.
_PALM_NAMES = ("hand_detector.tflite", "palm_detection_full.tflite", "palm_detection_lite.tflite")
_LANDMARK_NAMES = ("hand_landmarks_detector.tflite", "hand_landmark_full.tflite", "hand_landmark_lite.tflite")


class RunningMode(enum.Enum):
    """MediaPipe's ``VisionTaskRunningMode``."""

    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    LIVE_STREAM = "LIVE_STREAM"


_MODE_NUMBER = {RunningMode.IMAGE: 0, RunningMode.VIDEO: 1, RunningMode.LIVE_STREAM: 2}


@dataclasses.dataclass
class BaseOptions:
    """MediaPipe's ``BaseOptions``.

    model_asset_path: a MediaPipe ``.task`` bundle (``hand_landmarker.task``), a folder of
      handtrack's ``.tflite`` models, or None for the default folder ($HANDTRACK_MODELS, else
      ~/.cache/handtrack/models).
    model_asset_buffer: the bytes of a ``.task`` bundle instead of a path.
    delegate: ``BaseOptions.Delegate.CPU`` (XNNPACK), ``BaseOptions.Delegate.GPU`` (CUDA; when
      this machine has none, a warning and the best available backend), or one of handtrack's
      backend names ("auto", "cuda", "xnnpack", "reference"). None: "auto".
    """

    class Delegate(enum.Enum):
        CPU = 0
        GPU = 1

    model_asset_path: Optional[Union[str, os.PathLike]] = None
    model_asset_buffer: Optional[bytes] = None
    delegate: Optional[Union["BaseOptions.Delegate", str]] = None


@dataclasses.dataclass
class Category:
    """MediaPipe's ``Category``: a handedness label."""

    index: Optional[int] = None
    score: Optional[float] = None
    display_name: Optional[str] = None
    category_name: Optional[str] = None


@dataclasses.dataclass
class NormalizedLandmark:
    """MediaPipe's ``NormalizedLandmark``: x, y in [0, 1] of the image, z relative depth."""

    x: Optional[float] = None
    y: Optional[float] = None
    z: Optional[float] = None
    visibility: Optional[float] = None
    presence: Optional[float] = None


@dataclasses.dataclass
class Landmark:
    """MediaPipe's ``Landmark``: world coordinates in metres."""

    x: Optional[float] = None
    y: Optional[float] = None
    z: Optional[float] = None
    visibility: Optional[float] = None
    presence: Optional[float] = None


@dataclasses.dataclass
class Hand:
    """What handtrack adds for one hand: a stable id (VIDEO and LIVE_STREAM: kept while the
    hand is tracked), MediaPipe Gesture Recognizer's gesture, fingers and pinch."""

    id: int
    handedness: str  # "Left" or "Right"
    handedness_score: float
    presence: float
    gesture: str  # "None", "Closed_Fist", "Open_Palm", "Pointing_Up", "Thumb_Down", ...
    gesture_score: float
    finger_count: int
    extended: tuple  # thumb, index, middle, ring, little
    pinch: bool
    pinch_distance: float
    palm_facing_camera: bool


class HandLandmarkerResult:
    """MediaPipe's ``HandLandmarkerResult`` (``handedness``, ``hand_landmarks``,
    ``hand_world_landmarks``: one list per hand), plus numpy arrays with no Python object per
    point (``landmarks_array``, ``world_landmarks_array``: float32, (hands, 21, 3)) and the
    ``hands`` handtrack adds. The per-point objects are made only when first asked for."""

    def __init__(self, raw: dict):
        self._raw = raw
        self._landmarks = None
        self._world = None
        self._handedness = None
        self._hands = None

    @classmethod
    def _empty(cls) -> "HandLandmarkerResult":
        empty = np.zeros((0, 21, 3), np.float32)
        return cls({"timestamp_ms": 0, "palm_detection_ran": False, "width": 0, "height": 0, "landmarks": empty,
                    "world_landmarks": empty, "hands": []})

    @property
    def handedness(self) -> List[List[Category]]:
        if self._handedness is None:
            self._handedness = [[Category(index=h["index"], score=h["score"], display_name=h["label"],
                                          category_name=h["label"])] for h in self._raw["hands"]]
        return self._handedness

    @property
    def hand_landmarks(self) -> List[List[NormalizedLandmark]]:
        if self._landmarks is None:
            self._landmarks = [[NormalizedLandmark(float(x), float(y), float(z), 0.0, 0.0) for x, y, z in hand]
                               for hand in self._raw["landmarks"].tolist()]
        return self._landmarks

    @property
    def hand_world_landmarks(self) -> List[List[Landmark]]:
        if self._world is None:
            self._world = [[Landmark(float(x), float(y), float(z), 0.0, 0.0) for x, y, z in hand]
                           for hand in self._raw["world_landmarks"].tolist()]
        return self._world

    @property
    def landmarks_array(self) -> np.ndarray:
        return self._raw["landmarks"]

    @property
    def world_landmarks_array(self) -> np.ndarray:
        return self._raw["world_landmarks"]

    @property
    def hands(self) -> List[Hand]:
        if self._hands is None:
            self._hands = [Hand(id=h["id"], handedness=h["label"], handedness_score=h["score"], presence=h["presence"],
                                gesture=h["gesture"], gesture_score=h["gesture_score"],
                                finger_count=h["finger_count"], extended=h["extended"], pinch=h["pinch"],
                                pinch_distance=h["pinch_distance"], palm_facing_camera=h["palm_facing_camera"])
                           for h in self._raw["hands"]]
        return self._hands

    @property
    def timestamp_ms(self) -> int:
        return self._raw["timestamp_ms"]

    @property
    def palm_detection_ran(self) -> bool:
        """False when every hand came from tracking (VIDEO / LIVE_STREAM)."""
        return self._raw["palm_detection_ran"]

    @property
    def handedness_model_outputs(self) -> List[float]:
        """The landmark model's raw handedness sigmoid per hand (> 0.5: a right hand)."""
        return [h["model_output"] for h in self._raw["hands"]]

    def __len__(self) -> int:
        return len(self._raw["hands"])

    def __repr__(self) -> str:
        hands = ", ".join(f"{h.handedness} #{h.id} {h.gesture}" for h in self.hands)
        return f"HandLandmarkerResult({len(self)} hand(s){': ' + hands if hands else ''})"


def _model_settings(base: Optional[BaseOptions], variant: str, num_threads: int, precision: str):
    settings = _handtrack.ModelSettings()
    settings.variant = variant
    settings.num_threads = num_threads
    settings.precision = precision
    base = base or BaseOptions()
    if base.model_asset_buffer is not None:
        settings.palm_model, settings.landmark_model = _read_bundle(bytes(base.model_asset_buffer),
                                                                    "model_asset_buffer")
    elif base.model_asset_path is not None:
        path = os.fspath(base.model_asset_path)
        if os.path.isdir(path):
            settings.model_dir = path
        elif os.path.isfile(path):
            with open(path, "rb") as f:
                settings.palm_model, settings.landmark_model = _read_bundle(f.read(), path)
        else:
            raise ValueError(f"failed to read model asset {path}: no such file or folder")
    settings.delegate = _delegate_name(base.delegate)
    return settings


def _read_bundle(data: bytes, name: str):
    """(palm bytes, landmark bytes) of a MediaPipe .task bundle (a zip of hand_detector.tflite
    and hand_landmarks_detector.tflite; MediaPipe nests them in a second zip)."""
    import io
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError(f"failed to read model asset {name}: not a .task bundle (a zip of hand_detector.tflite "
                         "and hand_landmarks_detector.tflite)") from None
    palm = landmark = None
    with archive:
        for info in archive.infolist():
            base = os.path.basename(info.filename)
            if info.file_size > 64 << 20:
                raise ValueError(f"failed to read model asset {name}: {info.filename} is larger than 64 MiB")
            if base in _PALM_NAMES:
                palm = archive.read(info)
            elif base in _LANDMARK_NAMES:
                landmark = archive.read(info)
            elif base.endswith(".task"):  # MediaPipe's hand_landmarker.task nests its two models' bundles
                try:
                    inner_palm, inner_landmark = _read_bundle(archive.read(info), f"{name}/{info.filename}")
                except ValueError:
                    continue
                palm, landmark = palm or inner_palm, landmark or inner_landmark
    if palm is None or landmark is None:
        missing = "hand_detector.tflite" if palm is None else "hand_landmarks_detector.tflite"
        raise ValueError(f"failed to read model asset {name}: the bundle has no {missing}")
    return palm, landmark


def _delegate_name(delegate) -> str:
    if delegate is None:
        return "auto"
    if isinstance(delegate, str):
        return delegate
    if delegate == BaseOptions.Delegate.CPU:
        available = {b["name"] for b in _handtrack.list_backends() if b["available"]}
        return "xnnpack" if "xnnpack" in available else "reference"
    if delegate == BaseOptions.Delegate.GPU:
        for backend in _handtrack.list_backends():
            if backend["name"] == "cuda":
                if backend["available"]:
                    return "cuda"
                warnings.warn(f"handtrack: no GPU backend ({backend['detail']}); using the best available backend",
                              RuntimeWarning, stacklevel=4)
                return "auto"
        warnings.warn("handtrack: this build has no GPU backend; using the best available backend", RuntimeWarning,
                      stacklevel=4)
        return "auto"
    raise ValueError(f"failed to create hand landmarker: unknown delegate {delegate!r}")


class HandEngine:
    """The models, loaded once and shared by many landmarkers and threads (``engine=`` in
    HandLandmarkerOptions). With ``max_batch`` > 1 (a GPU), frames of concurrent landmarkers
    run as one batch. ``max_instances`` caps the interpreters per model (0: as many as calls
    overlap); ``max_concurrent_runs`` caps the runs of each model at once (0: no cap; at the cap a
    ready batch waits for a run to end and then takes every frame queued meanwhile);
    ``batch_step`` sets the batch sizes runs take (0: powers of two; S, a power of two up to 64:
    powers of two up to S, then multiples of S, so fewer empty slots for an interpreter more per
    size); ``warm_up`` makes every interpreter those options can use now, each run once, instead
    of at its first run (on a GPU that run's graph captures hold back the others and the video
    decoders; costs start-up time and holds their memory from the start)."""

    def __init__(self, base_options: Optional[BaseOptions] = None, *, model_variant: str = "full",
                 num_threads: int = 1, precision: str = "auto", max_batch: int = 1, batch_wait_us: int = 2000,
                 max_instances: int = 0, max_concurrent_runs: int = 0, batch_step: int = 0,
                 warm_up: bool = False):
        self._engine = _handtrack.Engine(_model_settings(base_options, model_variant, num_threads, precision),
                                         max_batch, batch_wait_us, max_instances, max_concurrent_runs,
                                         batch_step, warm_up)

    def stats(self) -> dict:
        """Runs, frames, fullest batch, interpreters and summed run seconds per model, so far."""
        return self._engine.stats()


@dataclasses.dataclass
class HandLandmarkerOptions:
    """MediaPipe's ``HandLandmarkerOptions``, plus handtrack's options after
    ``result_callback`` (all with defaults that keep MediaPipe's results).

    result_callback (LIVE_STREAM): ``callback(result, output_image, timestamp_ms)`` as in
    MediaPipe, on the landmarker's worker thread. A frame whose processing failed goes to
    ``error_callback(message, timestamp_ms)`` when given, else becomes a RuntimeWarning.
    """

    base_options: Optional[BaseOptions] = None
    running_mode: RunningMode = RunningMode.IMAGE
    num_hands: int = 1
    min_hand_detection_confidence: float = 0.5
    min_hand_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    result_callback: Optional[Callable[[HandLandmarkerResult, Image, int], None]] = None
    # handtrack's own:
    error_callback: Optional[Callable[[str, int], None]] = None
    mirrored: bool = False  # the input is a mirrored selfie view: Left/Right swapped
    smoothing: Optional[bool] = None  # None: off in VIDEO (MediaPipe's results), on in LIVE_STREAM
    # VIDEO/LIVE_STREAM: while some but fewer than num_hands hands are tracked, look for more only
    # every Nth frame (1: every frame, MediaPipe's rule).
    palm_detection_interval: int = 1
    num_threads: int = 1  # CPU threads per inference
    model_variant: str = "full"  # or "lite"
    precision: str = "auto"  # fp16 on cuda (as MediaPipe's GPU delegate), fp32 on the CPU; or "fp32", "fp16"
    engine: Optional[HandEngine] = None  # a shared engine; its models and backend are used


class HandLandmarker:
    """MediaPipe's ``HandLandmarker``. Use ``create_from_options`` or
    ``create_from_model_path``; close it (or use ``with``) when done."""

    def __init__(self, options: HandLandmarkerOptions):
        if not isinstance(options, HandLandmarkerOptions):
            raise ValueError(f"failed to create hand landmarker: expected HandLandmarkerOptions, got "
                             f"{type(options).__name__}")
        mode = options.running_mode
        if isinstance(mode, str):
            mode = RunningMode(mode.upper())
        if mode not in _MODE_NUMBER:
            raise ValueError(f"failed to create hand landmarker: unknown running_mode {options.running_mode!r}")
        settings = _handtrack.LandmarkerSettings()
        settings.model = _model_settings(options.base_options, options.model_variant, options.num_threads,
                                         options.precision)
        if options.engine is not None:
            settings.engine = options.engine._engine
        settings.running_mode = _MODE_NUMBER[mode]
        settings.num_hands = options.num_hands
        settings.min_hand_detection_confidence = options.min_hand_detection_confidence
        settings.min_hand_presence_confidence = options.min_hand_presence_confidence
        settings.min_tracking_confidence = options.min_tracking_confidence
        settings.mirrored = bool(options.mirrored)
        settings.smoothing = "default" if options.smoothing is None else ("on" if options.smoothing else "off")
        settings.palm_detection_interval = options.palm_detection_interval
        if options.result_callback is not None:
            settings.callback = self._live_callback(options.result_callback, options.error_callback)
        self._mode = mode
        self._options = options
        self._core = _handtrack.Landmarker(settings)

    @staticmethod
    def _live_callback(result_callback, error_callback):
        def deliver(raw, error, pixels, timestamp_ms):
            if error is not None:
                if error_callback is not None:
                    error_callback(error, timestamp_ms)
                else:
                    warnings.warn(f"handtrack: frame at {timestamp_ms} ms: {error}", RuntimeWarning)
                return
            result_callback(HandLandmarkerResult(raw), Image(ImageFormat.SRGB if pixels.shape[2] == 3 else
                                                             ImageFormat.SRGBA, pixels), timestamp_ms)
        return deliver

    @classmethod
    def create_from_options(cls, options: HandLandmarkerOptions) -> "HandLandmarker":
        return cls(options)

    @classmethod
    def create_from_model_path(cls, model_path: Union[str, os.PathLike]) -> "HandLandmarker":
        """IMAGE mode with the models of a .task bundle or a folder of .tflite files."""
        return cls(HandLandmarkerOptions(base_options=BaseOptions(model_asset_path=model_path)))

    def _check_mode(self, wanted: RunningMode, call: str):
        if self._core.closed:
            raise RuntimeError(f"failed to call {call}: the hand landmarker is closed")
        if self._mode != wanted:
            raise ValueError(f"failed to call {call}: the hand landmarker was created for {self._mode.name} mode, "
                             f"{call} is for {wanted.name} mode")

    @staticmethod
    def _check_processing_options(image_processing_options):
        if image_processing_options is None:
            return
        roi = getattr(image_processing_options, "region_of_interest", None)
        rotation = getattr(image_processing_options, "rotation_degrees", 0)
        if roi is not None or rotation:
            raise ValueError("failed to read image_processing_options: the hand landmarker takes neither a region of "
                             "interest nor a rotation (as MediaPipe's); turn the image upright first")

    def detect(self, image: Union[Image, np.ndarray], image_processing_options: Any = None, *,
               image_format: Optional[ImageFormat] = None) -> HandLandmarkerResult:
        """IMAGE mode: the hands of one image (a handtrack.Image, or an RGB/RGBA uint8 array;
        ``image_format=ImageFormat.SBGR`` for OpenCV's BGR frames). Thread-safe."""
        self._check_mode(RunningMode.IMAGE, "detect")
        self._check_processing_options(image_processing_options)
        array, fmt = engine_input(image, image_format)
        return HandLandmarkerResult(self._core.detect(array, fmt))

    def detect_for_video(self, image: Union[Image, np.ndarray], timestamp_ms: int,
                         image_processing_options: Any = None, *,
                         image_format: Optional[ImageFormat] = None) -> HandLandmarkerResult:
        """VIDEO mode: the next frame of a video; timestamps must increase."""
        self._check_mode(RunningMode.VIDEO, "detect_for_video")
        self._check_processing_options(image_processing_options)
        array, fmt = engine_input(image, image_format)
        return HandLandmarkerResult(self._core.detect_for_video(array, fmt, _timestamp(timestamp_ms)))

    def detect_for_video_frames(self, images: Sequence[Union[Image, np.ndarray]], timestamps_ms: Sequence[int], *,
                                image_format: Optional[ImageFormat] = None) -> List[HandLandmarkerResult]:
        """VIDEO mode: the next frames of a video at once, one result per frame: what
        ``detect_for_video`` gives each of them in turn. On an engine with ``max_batch`` > 1 (a
        GPU) their palm detection runs as one batch, so that a few streams fill the GPU's palm
        runs. A frame that fails raises its error (ValueError or RuntimeError) with ``results``:
        the results of the frames before it; the landmarker is then as those frames left it, so
        the failed frame and the ones after it may be given again."""
        self._check_mode(RunningMode.VIDEO, "detect_for_video_frames")
        if len(images) != len(timestamps_ms):
            raise ValueError(f"failed to process frames: {len(images)} images but {len(timestamps_ms)} timestamps")
        inputs = [engine_input(image, image_format, f"frame {i}") for i, image in enumerate(images)]
        done, error = self._core.detect_for_video_frames([a for a, _ in inputs], [f for _, f in inputs],
                                                         [_timestamp(t) for t in timestamps_ms])
        results = [HandLandmarkerResult(raw) for raw in done]
        if error is not None:
            invalid, message = error
            exception = (ValueError if invalid else RuntimeError)(f"frame {len(results)}: {message}")
            exception.results = results
            raise exception
        return results

    def detect_async(self, image: Union[Image, np.ndarray], timestamp_ms: int, image_processing_options: Any = None,
                     *, image_format: Optional[ImageFormat] = None) -> None:
        """LIVE_STREAM mode: queues the frame (copied) and returns at once; the result comes to
        ``result_callback``. A busy landmarker drops the older queued frame
        (``live_stream_stats``)."""
        self._check_mode(RunningMode.LIVE_STREAM, "detect_async")
        self._check_processing_options(image_processing_options)
        array, fmt = engine_input(image, image_format)
        self._core.detect_async(array, fmt, _timestamp(timestamp_ms))

    def live_stream_stats(self) -> dict:
        received, processed, dropped = self._core.live_stream_stats()
        return {"frames_received": received, "frames_processed": processed, "frames_dropped": dropped}

    def describe_plan(self) -> str:
        """Where each model runs: the backend of each node group and every fallback's reason."""
        return self._core.plan()

    def close(self) -> None:
        """Finishes live frames in flight (delivering them) and frees the landmarker. Later calls
        raise RuntimeError. Idempotent."""
        self._core.close()

    def __enter__(self) -> "HandLandmarker":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _timestamp(timestamp_ms) -> int:
    if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, (int, np.integer)):
        if isinstance(timestamp_ms, float) and timestamp_ms.is_integer():
            return int(timestamp_ms)
        raise ValueError(f"failed to read timestamp_ms: expected an integer, got {timestamp_ms!r}")
    return int(timestamp_ms)
