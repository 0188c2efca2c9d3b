#!/usr/bin/env bash
# A tour of bad input through `handtrack`: broken images, bad option values, broken
# models. Every case must end in a clear one-line error naming the culprit, a non-zero
# exit status and no crash, while good photos given alongside still get their hands.
#
#   cli_bad_input_test.sh HANDTRACK_BINARY
#
# Needs ../shared (photos) and the models; skips (exit 77) without them, except in CI.
set -uo pipefail

bin=${1:?usage: cli_bad_input_test.sh HANDTRACK_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/script_support.sh"
photos=$shared/data/hands/images
good_one=count_five_open_hand_webcam_01.jpg   # one hand, per ../shared/golden
good_two=two_hands_heart_torso_01.jpg         # two hands

[ -f "$photos/$good_one" ] && [ -f "$photos/$good_two" ] || skip "no photos in $photos"
[ -f "$models/palm_detection_full.tflite" ] || skip "no models in $models (run scripts/fetch_models.sh)"

# Runs handtrack with the given arguments; leaves the status in $rc and stderr in $tmp/err.
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
  if [ "$rc" -ne 2 ]; then fail "$what: exit $rc, expected 2"; return; fi
  if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q '^handtrack: ' "$tmp/err"; then
    fail "$what: expected one 'handtrack: ...' line on stderr, got: $(cat "$tmp/err")"; return
  fi
  pass "$what -> $(cat "$tmp/err")"
}

# expect_error_naming "what" NEEDLE ARGS...: exit 1 and exactly one stderr line, naming NEEDLE.
expect_error_naming() {
  local what=$1 needle=$2; shift 2
  run "$@"
  if [ "$rc" -ne 1 ]; then fail "$what: exit $rc, expected 1; stderr: $(cat "$tmp/err")"; return; fi
  if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -qF -- "$needle" "$tmp/err"; then
    fail "$what: expected one line naming $needle, got: $(cat "$tmp/err")"; return
  fi
  pass "$what -> $(cat "$tmp/err")"
}

# ---- Help and bad option values ---------------------------------------------
run --help && [ "$rc" -eq 0 ] && grep -q 'usage: handtrack' "$tmp/out" || fail "handtrack --help"
run --version && [ "$rc" -eq 0 ] && grep -qE '^handtrack [0-9]' "$tmp/out" || fail "handtrack --version"
run detect --help && [ "$rc" -eq 0 ] && grep -q -- '--num-hands' "$tmp/out" || fail "handtrack detect --help"
run devices && [ "$rc" -eq 0 ] && grep -q '^reference' "$tmp/out" || fail "handtrack devices"
img=$photos/$good_one
run && [ "$rc" -eq 2 ] && grep -q '^usage: handtrack' "$tmp/err" || fail "no command: expected usage on stderr, exit 2"
expect_usage_error "unknown command" frobnicate
expect_usage_error "unknown option" detect --frobnicate "$img"
expect_usage_error "no images" detect
expect_usage_error "--num-hands x" detect --num-hands x "$img"
grep -qF -- "--num-hands must be an integer from 1 to 8, got 'x'" "$tmp/err" || fail "--num-hands message"
expect_usage_error "--num-hands 0" detect --num-hands 0 "$img"
expect_usage_error "--num-hands 9" detect --num-hands=9 "$img"
expect_usage_error "--num-hands missing value" detect --num-hands
expect_usage_error "--min-detection-confidence 1.5" detect --min-detection-confidence 1.5 "$img"
expect_usage_error "--min-presence-confidence nan" detect --min-presence-confidence nan "$img"
expect_usage_error "--delegate gpu" detect --delegate gpu "$img"
expect_usage_error "--threads 0" detect --threads 0 "$img"
expect_usage_error "--model medium" detect --model medium "$img"
expect_usage_error "--mirrored=yes" detect --mirrored=yes "$img"
expect_usage_error "bench --iters -3" bench --iters -3
expect_usage_error "devices extra" devices extra

# ---- GPUs (docs/CUDA.md "Several GPUs"): listed, or the reason there is none; bad indices --
run devices && [ "$rc" -eq 0 ] && grep -qE '^(gpu +backend|gpus: none \(.+\))' "$tmp/out" ||
  fail "handtrack devices: no GPU table and no reason for none: $(cat "$tmp/out")"
