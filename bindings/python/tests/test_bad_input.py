"""Bad input: clear Python exceptions (ValueError for bad arguments, RuntimeError otherwise),
never a crash."""
import os

import numpy as np
import pytest

import handtrack


@pytest.fixture(scope="module")
def landmarker():
    with handtrack.HandLandmarker.create_from_options(handtrack.HandLandmarkerOptions(num_hands=2)) as lm:
        yield lm


@pytest.mark.parametrize("array, words", [
    (np.zeros((64, 64, 3), np.float32), "dtype uint8"),
    (np.zeros((64, 64, 3), np.int16), "dtype uint8"),
    (np.zeros((64, 64), np.uint8), "shape (height, width, 3)"),
    (np.zeros((64, 64, 2), np.uint8), "shape (height, width, 3)"),
    (np.zeros((2, 64, 64, 3), np.uint8), "shape (height, width, 3)"),
    (np.zeros((0, 64, 3), np.uint8), "empty"),
    (np.zeros((64, 0, 3), np.uint8), "empty"),
    ([[1, 2, 3]], "numpy array"),
    ("photo.jpg", "numpy array"),
])
def test_bad_arrays(landmarker, array, words):
    with pytest.raises(ValueError, match="failed to read") as error:
        landmarker.detect(array)
    assert words in str(error.value)


def test_strided_arrays_are_read_correctly(landmarker, photos):
    """Any strides work: a channel-reversed BGR view, a crop, every other column: same results
    as the packed RGB array of the same pixels."""
    rgb = handtrack.Image.create_from_file([p for p in photos if "two_hands_heart" in p][0]).numpy_view()
    expected = landmarker.detect(np.ascontiguousarray(rgb)).landmarks_array
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    assert landmarker.detect(bgr, image_format=handtrack.ImageFormat.SBGR).landmarks_array.tolist() == expected.tolist()
    assert landmarker.detect(bgr[:, :, ::-1]).landmarks_array.tolist() == expected.tolist()  # negative strides
    padded = np.zeros((rgb.shape[0], rgb.shape[1] + 7, 3), np.uint8)
    padded[:, :rgb.shape[1]] = rgb
    assert landmarker.detect(padded[:, :rgb.shape[1]]).landmarks_array.tolist() == expected.tolist()  # row padding
    wide = np.repeat(rgb, 2, axis=1)
    assert landmarker.detect(wide[:, ::2]).landmarks_array.tolist() == expected.tolist()  # every other column
    fortran = np.asfortranarray(rgb)
    assert landmarker.detect(fortran).landmarks_array.tolist() == expected.tolist()


def test_image_formats(photos):
    rgb = handtrack.Image.create_from_file(photos[0]).numpy_view()
    with pytest.raises(ValueError, match="image_format"):
        handtrack.Image(handtrack.ImageFormat.UNKNOWN, rgb)
    with pytest.raises(ValueError, match="shape"):
        handtrack.Image(handtrack.ImageFormat.SRGBA, rgb)
    gray = handtrack.Image(handtrack.ImageFormat.GRAY8, np.ascontiguousarray(rgb[:, :, 1]))
    assert gray.channels == 1 and gray.numpy_view().shape == rgb.shape[:2]
    view = handtrack.Image(handtrack.ImageFormat.SRGB, rgb).numpy_view()
    assert not view.flags.writeable
    with pytest.raises(ValueError, match="image_format SBGR given for an Image of SRGB"):
        with handtrack.HandLandmarker.create_from_options(handtrack.HandLandmarkerOptions()) as lm:
            lm.detect(handtrack.Image(handtrack.ImageFormat.SRGB, rgb), image_format=handtrack.ImageFormat.SBGR)


