#!/usr/bin/env bash
# A tour of bad input through `handtrack track`: bad option values, missing, empty and
# fake videos, truncated and corrupted MP4s, frame folders with a broken frame, hardware
# decoding asked for where there is none. Every
# case must end in a clear one-line error naming the culprit, a non-zero exit status and
# no crash; the frames before a mid-video failure must be in the output (and a golden
# document must still be complete JSON); good inputs given alongside must still be
# processed in full, also with --jobs 2. The broken inputs are cut from the shared videos
# and photos here, without FFmpeg's tools.
#
#   track_bad_input_test.sh HANDTRACK_BINARY
#
# Needs ../shared (videos, photos, golden JSON for frame counts) and the models; skips
# (exit 77) without them, except in CI. Labelled "sanitize": scripts/test.sh reruns it
# under ASan+UBSan, so it keeps to short videos.
set -uo pipefail

bin=${1:?usage: track_bad_input_test.sh HANDTRACK_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/script_support.sh"
videos=$shared/data/hands/videos
photo=$shared/data/hands/images/count_five_open_hand_webcam_01.jpg
good=two_hands_zoom_gesture_with_overlays_01       # 38 frames: the good input of mixed runs
short=open_palm_to_fist_closeup_with_overlays_01   # 77 frames, small: truncated, patched
long=asl_sign_walk_two_hands_webcam_01             # 89 frames: more than 50 corrupt packets fit

for name in $good $short $long; do
  [ -f "$videos/$name.mp4" ] && [ -f "$shared/golden/videos/$name.tasks_full.json" ] ||
    skip "no $name video or golden JSON in $shared"
done
[ -f "$photo" ] || skip "no $photo"
[ -f "$models/palm_detection_full.tflite" ] || skip "no models in $models (run scripts/fetch_models.sh)"

# Frames MediaPipe saw in a video: the length of a complete output.
frames_of() { python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["frames"]))' \
  "$shared/golden/videos/$1.tasks_full.json"; }
good_frames=$(frames_of $good)
short_frames=$(frames_of $short)

# Runs handtrack with the given arguments; leaves the status in $rc, stdout in $tmp/out
# and stderr in $tmp/err. A status of 128 or more is a crash.
run() {
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -ge 128 ]; then fail "'handtrack $*' crashed (exit $rc): $(head -c 400 "$tmp/err")"; fi
  if grep -qE 'Sanitizer|runtime error:' "$tmp/err"; then fail "'handtrack $*': sanitizer report"; cat "$tmp/err"; fi
}

# expect_usage_error "what" ARGS...: exit 2 and one line "handtrack: ..." on stderr.
expect_usage_error() {
  local what=$1; shift
  run "$@"
  if [ "$rc" -ne 2 ]; then fail "$what: exit $rc, expected 2; stderr: $(cat "$tmp/err")"; return; fi
  if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q '^handtrack: ' "$tmp/err"; then
    fail "$what: expected one 'handtrack: ...' line on stderr, got: $(cat "$tmp/err")"; return
  fi
  pass "$what -> $(cat "$tmp/err")"
}

# expect_error_naming "what" NEEDLE ARGS...: exit 1 and exactly one stderr line "handtrack: ...NEEDLE...".
expect_error_naming() {
  local what=$1 needle=$2; shift 2
  run "$@"
  if [ "$rc" -ne 1 ]; then fail "$what: exit $rc, expected 1; stderr: $(cat "$tmp/err")"; return 1; fi
  if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q '^handtrack: ' "$tmp/err" || ! grep -qF -- "$needle" "$tmp/err"; then
    fail "$what: expected one 'handtrack: ...' line naming $needle, got: $(cat "$tmp/err")"; return 1
  fi
  pass "$what -> $(cat "$tmp/err")"
}

# jsonl_frames FILE [VIDEO]: the number of lines of a JSON Lines output, after checking that
# every line is a JSON object and that each video's frame indices run 0, 1, 2, ... in order
# (lines of concurrent jobs never mix). Prints -1 when the file is not like that.
jsonl_frames() {
  python3 - "$@" <<'PY'
import json, sys
lines, want = 0, {}
try:
    for line in open(sys.argv[1]):
        frame = json.loads(line)
        if len(sys.argv) > 2 and not frame["video"].endswith(sys.argv[2]):
            continue
        assert frame["index"] == want.get(frame["video"], 0), (frame["video"], frame["index"])
        want[frame["video"]] = frame["index"] + 1
        lines += 1
except (OSError, ValueError, KeyError, AssertionError) as e:
    print(f"{sys.argv[1]}: {e!r}", file=sys.stderr)
    lines = -1
print(lines)
PY
}