expect_usage_error "--device -1" detect --device -1 "$img"
grep -qF -- "--device must be an integer from 0 to 1023, got '-1'" "$tmp/err" || fail "--device -1 message"
expect_usage_error "--delegate cuda:abc" detect --delegate cuda:abc "$img"
grep -qF -- "--delegate cuda:abc: the GPU after ':' must be an integer" "$tmp/err" || fail "cuda:abc message"
expect_usage_error "--device 1 --delegate cuda:2" detect --device 1 --delegate cuda:2 "$img"
expect_usage_error "--gpus x" track --gpus x "$tmp/none.mp4"
grep -qF -- "--gpus must be all or a list of GPU indices" "$tmp/err" || fail "--gpus x message"
expect_usage_error "--gpus 0, (empty entry)" track --gpus 0, "$tmp/none.mp4"
expect_usage_error "--gpus with --delegate xnnpack" track --gpus 0 --delegate xnnpack "$tmp/none.mp4"
expect_usage_error "--gpus with --device" track --gpus 0 --device 0 "$tmp/none.mp4"
expect_usage_error "bench --device x" bench --device x
expect_usage_error "worker --gpus x" worker --db "$tmp/none.db" --gpus x
# A GPU that does not exist: one line naming it, exit 1, whatever the delegate.
expect_error_naming "--device 99" "failed to select device 99" detect --device 99 "$img"
expect_error_naming "--delegate cuda:99" "failed to select device 99" detect --delegate cuda:99 "$img"

# ---- A folder mixing good and bad images ------------------------------------
mixed=$tmp/mixed
mkdir -p "$mixed/folder.jpg"                                       # a directory named like an image: not listed
cp "$photos/$good_one" "$mixed/a_good.jpg"
cp "$photos/$good_two" "$mixed/b_good.jpg"
size=$(wc -c <"$photos/$good_one")
head -c $((size / 2)) "$photos/$good_one" >"$mixed/c_truncated.jpg"
: >"$mixed/d_empty.jpg"
echo "this is a text file, not a photo" >"$mixed/e_text.jpg"
# A valid 16x16 PNG, then the same with its IHDR claiming 640x480 (CRC fixed: only the size lies),
# and with it claiming 100000x100000 (must be refused before any pixel memory is taken).
python3 - "$mixed" <<'PY'
import struct, sys, zlib
out = sys.argv[1]
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
def png(width, height, rows=16):
    raw = b"".join(b"\0" + bytes([x * 16 % 256, 80, 160] * 16)[: 3 * 16] for x in range(rows))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open(f"{out}/f_lying_header.png", "wb").write(png(640, 480))
open(f"{out}/g_huge_header.png", "wb").write(png(100000, 100000))
PY
cp "$mixed/f_lying_header.png" "$tmp/lying.png"
bad_files=(c_truncated.jpg d_empty.jpg e_text.jpg f_lying_header.png g_huge_header.png)

start=$(date +%s)
run detect --output "$tmp/mixed.json" "$mixed"
elapsed=$(($(date +%s) - start))
[ "$rc" -eq 1 ] || fail "mixed folder: exit $rc, expected 1"
[ "$elapsed" -lt 60 ] || fail "mixed folder took ${elapsed}s (the huge header must be refused at once)"
[ "$(wc -l <"$tmp/err")" -eq "${#bad_files[@]}" ] ||
  fail "mixed folder: expected ${#bad_files[@]} error lines, got: $(cat "$tmp/err")"
for name in "${bad_files[@]}"; do
  if [ "$(grep -c "^handtrack: .*$mixed/$name" "$tmp/err")" -eq 1 ]; then
    pass "mixed folder: $(grep "$name" "$tmp/err")"
  else
    fail "mixed folder: no one-line error naming $name"
  fi
done
python3 - "$tmp/mixed.json" "$mixed" <<'PY' || fail "mixed folder: JSON check"
import json, sys
frames = json.load(open(sys.argv[1]))["frames"]
d = sys.argv[2]
by_name = {f["file"]: f for f in frames}
expected = ["a_good.jpg", "b_good.jpg", "c_truncated.jpg", "d_empty.jpg", "e_text.jpg",
            "f_lying_header.png", "g_huge_header.png"]