def test_unreadable_files(tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    with pytest.raises(RuntimeError, match="notes.jpg"):
        handtrack.Image.create_from_file(text)
    with pytest.raises(RuntimeError, match="missing.png"):
        handtrack.Image.create_from_file(tmp_path / "missing.png")
    with pytest.raises(RuntimeError, match="upload"):
        handtrack.Image.create_from_bytes(b"\xff\xd8\xff\xe0 truncated", "upload")
    with pytest.raises(RuntimeError, match="empty"):
        handtrack.Image.create_from_bytes(b"", "empty")


def test_wrong_running_mode(landmarker):
    frame = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="IMAGE mode, detect_for_video is for VIDEO mode"):
        landmarker.detect_for_video(frame, 0)
    with pytest.raises(ValueError, match="detect_async is for LIVE_STREAM"):
        landmarker.detect_async(frame, 0)
    with handtrack.HandLandmarker.create_from_options(
            handtrack.HandLandmarkerOptions(running_mode=handtrack.RunningMode.VIDEO)) as video:
        with pytest.raises(ValueError, match="detect is for IMAGE mode"):
            video.detect(frame)
        video.detect_for_video(frame, 10)
        with pytest.raises(RuntimeError, match="timestamp"):
            video.detect_for_video(frame, 10)
        with pytest.raises(ValueError, match="timestamp_ms"):
            video.detect_for_video(frame, "soon")


def test_closed_landmarker():
    landmarker = handtrack.HandLandmarker.create_from_options(handtrack.HandLandmarkerOptions())
    landmarker.close()
    landmarker.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        landmarker.detect(np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(RuntimeError, match="closed"):
        landmarker.describe_plan()


def test_bad_options(tmp_path):
    for fields, words in (({"num_hands": 0}, "num_hands"), ({"num_hands": 99}, "num_hands"),
                          ({"min_hand_detection_confidence": 1.5}, "confidence"),
                          ({"model_variant": "huge"}, "model_variant"),
                          ({"precision": "fp8"}, "precision"),
                          ({"running_mode": "SOMETIMES"}, "SOMETIMES"),
                          ({"base_options": handtrack.BaseOptions(delegate="tpu")}, "tpu"),
                          ({"running_mode": handtrack.RunningMode.LIVE_STREAM}, "result_callback"),
                          ({"result_callback": lambda *a: None}, "only for LIVE_STREAM"),
                          ({"palm_detection_interval": 0}, "palm_detection_interval")):
        with pytest.raises(ValueError, match=words):
            handtrack.HandLandmarker.create_from_options(handtrack.HandLandmarkerOptions(**fields))
    with pytest.raises(ValueError, match="HandLandmarkerOptions"):
        handtrack.HandLandmarker.create_from_options({"num_hands": 2})


def test_missing_and_bad_models(tmp_path):
    with pytest.raises(RuntimeError, match="palm_detection_full"):
        handtrack.HandLandmarker.create_from_model_path(tmp_path)  # an empty folder
    with pytest.raises(ValueError, match="no such file or folder"):
        handtrack.HandLandmarker.create_from_model_path(tmp_path / "nowhere.task")
    junk = tmp_path / "junk.task"
    junk.write_bytes(os.urandom(1000))
    with pytest.raises(ValueError, match="not a .task bundle"):
        handtrack.HandLandmarker.create_from_model_path(junk)
    import zipfile
    half = tmp_path / "half.task"
    with zipfile.ZipFile(half, "w") as bundle:
        bundle.writestr("hand_detector.tflite", b"TFL3 not really")
    with pytest.raises(ValueError, match="hand_landmarks_detector"):
        handtrack.HandLandmarker.create_from_model_path(half)
    broken = tmp_path / "broken.task"
    with zipfile.ZipFile(broken, "w") as bundle:
        bundle.writestr("hand_detector.tflite", os.urandom(5000))
        bundle.writestr("hand_landmarks_detector.tflite", os.urandom(5000))
    with pytest.raises(RuntimeError, match="palm_detection_full"):
        handtrack.HandLandmarker.create_from_model_path(broken)


def test_bad_video(tmp_path):
    text = tmp_path / "clip.mp4"
    text.write_text("not a video")
    with pytest.raises(RuntimeError, match="clip.mp4"):
        list(handtrack.track(str(text)))
    with pytest.raises(RuntimeError, match="nothing.mp4"):
        list(handtrack.track(str(tmp_path / "nothing.mp4")))
