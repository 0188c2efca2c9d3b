"""handtrack.track: a video file, or any sequence of frames, tracked frame by frame."""
from __future__ import annotations

import dataclasses
import os
import sys
import threading
from typing import Callable, Iterable, Iterator, NamedTuple, Optional, Union

import numpy as np

from ._image import Image, ImageFormat, engine_input
from ._landmarker import HandLandmarker, HandLandmarkerOptions, HandLandmarkerResult, RunningMode


class TrackedFrame(NamedTuple):
    """One frame of ``track``: its index, its timestamp, the result and (``with_frames``) the
    decoded RGB pixels."""

    index: int
    timestamp_ms: int
    result: HandLandmarkerResult
    frame: Optional[np.ndarray]


def _progress_printer(name: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        end = "\n" if total and done >= total else ""
        print(f"\r{name}: {done}/{total or '?'} frames", end=end, file=sys.stderr, flush=True)
    return show


def track(source: Union[str, os.PathLike, Iterable], options: Optional[HandLandmarkerOptions] = None, *,
          fps: float = 30.0, image_format: Optional[ImageFormat] = None, with_frames: bool = False,
          progress: Union[bool, Callable[[int, int], None]] = False, **option_fields) -> Iterator[TrackedFrame]:
    """Tracks hands through a video in VIDEO mode, yielding a TrackedFrame per frame.

    source: a video file (decoded by FFmpeg inside handtrack, without the GIL), or an iterable
      of frames (handtrack.Image or uint8 arrays; timestamps from ``fps``).
    options: HandLandmarkerOptions (running_mode is set to VIDEO); or give its fields as keyword
      arguments, e.g. ``track("clip.mp4", num_hands=2)``.
    progress: True prints "NAME: done/total frames" on stderr; a callable gets (done, total),
      total 0 when unknown.

    A video that fails half-way (truncated, corrupt) yields every frame decoded before the
    failure, then raises RuntimeError naming the file and the reason.
    """
    if options is None:
        options = HandLandmarkerOptions(**option_fields)
    elif option_fields:
        raise ValueError("failed to track: give options or option keywords, not both")
    options = dataclasses.replace(options, running_mode=RunningMode.VIDEO, result_callback=None)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        report = _progress_printer(os.path.basename(path)) if progress is True else (progress or None)
        return _track_file(path, options, with_frames, report)
    if fps <= 0:
        raise ValueError(f"failed to track: fps must be positive, got {fps}")
    report = _progress_printer("frames") if progress is True else (progress or None)
    return _track_frames(source, options, fps, image_format, with_frames, report)


def _track_file(path, options, with_frames, report) -> Iterator[TrackedFrame]:
    # Decoding and inference run in a thread of their own (the compiled loop calls back per
    # frame), so that this generator yields each frame as soon as it is ready and stops the work
    # when the caller stops iterating. At most 8 frames wait.
    pending = []
    condition = threading.Condition()
    state = {"done": False, "error": None, "stop": False}

    def deliver(raw, index, frame, info):
        with condition:
            while len(pending) >= 8 and not state["stop"]:
                condition.wait()
            if state["stop"]:
                raise _Stop()
            pending.append(TrackedFrame(index, raw["timestamp_ms"], HandLandmarkerResult(raw), frame))
            condition.notify_all()
        if report:
            report(index + 1, int(info[0]))

    with HandLandmarker(options) as landmarker:
        def run():
            try:
                landmarker._core.track_file(path, deliver, with_frames)
            except _Stop:
                pass
            except BaseException as e:  # handed to the consumer below
                state["error"] = e
            with condition:
                state["done"] = True
                condition.notify_all()

        worker = threading.Thread(target=run, name="handtrack.track", daemon=True)
        worker.start()
        try:
            while True:
                with condition:
                    while not pending and not state["done"]:
                        condition.wait()
                    if pending:
                        item = pending.pop(0)
                        condition.notify_all()
                    elif state["error"] is not None:
                        raise state["error"]
                    else:
                        return
                yield item
        finally:
            with condition:
                state["stop"] = True
                condition.notify_all()
            worker.join()


class _Stop(Exception):
    """Raised inside the compiled loop's callback to end it when the consumer stopped."""


def _track_frames(frames, options, fps, image_format, with_frames, report) -> Iterator[TrackedFrame]:
    total = len(frames) if hasattr(frames, "__len__") else 0
    with HandLandmarker(options) as landmarker:
        for index, frame in enumerate(frames):
            timestamp_ms = int(round(index * 1000.0 / fps))
            array, fmt = engine_input(frame, image_format, f"frame {index}")
            result = HandLandmarkerResult(landmarker._core.detect_for_video(array, fmt, timestamp_ms))
            if report:
                report(index + 1, total)
            yield TrackedFrame(index, timestamp_ms, result,
                               (frame.numpy_view() if isinstance(frame, Image) else frame) if with_frames else None)
