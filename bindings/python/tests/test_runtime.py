"""Threads, the shared engine, LIVE_STREAM, track() and what handtrack adds to MediaPipe."""
import concurrent.futures
import json
import os
import subprocess
import threading

import numpy as np
import pytest

import handtrack


def photo(photos, words):
    return handtrack.Image.create_from_file([p for p in photos if words in p][0])


def test_threads_share_one_landmarker(photos):
    """detect from several Python threads on one IMAGE-mode landmarker: the same results as one
    thread (the GIL is released during inference; the speed-up is measured by
    bindings/python/tests/bench_overhead.py, not here)."""
    images = [handtrack.Image.create_from_file(p) for p in photos[:8]]
    with handtrack.HandLandmarker.create_from_options(handtrack.HandLandmarkerOptions(num_hands=2)) as landmarker:
        expected = [landmarker.detect(i).landmarks_array.tolist() for i in images]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda i: landmarker.detect(i).landmarks_array.tolist(), images * 3))
    assert got == expected * 3


def assert_same_in_threads(clip, options, threads):
    """track(clip, options) in `threads` threads at once gives each the landmarks of a run alone."""
    alone = [f.result.landmarks_array.tolist() for f in handtrack.track(clip, num_hands=2)]
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        runs = list(pool.map(lambda _: [f.result.landmarks_array.tolist() for f in handtrack.track(clip, options)],
                             range(threads)))
    assert runs == [alone] * threads


def shared_engine_stats(videos, engine, threads):
    """The two-hand walking clip tracked in `threads` threads at once on `engine`, each checked
    against a run alone; the engine's stats afterwards."""
    clip = [v for v in videos if "asl_sign_walk" in v][0]
    assert_same_in_threads(clip, handtrack.HandLandmarkerOptions(num_hands=2, engine=engine), threads)
    return engine.stats()


def test_shared_engine_for_video_streams(videos):
    stats = shared_engine_stats(videos, handtrack.HandEngine(max_instances=2), 2)
    assert stats["landmarks"]["runs"] > 0 and stats["landmarks"]["instances"] <= 2


def test_run_cap_keeps_results(videos):
    """max_concurrent_runs changes how frames are grouped into runs, not the results; bad caps
    are a ValueError naming the option."""
    stats = shared_engine_stats(videos, handtrack.HandEngine(max_batch=4, batch_wait_us=0, max_concurrent_runs=1), 3)
    for model in ("palm", "landmarks"):
        assert stats[model]["max_concurrent_runs"] == 1
        assert stats[model]["calls"] > 0 and stats[model]["call_seconds"] > 0
        assert stats[model]["copy_seconds"] > 0 and stats[model]["wait_seconds"] == 0  # on the CPU
    for bad in (-1, 65):
        with pytest.raises(ValueError, match="max_concurrent_runs"):
            handtrack.HandEngine(max_concurrent_runs=bad)


def test_batch_step_keeps_results(videos):
    """batch_step changes the batch sizes runs take, not the results: with step 1 every run is on
    an interpreter of exactly its frames (slots == frames); bad steps are a ValueError."""
    stats = shared_engine_stats(videos, handtrack.HandEngine(max_batch=8, batch_wait_us=0, batch_step=1), 3)
    for model in ("palm", "landmarks"):
        assert stats[model]["runs"] > 0 and stats[model]["slots"] == stats[model]["frames"]
    for bad in (-1, 3, 128):
        with pytest.raises(ValueError, match="batch_step"):
            handtrack.HandEngine(batch_step=bad)


def test_warm_up_makes_the_interpreters_at_once(videos):
    """warm_up makes every interpreter the policy can use when the engine is made (one per batch
    size without a run cap: 1, 2, 4 with max_batch 4), not at first use; results do not change."""
    engine = handtrack.HandEngine(max_batch=4, batch_wait_us=0, warm_up=True)
    before = engine.stats()
    for model in ("palm", "landmarks"):
        assert before[model]["instances"] == 3 and before[model]["runs"] == 0
    stats = shared_engine_stats(videos, engine, 3)
    for model in ("palm", "landmarks"):
        assert stats[model]["runs"] > 0 and stats[model]["instances"] >= 3  # more when runs overlap


