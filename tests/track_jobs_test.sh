#!/usr/bin/env bash
# `handtrack track --jobs N` runs every input on one shared engine; with --batch the jobs'
# frames share batched model runs. Either way each video's output must be byte-identical to
# a run with --jobs 1 (batch-N runs equal N batch-1 runs bit for bit on the CPU backends).
# With batching, several frames of an input go to the landmarker at once (--frames-per-call,
# palm detection ahead): the same bytes again.
# --batch-wait-us 0 (every batch runs at once, as full as the queue is), also with
# --max-concurrent-runs 1 (one run per model at a time): the same bytes.
# Also: bad --batch, --frames-per-call, --batch-wait-us, --max-concurrent-runs and --batch-step values are
# usage errors.
#
#   track_jobs_test.sh HANDTRACK_BINARY [DELEGATE]    (DELEGATE: xnnpack (default) or reference)
#
# Needs ../shared (videos) and the models; skips (exit 77) without them, except in CI.
set -uo pipefail

bin=${1:?usage: track_jobs_test.sh HANDTRACK_BINARY [DELEGATE]}
delegate=${2:-xnnpack}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/script_support.sh"
videos=$shared/data/hands/videos
# Short videos with one and two hands (38, 77 and 89 frames); the reference backend takes
# about half a second a frame, so it gets the first two only.
names="two_hands_zoom_gesture_with_overlays_01 open_palm_to_fist_closeup_with_overlays_01"
[ "$delegate" = reference ] || names="$names asl_sign_walk_two_hands_webcam_01"

inputs=()
for name in $names; do
  [ -f "$videos/$name.mp4" ] || skip "no $videos/$name.mp4"
  inputs+=("$videos/$name.mp4")
done
[ -f "$models/palm_detection_full.tflite" ] || skip "no models in $models (run scripts/fetch_models.sh)"

# track_into DIR ARGS...: every input, one JSON Lines file per input in DIR.
track_into() {
  local dir=$1; shift
  "$bin" track --no-progress --delegate "$delegate" --output "$tmp/$dir" "$@" "${inputs[@]}" 2>"$tmp/$dir.err"
  local rc=$?
  if [ "$rc" -ne 0 ]; then fail "track $* -> exit $rc: $(head -c 400 "$tmp/$dir.err")"; return 1; fi
}

track_into one --jobs 1 || exit 1
for name in $names; do
  [ -s "$tmp/one/$name.jsonl" ] || fail "--jobs 1 wrote no $name.jsonl"
done
n=${#inputs[@]}
for args in "--jobs $n" "--jobs $n --batch 4" "--jobs 2 --batch 2" "--jobs 1 --batch 4" \
  "--jobs $n --batch 8 --frames-per-call 5" "--jobs 1 --batch 4 --frames-per-call 1" \
  "--jobs $n --batch 8 --batch-wait-us 0" "--jobs $n --batch 8 --batch-wait-us 0 --max-concurrent-runs 1" \
  "--jobs $n --batch 8 --batch-step 1" "--jobs $n --batch 8 --batch-step 2 --frames-per-call 3"; do
  dir=run_${args// /_}
  # shellcheck disable=SC2086  # the options are meant to split
  track_into "$dir" $args || continue
  same=1
  for name in $names; do
    if ! cmp -s "$tmp/one/$name.jsonl" "$tmp/$dir/$name.jsonl"; then
      same=0
      fail "$args: $name.jsonl differs from --jobs 1 ($(cmp "$tmp/one/$name.jsonl" "$tmp/$dir/$name.jsonl" 2>&1 | head -1))"
    fi
  done
  [ "$same" = 1 ] && pass "$args: every video byte-identical to --jobs 1 ($delegate)"
done

# Bad values: exit 2, one line naming the option.
check_bad() {  # check_bad OPTION VALUE
  "$bin" track "$1" "$2" "${inputs[0]}" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "^handtrack: .*$1" "$tmp/err"; then
    pass "$1 '$2' -> $(cat "$tmp/err")"
  else
    fail "$1 '$2': exit $rc, stderr: $(cat "$tmp/err")"
  fi
}
for bad in 0 3 128 x ""; do check_bad --batch "$bad"; done
for bad in 0 65 x ""; do check_bad --frames-per-call "$bad"; done
for bad in -1 10000001 x ""; do check_bad --batch-wait-us "$bad"; done
for bad in -1 65 x ""; do check_bad --max-concurrent-runs "$bad"; done
for bad in -1 3 128 x ""; do check_bad --batch-step "$bad"; done

finish_checks track_jobs_test
