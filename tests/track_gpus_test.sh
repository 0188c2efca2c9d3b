#!/usr/bin/env bash
# `handtrack track --gpus 0,0 --jobs 4`: two engines on GPU 0, the second made to fail
# mid-run (HANDTRACK_INJECT_FAULT_ENGINE=1:cuda:run:AFTER, the CLI's test hook). Its videos
# must be taken over by the first engine, one stderr line per take-over, counted in the
# summary, and every video's landmarks must equal (within 1e-5) a run on one engine without
# faults. Then every GPU engine faulted: the CPU (xnnpack) finishes, the same hands within 1e-3.
#
#   track_gpus_test.sh HANDTRACK_BINARY
#
# Needs a usable GPU (skips with exit 77 without one, CI included: CI has none), ../shared
# (videos) and the models.
set -uo pipefail

bin=${1:?usage: track_gpus_test.sh HANDTRACK_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/script_support.sh"
videos=$shared/data/hands/videos

if ! "$bin" devices 2>/dev/null | grep -qE '^0 +cuda .* yes +ready'; then
  echo "SKIP: no usable GPU ('handtrack devices' lists none)"
  exit 77
fi
names="two_hands_zoom_gesture_with_overlays_01 open_palm_to_fist_closeup_with_overlays_01
       asl_sign_walk_two_hands_webcam_01 hand_swipe_left_right_with_overlays_01"
inputs=()
for name in $names; do
  [ -f "$videos/$name.mp4" ] || skip "no $videos/$name.mp4"
  inputs+=("$videos/$name.mp4")
done
[ -f "$models/palm_detection_full.tflite" ] || skip "no models in $models (run scripts/fetch_models.sh)"

# run_into DIR ARGS...: every input into DIR/NAME.jsonl, the summary in DIR.summary.json.
run_into() {
  local dir=$1; shift
  "$bin" track --no-progress --hwaccel none --jobs 4 --output "$tmp/$dir" --summary "$tmp/$dir.summary.json" \
    "$@" "${inputs[@]}" 2>"$tmp/$dir.err"
  local rc=$?
  if [ "$rc" -ne 0 ]; then fail "track $* -> exit $rc: $(head -c 600 "$tmp/$dir.err")"; return 1; fi
}

# compare_runs A B exact TOLERANCE: every frame of every video has the same hands, landmarks
# within TOLERANCE. compare_runs A B agree: the same number of hands on at least 95 % of each
# video's frames, and on those the median of the frames' largest landmark difference at most
# 0.01 (normalised coordinates).
compare_runs() {
  python3 - "$tmp/$1" "$tmp/$2" "$3" "${4:-0}" $names <<'PY'
import json, statistics, sys
a, b, mode, tolerance, names = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5:]
def frames(path):
    return [f for f in map(json.loads, open(path)) if "frame" in f or "hands" in f]
worst, lowest, largest = 0.0, 1.0, 0.0
for name in names:
    fa, fb = frames(f"{a}/{name}.jsonl"), frames(f"{b}/{name}.jsonl")
    if len(fa) != len(fb):
        sys.exit(f"{name}: {len(fa)} against {len(fb)} lines")
    same, diffs = 0, []
    for i, (x, y) in enumerate(zip(fa, fb)):
        hx, hy = x.get("hands", []), y.get("hands", [])
        if len(hx) != len(hy):
            if mode == "exact":
                sys.exit(f"{name} line {i}: {len(hx)} against {len(hy)} hands")
            continue
        same += 1
        # landmarks are [x, y, z] each
        diffs.append(max([abs(s - t) for p, q in zip(hx, hy) for u, v in zip(p["landmarks"], q["landmarks"])
                          for s, t in zip(u, v)] or [0.0]))
    worst = max([worst] + diffs)
    agreement, median = same / max(len(fa), 1), statistics.median(diffs) if diffs else 0.0
    lowest, largest = min(lowest, agreement), max(largest, median)
    if mode == "agree" and (agreement < 0.95 or median > 0.01):
        sys.exit(f"{name}: same hand count on {agreement:.3f} of the frames, median largest difference {median:.4f}")
if mode == "exact":
    print(f"largest landmark difference {worst:.2e}")
    sys.exit(0 if worst <= tolerance else f"above {tolerance}")
print(f"same hand count on at least {lowest:.3f} of the frames, median largest landmark difference at most {largest:.4f}")
PY
}

run_into one --delegate cuda --batch 1 || exit 1
# Engine 1 fails at its 40th model run: after its videos have started.
HANDTRACK_INJECT_FAULT_ENGINE=1:cuda:run:40 run_into pooled --gpus 0,0 --batch 1 || exit 1
moves=$(grep -c 'engine 1 (cuda:0) failed .*moved to engine 0 (cuda:0)' "$tmp/pooled.err")
[ "$moves" -ge 1 ] && pass "--gpus 0,0, engine 1 faulted: $moves take-over line(s) on stderr" ||
  fail "--gpus 0,0: no take-over line on stderr: $(cat "$tmp/pooled.err")"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); t=s["engines"]["take_overs"]; assert t >= 1, t; print(t)' \
  "$tmp/pooled.summary.json" >/dev/null && pass "--summary counts the take-overs" || fail "--summary: no take_overs"
result=$(compare_runs one pooled exact 1e-5) && pass "taken-over videos equal one engine's: $result" ||
  fail "taken-over videos differ from one engine's: $result"

# Both GPU engines faulted (engine 0 by HANDTRACK_INJECT_FAULT, for every engine): the CPU finishes.
HANDTRACK_INJECT_FAULT_ENGINE=1:cuda:run:10 HANDTRACK_INJECT_FAULT=cuda:run run_into cpu --gpus 0,0 || exit 1
grep -q 'engine 2 (xnnpack) created' "$tmp/cpu.err" || grep -q 'engine 2 (reference) created' "$tmp/cpu.err" &&
  pass "every GPU engine faulted: the CPU engine took over" || fail "no CPU take-over: $(cat "$tmp/cpu.err")"
# The CPU's kernels differ from the GPU's by about 1e-5 per run, which tracking carries along
# the videos (a hand can then be kept or dropped a frame apart): compared as the golden tests
# are, by ../shared/tools/compare.py's agreement on each video.
result=$(compare_runs one cpu agree) && pass "CPU-finished videos: $result" || fail "CPU-finished videos: $result"

finish_checks track_gpus_test