def test_video_frames_at_once(videos):
    """detect_for_video_frames on a batching engine gives detect_for_video's results frame by
    frame; a failed frame raises with the results before it, and the stream goes on from it."""
    clip = [v for v in videos if "asl_fingerspelling" in v][0]
    frames = [f.frame for f in handtrack.track(clip, with_frames=True)][:12]
    timestamps = [i * 33 for i in range(len(frames))]
    video = handtrack.RunningMode.VIDEO
    with handtrack.HandLandmarker.create_from_options(
            handtrack.HandLandmarkerOptions(num_hands=2, running_mode=video)) as alone:
        expected = [alone.detect_for_video(f, t).landmarks_array.tolist() for f, t in zip(frames, timestamps)]
    engine = handtrack.HandEngine(max_batch=8)
    options = handtrack.HandLandmarkerOptions(num_hands=2, running_mode=video, engine=engine)
    with handtrack.HandLandmarker.create_from_options(options) as landmarker:
        got = [r.landmarks_array.tolist() for r in landmarker.detect_for_video_frames(frames[:5], timestamps[:5])]
        repeated = timestamps[5:9]
        repeated[2] = repeated[1]
        with pytest.raises(RuntimeError, match="frame 2: .*timestamp") as error:
            landmarker.detect_for_video_frames(frames[5:9], repeated)
        assert len(error.value.results) == 2
        got += [r.landmarks_array.tolist() for r in error.value.results]
        got += [r.landmarks_array.tolist() for r in landmarker.detect_for_video_frames(frames[7:], timestamps[7:])]
        with pytest.raises(ValueError, match="2 images but 1 timestamps"):
            landmarker.detect_for_video_frames(frames[:2], [1000])
    assert got == expected
    assert engine.stats()["palm"]["max_frames_per_run"] > 1
    with handtrack.HandLandmarker.create_from_options(handtrack.HandLandmarkerOptions()) as image_mode:
        with pytest.raises(ValueError, match="detect_for_video_frames is for VIDEO mode"):
            image_mode.detect_for_video_frames(frames[:1], [0])


def test_ids_gestures_pinch(photos, videos):
    with handtrack.HandLandmarker.create_from_options(handtrack.HandLandmarkerOptions(num_hands=2)) as landmarker:
        palm = landmarker.detect(photo(photos, "count_five_open_palm_student")).hands[0]
        victory = landmarker.detect(photo(photos, "count_two_arm_from_left_webcam")).hands[0]
    assert palm.finger_count == 5 and palm.gesture == "Open_Palm" and not palm.pinch and all(palm.extended)
    assert victory.finger_count == 2 and victory.gesture == "Victory" and victory.extended[1:3] == (True, True)
    assert palm.handedness in ("Left", "Right") and palm.gesture_score >= 0.5
    # Stable ids over a video: each id lives over a run of consecutive frames.
    ids = [[h.id for h in f.result.hands] for f in handtrack.track([v for v in videos if "asl_sign_book" in v][0],
                                                                    num_hands=2)]
    assert {i for frame in ids for i in frame} and all(len(set(frame)) == len(frame) for frame in ids)


def test_live_stream(photos):
    image = photo(photos, "two_hands_heart")
    delivered, lock = [], threading.Lock()

    def on_result(result, output_image, timestamp_ms):
        with lock:
            delivered.append((timestamp_ms, len(result.hand_landmarks), output_image.width))

    options = handtrack.HandLandmarkerOptions(running_mode=handtrack.RunningMode.LIVE_STREAM, num_hands=2,
                                              result_callback=on_result)
    landmarker = handtrack.HandLandmarker.create_from_options(options)
    for t in range(0, 300, 10):
        landmarker.detect_async(image, t)
    with pytest.raises(RuntimeError, match="timestamp"):
        landmarker.detect_async(image, 5)
    landmarker.close()  # delivers what is in flight and queued
    stats = landmarker.live_stream_stats()  # kept after close
    assert stats["frames_received"] == 30
    assert stats["frames_processed"] + stats["frames_dropped"] == 30 and stats["frames_processed"] == len(delivered)
    assert delivered and all(n == 2 and w == image.width for _, n, w in delivered)
    times = [t for t, _, _ in delivered]
    assert times == sorted(times) and times[-1] == 290  # the last frame is never dropped
    with pytest.raises(RuntimeError, match="closed"):
        landmarker.detect_async(image, 400)