# golden_frames FILE: the number of frames of a golden-schema document, -1 when it is not
# complete, valid JSON.
golden_frames() {
  python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["frames"]))' "$1" 2>/dev/null || echo -1
}

# ---- Bad option values (exit 2) ---------------------------------------------------
clip=$videos/$good.mp4
run track --help && [ "$rc" -eq 0 ] && grep -q 'usage: handtrack track' "$tmp/out" || fail "handtrack track --help"
expect_usage_error "no inputs" track
expect_usage_error "--format x" track --format x "$clip"
grep -qF -- "--format must be jsonl, csv or golden, got 'x'" "$tmp/err" || fail "--format message"
expect_usage_error "--fps -1" track --fps -1 "$clip"
expect_usage_error "--fps abc" track --fps abc "$clip"
expect_usage_error "--fps 0" track --fps=0 "$clip"
expect_usage_error "--jobs 0" track --jobs 0 "$clip"
expect_usage_error "--jobs x" track --jobs x "$clip"
expect_usage_error "--smoothing maybe" track --smoothing maybe "$clip"
expect_usage_error "--palm-detection-interval 0" track --palm-detection-interval 0 "$clip"
grep -qF -- "--palm-detection-interval" "$tmp/err" || fail "--palm-detection-interval message"
expect_usage_error "--palm-detection-interval 1001" track --palm-detection-interval 1001 "$clip"
expect_usage_error "--format missing value" track "$clip" --format
expect_usage_error "unknown option" track --frobnicate "$clip"
expect_usage_error "empty --output" track --output= "$clip"
expect_usage_error "csv of two inputs to stdout" track --format csv "$clip" "$clip"
expect_usage_error "--hwaccel x" track --hwaccel x "$clip"
grep -qF -- "--hwaccel must be auto, cuda or none, got 'x'" "$tmp/err" || fail "--hwaccel message"
expect_usage_error "--hwaccel empty" track --hwaccel= "$clip"
expect_usage_error "--hwaccel CUDA" track --hwaccel CUDA "$clip"

# ---- Inputs that cannot be opened (exit 1, one line naming the input) --------------
: >"$tmp/empty.mp4"
echo "this is a text file, not a video" >"$tmp/text.mp4"
mkdir -p "$tmp/no_frames"
expect_error_naming "missing file" "$tmp/missing.mp4" track --no-progress "$tmp/missing.mp4"
expect_error_naming "0-byte .mp4" "$tmp/empty.mp4" track --no-progress "$tmp/empty.mp4"
expect_error_naming "text file named .mp4" "$tmp/text.mp4" track --no-progress "$tmp/text.mp4"
expect_error_naming "folder without frames" "$tmp/no_frames" track --no-progress "$tmp/no_frames"
expect_error_naming "unwritable --output" "/nonexistent-dir/out.jsonl" \
  track --no-progress --output /nonexistent-dir/out.jsonl "$clip"

