"""Fixtures of the Python module's tests (pytest, Debian's python3-pytest).

They run against the installed package (scripts/build_python.sh VENV, then
VENV/bin/python -m pytest bindings/python/tests), or the build tree's copy with
PYTHONPATH=BUILD/python. Environment: HANDTRACK_SHARED (default ../shared beside the
repository), HANDTRACK_MODELS (the engine's default), HANDTRACK_CLI (default build/bin/handtrack:
the C++ command the results are compared with)."""
import os
import sys
import zipfile

import pytest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SHARED = os.environ.get("HANDTRACK_SHARED", os.path.join(REPO, "..", "shared"))
IMAGES = os.path.join(SHARED, "data", "hands", "images")
VIDEOS = os.path.join(SHARED, "data", "hands", "videos")


def models_dir():
    if os.environ.get("HANDTRACK_MODELS"):
        return os.environ["HANDTRACK_MODELS"]
    cache = os.environ.get("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache"))
    return os.path.join(cache, "handtrack", "models")


@pytest.fixture(scope="session")
def shared():
    if not os.path.isdir(IMAGES):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{IMAGES} is missing in CI")
        pytest.skip(f"no {IMAGES}")
    return SHARED


@pytest.fixture(scope="session")
def photos(shared):
    return sorted(os.path.join(IMAGES, f) for f in os.listdir(IMAGES) if f.lower().endswith((".jpg", ".jpeg", ".png")))


@pytest.fixture(scope="session")
def videos(shared):
    return sorted(os.path.join(VIDEOS, f) for f in os.listdir(VIDEOS) if f.endswith(".mp4"))


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("HANDTRACK_CLI", os.path.join(REPO, "build", "bin", "handtrack"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"the handtrack command is not at {path} (set HANDTRACK_CLI)")
    return path


@pytest.fixture(scope="session")
def task_bundle(tmp_path_factory):
    """A MediaPipe-style hand_landmarker.task made from the fetched full models."""
    path = tmp_path_factory.mktemp("models") / "hand_landmarker.task"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.write(os.path.join(models_dir(), "palm_detection_full.tflite"), "hand_detector.tflite")
        bundle.write(os.path.join(models_dir(), "hand_landmark_full.tflite"), "hand_landmarks_detector.tflite")
    return str(path)
