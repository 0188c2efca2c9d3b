"""handtrack.Image: MediaPipe's ``mp.Image`` over a numpy array, without a copy."""
from __future__ import annotations

import enum
import os
from typing import Union

import numpy as np

from . import _handtrack


class ImageFormat(enum.IntEnum):
    """Pixel layouts, numbered as MediaPipe's ``mp.ImageFormat`` (plus ``SBGR``, OpenCV's
    order, which MediaPipe lacks)."""

    UNKNOWN = 0
    SRGB = 1
    SRGBA = 2
    SBGRA = 3
    GRAY8 = 4
    SBGR = 100


# Channels of each format, and the engine's pixel format number (see handtrack_module.cc).
_CHANNELS = {ImageFormat.SRGB: 3, ImageFormat.SRGBA: 4, ImageFormat.SBGRA: 4, ImageFormat.SBGR: 3,
             ImageFormat.GRAY8: 1}
_ENGINE_FORMAT = {ImageFormat.SRGB: 0, ImageFormat.SRGBA: 1, ImageFormat.SBGR: 2, ImageFormat.SBGRA: 3}


def _checked_array(data, image_format: ImageFormat, what: str) -> np.ndarray:
    """The array as the engine reads it: uint8, height x width x channels, pixels packed within
    rows (any row stride). Other layouts (a channel-reversed view, every other column, ...) are
    copied once; anything that is not an image raises ValueError naming what is wrong."""
    if not isinstance(data, np.ndarray):
        raise ValueError(f"failed to read {what}: expected a numpy array, got {type(data).__name__}")
    if data.dtype != np.uint8:
        raise ValueError(f"failed to read {what}: expected dtype uint8, got {data.dtype}")
    channels = _CHANNELS[image_format]
    if image_format == ImageFormat.GRAY8 and data.ndim == 2:
        data = data[:, :, np.newaxis]
    if data.ndim != 3 or data.shape[2] != channels:
        raise ValueError(f"failed to read {what}: expected shape (height, width, {channels}) for "
                         f"{image_format.name}, got {data.shape}")
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError(f"failed to read {what}: it is empty, shape {data.shape}")
    strides = data.strides
    if strides[2] != 1 or strides[1] != channels or strides[0] < data.shape[1] * channels:
        data = np.ascontiguousarray(data)
    return data


class Image:
    """An image for the landmarker, as MediaPipe's ``mp.Image``.

    ``Image(image_format, data)`` wraps ``data`` (a height x width x channels uint8 numpy
    array; height x width for GRAY8) without copying it when its pixels are packed within rows
    (any row stride, e.g. a crop of a larger frame); other layouts are copied once. Keep the
    array unchanged while a detect call that received the image runs.
    """

    def __init__(self, image_format: ImageFormat, data: np.ndarray):
        if not isinstance(image_format, ImageFormat):
            try:
                image_format = ImageFormat(image_format)
            except ValueError:
                raise ValueError(f"failed to make image: unknown image_format {image_format!r}") from None
        if image_format not in _CHANNELS:
            raise ValueError(f"failed to make image: image_format {image_format.name} is not supported "
                             "(SRGB, SRGBA, SBGR, SBGRA or GRAY8)")
        self._format = image_format
        self._data = _checked_array(data, image_format, "image data")

    @classmethod
    def create_from_file(cls, file_name: Union[str, os.PathLike]) -> "Image":
        """Decodes a JPEG or PNG file (EXIF orientation applied) into an SRGB image."""
        return cls(ImageFormat.SRGB, _handtrack.read_image(os.fspath(file_name)))

    @classmethod
    def create_from_bytes(cls, data: bytes, name: str = "image") -> "Image":
        """Decodes JPEG or PNG bytes (an upload, say) into an SRGB image; ``name`` is used in
        error messages."""
        return cls(ImageFormat.SRGB, _handtrack.decode_image(bytes(data), name))

    @property
    def width(self) -> int:
        return int(self._data.shape[1])

    @property
    def height(self) -> int:
        return int(self._data.shape[0])

    @property
    def channels(self) -> int:
        return int(self._data.shape[2])

    @property
    def image_format(self) -> ImageFormat:
        return self._format

    def numpy_view(self) -> np.ndarray:
        """A read-only view of the pixels (height x width x channels; GRAY8: height x width)."""
        view = self._data.view()
        view.flags.writeable = False
        return view[:, :, 0] if self._format == ImageFormat.GRAY8 else view

    def _engine_input(self):
        """(array, engine format) for the engine; GRAY8 becomes RGB (a copy)."""
        if self._format == ImageFormat.GRAY8:
            return np.repeat(self._data, 3, axis=2), _ENGINE_FORMAT[ImageFormat.SRGB]
        return self._data, _ENGINE_FORMAT[self._format]

    def __repr__(self) -> str:
        return f"Image({self._format.name}, {self.width}x{self.height})"


def engine_input(image, image_format=None, what: str = "image"):
    """(array, engine format) from an Image or a numpy array (RGB, or RGBA with 4 channels,
    unless image_format says otherwise, e.g. ImageFormat.SBGR for OpenCV's frames)."""
    if isinstance(image, Image):
        if image_format is not None and ImageFormat(image_format) != image.image_format:
            raise ValueError(f"failed to read {what}: image_format {ImageFormat(image_format).name} given for an "
                             f"Image of {image.image_format.name}")
        return image._engine_input()
    if isinstance(image, np.ndarray):
        if image_format is None:
            image_format = ImageFormat.SRGBA if image.ndim == 3 and image.shape[2] == 4 else ImageFormat.SRGB
        return Image(image_format, image)._engine_input()
    raise ValueError(f"failed to read {what}: expected a handtrack.Image or a numpy array, got {type(image).__name__}")