# ---- A frame folder whose fourth frame is broken: three frames, then the error ------
mkdir -p "$tmp/frames"
for i in 0 1 2 3 4; do cp "$photo" "$tmp/frames/frame_$i.jpg"; done
chmod u+w "$tmp/frames"/*
head -c $(($(wc -c <"$photo") / 3)) "$photo" >"$tmp/frames/frame_3.jpg"
if expect_error_naming "frame folder with a truncated frame" "$tmp/frames/frame_3.jpg" \
    track --no-progress --output "$tmp/frames.jsonl" "$tmp/frames"; then
  [ "$(jsonl_frames "$tmp/frames.jsonl")" -eq 3 ] && pass "frame folder: the 3 frames before the broken one kept" ||
    fail "frame folder: expected the 3 frames before the broken one, got $(jsonl_frames "$tmp/frames.jsonl")"
fi

# ---- Truncated and corrupted MP4s ------------------------------------------------------
# All shared MP4s have their index (moov) first, so a cut or damaged tail leaves the
# frames before it readable.
size=$(wc -c <"$videos/$short.mp4")
head -c $((size / 2)) "$videos/$short.mp4" >"$tmp/truncated.mp4"
# corrupt_tail.mp4: the last two thirds of $long overwritten with pseudo-random bytes (the
# size kept): about 59 corrupt packets in a row, more than the reader's limit of 50.
# patched.mp4: $short with 4 KiB overwritten in the middle: a damaged packet or two, which
# the decoder conceals (as the ffmpeg tool does); the video must not lose frames silently.
cp "$videos/$long.mp4" "$tmp/corrupt_tail.mp4"
cp "$videos/$short.mp4" "$tmp/patched.mp4"
# short_tail.mp4: $short with its second half overwritten: fewer corrupt packets than the
# reader's limit, so only the end of the stream can tell that frames were lost.
cp "$videos/$short.mp4" "$tmp/short_tail.mp4"
chmod u+w "$tmp/corrupt_tail.mp4" "$tmp/patched.mp4" "$tmp/short_tail.mp4"
python3 - "$tmp/corrupt_tail.mp4" "$tmp/patched.mp4" "$tmp/short_tail.mp4" <<'PY'
import os, random, sys
noise = random.Random(1)  # deterministic: the same damage every run
def overwrite(path, start, count):
    with open(path, "r+b") as f:
        f.seek(start)
        f.write(bytes(noise.randrange(256) for _ in range(count)))
size = os.path.getsize(sys.argv[1])
overwrite(sys.argv[1], size // 3, size - size // 3)
overwrite(sys.argv[2], os.path.getsize(sys.argv[2]) // 2, 4096)
size = os.path.getsize(sys.argv[3])
overwrite(sys.argv[3], size // 2, size - size // 2)
PY

for format in jsonl golden csv; do
  out=$tmp/truncated.$format
  expect_error_naming "truncated MP4 ($format)" "$tmp/truncated.mp4" \
    track --no-progress --format $format --output "$out" "$tmp/truncated.mp4" || continue
  case $format in
    jsonl) n=$(jsonl_frames "$out") ;;
    golden) n=$(golden_frames "$out") ;;
    csv) n=$(($(wc -l <"$out") - 1)) ;;  # a row per hand (or per handless frame), after the header
  esac
  if [ "$n" -gt 0 ] && { [ $format = csv ] || [ "$n" -lt "$short_frames" ]; }; then
    pass "truncated MP4 ($format): $n $([ $format = csv ] && echo rows || echo frames) from before the cut kept, the output complete"
  else
    fail "truncated MP4 ($format): expected the frames before the cut in complete $format, got $n"
  fi
done

for format in jsonl golden; do
  out=$tmp/corrupt_tail.$format
  expect_error_naming "MP4 with a corrupt tail ($format)" "$tmp/corrupt_tail.mp4" \
    track --no-progress --format $format --output "$out" "$tmp/corrupt_tail.mp4" || continue
  if [ $format = jsonl ]; then n=$(jsonl_frames "$out"); else n=$(golden_frames "$out"); fi
  [ "$n" -gt 0 ] && pass "corrupt tail ($format): the $n frames before the damage kept, the output complete" ||
    fail "corrupt tail ($format): expected the frames before the damage in complete $format, got $n"
done

# Damage short of the reader's limit: either every frame comes out (concealed) and the
# exit status is 0, or the damage is reported as above; never fewer frames with success.
for damaged in patched short_tail; do
  run track --no-progress --output "$tmp/$damaged.jsonl" "$tmp/$damaged.mp4"
  n=$(jsonl_frames "$tmp/$damaged.jsonl")
  if [ "$rc" -eq 0 ] && [ "$n" -eq "$short_frames" ] && [ ! -s "$tmp/err" ]; then
    pass "$damaged MP4: all $n frames, the damage concealed"
  elif [ "$rc" -eq 1 ] && [ "$n" -gt 0 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -qF "$tmp/$damaged.mp4" "$tmp/err"; then
    pass "$damaged MP4: $n frames, then $(cat "$tmp/err")"
  else
    fail "$damaged MP4: exit $rc with $n of $short_frames frames; stderr: $(cat "$tmp/err")"
  fi
done

# The overlay of a video that fails half-way is still a finished, readable video holding
# the frames tracked before the failure.
run track --no-progress --overlay "$tmp/overlay.mp4" --output "$tmp/overlay_src.jsonl" "$tmp/truncated.mp4"
n=$(jsonl_frames "$tmp/overlay_src.jsonl")
run track --no-progress --output "$tmp/overlay.jsonl" "$tmp/overlay.mp4"
m=$(jsonl_frames "$tmp/overlay.jsonl")
[ "$rc" -eq 0 ] && [ "$n" -gt 0 ] && [ "$m" -eq "$n" ] && pass "overlay of the truncated MP4: $m frames, readable" ||
  fail "overlay of the truncated MP4: exit $rc reading it back, $m frames, expected $n; $(cat "$tmp/err")"

# ---- Hardware decoding (--hwaccel) -------------------------------------------------------
# Without NVIDIA's driver, auto decodes on the CPU and says why, cuda is a one-line error;
# with a GPU both may decode there. Either way the frames are those of --hwaccel none.
if python3 -c 'import ctypes; ctypes.CDLL("libcuda.so.1")' 2>/dev/null; then has_driver=1; else has_driver=0; fi
run track --no-progress --output "$tmp/hw_none.jsonl" --summary "$tmp/hw_none.json" "$clip"
[ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ] && pass "--hwaccel none (the default): nothing said on stderr" ||
  fail "--hwaccel none: exit $rc, stderr: $(cat "$tmp/err")"
run track --no-progress --hwaccel auto --output "$tmp/hw_auto.jsonl" --summary "$tmp/hw_auto.json" "$clip"
if [ "$rc" -ne 0 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
  fail "--hwaccel auto: exit $rc, expected 0 and one line saying the decoder; stderr: $(cat "$tmp/err")"
elif grep -qxF "handtrack: $clip: decoder h264 (cuda)" "$tmp/err" && [ $has_driver = 1 ]; then
  pass "--hwaccel auto -> $(cat "$tmp/err")"
elif grep -q "^handtrack: $clip: decoder h264 (cpu), not cuda: ." "$tmp/err"; then
  pass "--hwaccel auto -> $(cat "$tmp/err")"
else
  fail "--hwaccel auto: unexpected stderr: $(cat "$tmp/err")"
fi
cmp -s "$tmp/hw_none.jsonl" "$tmp/hw_auto.jsonl" && pass "--hwaccel auto: frames identical to --hwaccel none" ||
  fail "--hwaccel auto: frames differ from --hwaccel none"
python3 - "$tmp/hw_none.json" "$tmp/hw_auto.json" "$has_driver" <<'PY' && pass "--summary: the decoder, its time, the reason when auto fell back, the precision auto chose, and the run's timeline" || fail "--summary: decoder"
import json, sys
none, auto = (json.load(open(p)) for p in sys.argv[1:3])
# --precision auto (the default): fp32 on the CPU, fp16 where cuda runs the models.
assert none["precision"] in ("fp32", "fp16") and (sys.argv[3] == "1" or none["precision"] == "fp32"), none
assert none["decoder"] == "h264 (cpu)" and "hardware_fallback_reason" not in none, none
assert auto["decoder"] in ("h264 (cpu)", "h264 (cuda)"), auto
assert (auto["decoder"] == "h264 (cpu)") == bool(auto.get("hardware_fallback_reason")), auto
# The decoding thread's time: decoded and converted on the CPU, nothing downloaded.
times = none["decoder_seconds"]
assert times["decode"] > 0 and times["convert"] > 0 and times["download"] == 0, times
# Opening: the container read; on the CPU no first picture is decoded while opening.
opening = none["open_split_seconds"]
assert opening["container"] > 0 and opening["decoder"] >= 0 and opening["first_picture"] == 0, opening
assert sum(opening.values()) <= none["processing_split_seconds"]["open"] + 0.002, (opening, none)
# One line of time since the process started: the command, the engine, the video, the summary.
# The video opens while the engine starts and waits for it (engine_wait_seconds) before its
# tracking, which is its processing time.
run, video, wait = none["process_seconds"], none["timeline_seconds"], none["engine_wait_seconds"]
engine_steps = [run["track"], run["engine_start"], run["engine_ready"], run["jobs_done"], run["summary"]]
video_steps = [run["track"], video["began"], video["opened"], video["ended"], run["jobs_done"]]
assert 0 < run["track"] and engine_steps == sorted(engine_steps) and video_steps == sorted(video_steps), (run, video)
assert wait >= 0 and video["opened"] + wait >= run["engine_ready"] - 0.002, (run, video, wait)
assert abs(video["ended"] - video["began"] - wait - none["frames"] / none["processing_fps"]) < 0.05, (video, none)
PY
run track --no-progress --hwaccel cuda --output "$tmp/hw_cuda.jsonl" "$clip"
if [ "$rc" -eq 0 ] && [ $has_driver = 1 ]; then
  grep -qxF "handtrack: $clip: decoder h264 (cuda)" "$tmp/err" && pass "--hwaccel cuda: decoded on the GPU" ||
    fail "--hwaccel cuda: exit 0 but stderr: $(cat "$tmp/err")"
else
  expect_error_naming "--hwaccel cuda without a CUDA decoder" "failed to open $clip: no CUDA decoder: " \
    track --no-progress --hwaccel cuda --output "$tmp/hw_cuda.jsonl" "$clip"
fi
expect_error_naming "--hwaccel cuda on a frame folder" "failed to open $tmp/frames: no CUDA decoder: " \
  track --no-progress --hwaccel cuda --output "$tmp/hw_frames.jsonl" "$tmp/frames"

# ---- Bad inputs beside a good one: the good one is processed in full -----------------
run track --no-progress --format golden --output "$tmp/mixed" --summary "$tmp/summary.json" \
  "$tmp/truncated.mp4" "$clip" "$tmp/empty.mp4" "$tmp/missing.mp4"
[ "$rc" -eq 1 ] || fail "mixed inputs: exit $rc, expected 1"
[ "$(wc -l <"$tmp/err")" -eq 3 ] || fail "mixed inputs: expected 3 error lines, got: $(cat "$tmp/err")"
for bad in truncated.mp4 empty.mp4 missing.mp4; do
  [ "$(grep -c "^handtrack: .*$tmp/$bad" "$tmp/err")" -eq 1 ] || fail "mixed inputs: no one-line error naming $bad"
done
n=$(golden_frames "$tmp/mixed/$good.json")
[ "$n" -eq "$good_frames" ] && pass "mixed inputs: $good.json complete ($n frames) beside 3 bad inputs" ||
  fail "mixed inputs: $good.json has $n frames, expected $good_frames"
[ "$(golden_frames "$tmp/mixed/truncated.json")" -gt 0 ] || fail "mixed inputs: truncated.json not complete JSON"
python3 - "$tmp/summary.json" "$clip" "$good_frames" <<'PY' && pass "mixed inputs: the summary has each input's error or frames" || fail "mixed inputs: summary"
import json, sys
videos = {v["input"]: v for v in json.load(open(sys.argv[1]))["videos"]}
good = videos.pop(sys.argv[2])
assert "error" not in good and good["frames"] == int(sys.argv[3]), good
assert len(videos) == 3 and all(v.get("error") for v in videos.values()), videos
PY

# ---- --jobs 2: several inputs at once, results as with one job -----------------------
run track --no-progress --jobs 2 "$clip" "$tmp/truncated.mp4" "$tmp/frames" "$tmp/missing.mp4"
[ "$rc" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 3 ] ||
  fail "--jobs 2 to stdout: exit $rc (expected 1), stderr: $(cat "$tmp/err")"
cp "$tmp/out" "$tmp/jobs.jsonl"
n=$(jsonl_frames "$tmp/jobs.jsonl" "$good.mp4")
[ "$n" -eq "$good_frames" ] && [ "$(jsonl_frames "$tmp/jobs.jsonl")" -gt "$n" ] &&
  pass "--jobs 2 to stdout: whole lines, every video's frames in order, $n frames of $good" ||
  fail "--jobs 2 to stdout: $n frames of $good (expected $good_frames), lines $(jsonl_frames "$tmp/jobs.jsonl")"
run track --no-progress --jobs 2 --output "$tmp/jobs" "$clip" "$tmp/truncated.mp4" "$videos/$short.mp4"
[ "$rc" -eq 1 ] || fail "--jobs 2 to a folder: exit $rc, expected 1"
run track --no-progress --output "$tmp/one_job.jsonl" "$clip"
cmp -s "$tmp/one_job.jsonl" "$tmp/jobs/$good.jsonl" && [ "$(jsonl_frames "$tmp/jobs/$short.jsonl")" -eq "$short_frames" ] &&
  pass "--jobs 2 to a folder: $good.jsonl identical to a run alone, $short.jsonl complete" ||
  fail "--jobs 2 to a folder: results differ from a run alone, or incomplete"

finish_checks track_bad_input_test