assert [f["file"] for f in frames] == [f"{d}/{n}" for n in expected], [f["file"] for f in frames]
assert [f["index"] for f in frames] == list(range(len(expected)))
for name, hands in (("a_good.jpg", 1), ("b_good.jpg", 2)):
    f = by_name[f"{d}/{name}"]
    assert "error" not in f, f
    assert f["num_hands"] == hands == len(f["hands"]), (name, f["num_hands"])
    for h in f["hands"]:
        assert len(h["landmarks"]) == 21 and len(h["world_landmarks"]) == 21
        assert h["handedness"]["label"] in ("Left", "Right")
for name in expected[2:]:
    f = by_name[f"{d}/{name}"]
    assert f["error"].startswith("failed to "), f
    assert "hands" not in f, f
print("ok: mixed folder: JSON has the good photos' hands and an error for each bad file")
PY

# Paths given one by one: a missing file and a folder without images, beside a good photo.
run detect --output "$tmp/explicit.json" "$tmp/missing.jpg" "$mixed/folder.jpg" "$img"
[ "$rc" -eq 1 ] || fail "explicit bad paths: exit $rc, expected 1"
[ "$(wc -l <"$tmp/err")" -eq 2 ] || fail "explicit bad paths: expected 2 error lines, got: $(cat "$tmp/err")"
grep -q "^handtrack: failed to read $tmp/missing.jpg: no such file" "$tmp/err" || fail "missing file message"
grep -q "^handtrack: failed to find images in $mixed/folder.jpg" "$tmp/err" || fail "image-less folder message"
python3 -c "
import json
f = json.load(open('$tmp/explicit.json'))['frames']
assert len(f) == 2 and 'error' in f[0] and f[1]['num_hands'] == 1, f
" && pass "missing file and image-less folder reported, the good photo still processed" || fail "explicit JSON"

mkdir -p "$tmp/empty_dir"
expect_error_naming "a folder with no images" "$tmp/empty_dir" detect "$tmp/empty_dir"
expect_error_naming "lying PNG given alone" "$tmp/lying.png" detect "$tmp/lying.png"
expect_error_naming "unwritable --output" "/nonexistent-dir/out.json" detect --output /nonexistent-dir/out.json "$img"

# ---- Broken models ----------------------------------------------------------
# A copy of the model folder with one file broken at a time, given with --models.
break_model() {  # break_model NAME HOW: leaves the broken copy in $tmp/models-HOW
  local dir=$tmp/models-$2
  rm -rf "$dir"; cp -r "$models" "$dir"; chmod -R u+w "$dir"
  case $2 in
    truncated) head -c 100000 "$models/$1" >"$dir/$1" ;;
    empty) : >"$dir/$1" ;;
    # The flatbuffer root offset (first 4 bytes) pointing far past the end of the file.
    root-offset) printf '\xf0\xff\xff\x7f' | dd of="$dir/$1" bs=1 seek=0 conv=notrunc status=none ;;
    # The root table's vtable offset (the 4 bytes the root offset points at) made absurd.
    vtable-offset)
      local root
      root=$(od -An -tu4 -N4 "$models/$1" | tr -d ' ')
      printf '\x00\x00\x00\x80' | dd of="$dir/$1" bs=1 seek="$root" conv=notrunc status=none ;;
  esac
  echo "$dir"
}
expect_error_naming "truncated landmark model" hand_landmark_full.tflite \
  detect --models "$(break_model hand_landmark_full.tflite truncated)" "$img"
expect_error_naming "empty palm model" palm_detection_full.tflite \
  detect --models "$(break_model palm_detection_full.tflite empty)" "$img"
expect_error_naming "palm model with a corrupted root offset" palm_detection_full.tflite \
  detect --models "$(break_model palm_detection_full.tflite root-offset)" "$img"
expect_error_naming "landmark model with a corrupted vtable offset" hand_landmark_full.tflite \
  detect --models "$(break_model hand_landmark_full.tflite vtable-offset)" "$img"
expect_error_naming "missing model folder" "$tmp/no-models" detect --models "$tmp/no-models" "$img"
grep -q "fetch_models.sh" "$tmp/err" || fail "missing models: the message should say how to get them"

finish_checks cli_bad_input_test