def test_live_stream_callback_errors_do_not_stop_it(photos):
    image = photo(photos, "two_hands_heart")
    calls = []

    def failing(result, output_image, timestamp_ms):
        calls.append(timestamp_ms)
        raise KeyError("a bug in the callback")

    reported = []
    import sys
    previous, sys.unraisablehook = sys.unraisablehook, lambda info: reported.append(info.exc_value)
    try:
        options = handtrack.HandLandmarkerOptions(running_mode=handtrack.RunningMode.LIVE_STREAM,
                                                  result_callback=failing)
        with handtrack.HandLandmarker.create_from_options(options) as landmarker:
            landmarker.detect_async(image, 0)
            landmarker.detect_async(image, 100)
            landmarker.close()
    finally:
        sys.unraisablehook = previous
    assert calls[-1] == 100  # the landmarker went on after the callback raised
    assert reported and all(isinstance(e, KeyError) for e in reported)  # reported as Python reports thread errors


def test_track_equals_cli(cli, videos, tmp_path):
    """track() on a video file gives `handtrack track --format golden`'s landmarks, frame by frame."""
    clip = [v for v in videos if "hand_swipe" in v][0]
    out = tmp_path / "cli.json"
    subprocess.run([cli, "track", "--format", "golden", "--num-hands", "2", "--no-progress", "--output", str(out), clip],
                   check=True)
    expected = json.load(open(out))["frames"]
    progress = []
    frames = list(handtrack.track(clip, num_hands=2, progress=lambda done, total: progress.append((done, total)),
                                  with_frames=True))
    assert len(frames) == len(expected)
    assert progress[-1][0] == len(frames) and frames[0].frame.shape[2] == 3
    for mine, theirs in zip(frames, expected):
        assert [[[float(f"{v:.7g}") for v in p] for p in hand] for hand in mine.result.landmarks_array.tolist()] == \
            [h["landmarks"] for h in theirs["hands"]]


def test_track_frames_and_early_stop(videos):
    clip = [v for v in videos if "hand_swipe" in v][0]
    frames = [f.frame for f in handtrack.track(clip, with_frames=True)]
    from_arrays = [f.result.landmarks_array.tolist() for f in handtrack.track(frames, fps=30)]
    from_file = [f.result.landmarks_array.tolist() for f in handtrack.track(clip)]
    assert from_arrays == from_file
    for count, _ in enumerate(handtrack.track(clip), 1):  # stopping early ends the decoding thread
        if count == 3:
            break
    assert not [t for t in threading.enumerate() if t.name == "handtrack.track"]


def test_track_truncated_video_keeps_frames(videos, tmp_path):
    clip = [v for v in videos if "hand_swipe" in v][0]
    data = open(clip, "rb").read()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    got = []
    try:
        for frame in handtrack.track(str(cut)):
            got.append(frame)
    except RuntimeError as error:
        assert "cut.mp4" in str(error)
    assert got  # frames before the failure were delivered


def test_backends_and_plan():
    names = {b["name"] for b in handtrack.list_backends()}
    assert {"reference", "xnnpack"} <= names
    with handtrack.HandLandmarker.create_from_options(handtrack.HandLandmarkerOptions(
            base_options=handtrack.BaseOptions(delegate=handtrack.BaseOptions.Delegate.CPU))) as landmarker:
        assert "xnnpack" in landmarker.describe_plan()


def test_models_from_buffer(task_bundle, photos):
    image = photo(photos, "two_hands_heart")
    with open(task_bundle, "rb") as f:
        options = handtrack.HandLandmarkerOptions(base_options=handtrack.BaseOptions(model_asset_buffer=f.read()),
                                                  num_hands=2)
    with handtrack.HandLandmarker.create_from_options(options) as from_buffer, \
            handtrack.HandLandmarker.create_from_options(handtrack.HandLandmarkerOptions(num_hands=2)) as from_folder:
        assert from_buffer.detect(image).landmarks_array.tolist() == from_folder.detect(image).landmarks_array.tolist()
