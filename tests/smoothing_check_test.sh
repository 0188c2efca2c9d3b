#!/usr/bin/env bash
# One-Euro smoothing earns its keep on the shared videos: tracks every video with
# --smoothing off and on, then tools/smoothing_check.py over all of them together must
# find the jitter of nearly still hands at most halved and the lag on fast motion at
# most one frame, for image and world landmarks. A benchmark-style check on recorded
# data (deterministic), not a timed test.
#
#   smoothing_check_test.sh HANDTRACK_BINARY
#
# Needs ../shared (videos) and the models; skips (exit 77) without them, except in CI.
set -uo pipefail

bin=${1:?usage: smoothing_check_test.sh HANDTRACK_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/script_support.sh"
check=$here/../tools/smoothing_check.py

compgen -G "$shared/data/hands/videos/*.mp4" >/dev/null || skip "no videos in $shared/data/hands/videos"
[ -f "$models/palm_detection_full.tflite" ] || skip "no models in $models (run scripts/fetch_models.sh)"

videos=("$shared"/data/hands/videos/*.mp4)
# Several inputs: one NAME.jsonl per video under the --output folder. Smoothing only
# filters what is reported, so both runs track the same hands (the checker insists).
for mode in off on; do
  "$bin" track --no-progress --jobs 2 --smoothing "$mode" --output "$tmp/$mode" "${videos[@]}" ||
    fail "handtrack track --smoothing $mode exited $?"
done
pairs=()
for video in "${videos[@]}"; do
  name=$(basename "$video" .mp4)
  pairs+=("$tmp/off/$name.jsonl" "$tmp/on/$name.jsonl")
done

# The checker must be able to fail: RAW against itself (nothing smoothed) breaks the jitter
# bound, and RAW against RAW delayed by two frames breaks the lag bound.
python3 - "$tmp/off" "$tmp/late" <<'PY'
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst)
for name in os.listdir(src):
    history = {}  # id -> landmarks of its last frames
    with open(os.path.join(src, name)) as f, open(os.path.join(dst, name), "w") as out:
        for line in f:
            frame = json.loads(line)
            for hand in frame["hands"]:
                past = history.setdefault(hand["id"], [])
                past.append((hand["landmarks"], hand["world_landmarks"]))
                hand["landmarks"], hand["world_landmarks"] = past[max(0, len(past) - 3)]
            out.write(json.dumps(frame) + "\n")
PY
same=() late=()
for ((i = 0; i < ${#pairs[@]}; i += 2)); do
  same+=("${pairs[i]}" "${pairs[i]}")
  late+=("${pairs[i]}" "$tmp/late/$(basename "${pairs[i]}")")
done
python3 "$check" "${same[@]}" --require 'jitter_ratio<=0.5' >"$tmp/log" 2>&1
if [ $? -eq 1 ] && grep -q 'FAILS: jitter_ratio=1 ' "$tmp/log"; then
  echo "ok: smoothing_check.py fails unsmoothed output (jitter_ratio 1)"
else
  fail "smoothing_check.py passed unsmoothed output: $(cat "$tmp/log")"
fi
python3 "$check" "${late[@]}" --require 'lag_frames<=1' --require 'world_lag_frames<=1' >"$tmp/log" 2>&1
if [ $? -eq 1 ] && grep -q '^lag_frames: 2.0000' "$tmp/log" && grep -q '^world_lag_frames: 2.0000' "$tmp/log"; then
  echo "ok: smoothing_check.py fails output delayed by two frames (lag_frames 2)"
else
  fail "smoothing_check.py did not see a two-frame delay: $(cat "$tmp/log")"
fi

# The real thing, on all videos pooled (per-video figures are printed for information).
# The frame counts make sure that the bounds are measured on enough of the videos.
python3 "$check" "${pairs[@]}" \
  --require 'jitter_ratio<=0.5' --require 'lag_frames<=1' \
  --require 'world_jitter_ratio<=0.5' --require 'world_lag_frames<=1' \
  --require 'still_frames>=100' --require 'fast_frames>=50' --require 'world_fast_frames>=50' ||
  fail "smoothing_check.py bounds"

finish_checks smoothing_check_test
