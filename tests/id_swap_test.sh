#!/usr/bin/env bash
# Hand ids stay with their hands: on every shared video where MediaPipe sees two hands
# at once (its golden JSON has frames with 2 hands), `handtrack track` must never swap
# the ids of two hands tracked in consecutive frames, nor move an id by more than a hand
# size from one frame to the next (tools/id_swap_check.py says how both are decided).
#
#   id_swap_test.sh HANDTRACK_BINARY
#
# Needs ../shared (videos and golden JSON) and the models; skips (exit 77) without them,
# except in CI.
set -uo pipefail

bin=${1:?usage: id_swap_test.sh HANDTRACK_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/script_support.sh"
check=$here/../tools/id_swap_check.py

[ -d "$shared/data/hands/videos" ] && [ -d "$shared/golden/videos" ] || skip "no videos or golden JSON in $shared"
[ -f "$models/palm_detection_full.tflite" ] || skip "no models in $models (run scripts/fetch_models.sh)"

# The two-hand videos, each with the number of consecutive frame pairs in which MediaPipe
# has two hands: we must check at least half as many, or the tracker loses one of the hands
# so often that "no swaps" says little.
python3 - "$shared" >"$tmp/two_hand_videos" <<'PY'
import glob, json, os, sys
shared = sys.argv[1]
for video in sorted(glob.glob(f"{shared}/data/hands/videos/*.mp4")):
    name = os.path.basename(video)[:-len(".mp4")]
    frames = json.load(open(f"{shared}/golden/videos/{name}.tasks_full.json"))["frames"]
    two = [len(f["hands"]) >= 2 for f in frames]
    if any(two):
        print(video, sum(a and b for a, b in zip(two, two[1:])))
PY
[ -s "$tmp/two_hand_videos" ] || fail "no two-hand videos found in $shared/golden/videos"
videos=() min_pairs=()
while read -r video pairs; do
  videos+=("$video")
  min_pairs+=($((pairs / 2)))
done <"$tmp/two_hand_videos"
echo "two-hand videos: ${#videos[@]}"

"$bin" track --no-progress --jobs 2 --output "$tmp/out" "${videos[@]}" || fail "handtrack track exited $?"
for i in "${!videos[@]}"; do
  out=$tmp/out/$(basename "${videos[i]}" .mp4).jsonl
  python3 "$check" --min-pairs "${min_pairs[i]}" "$out" || fail "$(basename "$out"): ids swapped or jumped"
done

# The checker must be able to fail: the first video with two hands tracked together, their
# ids exchanged from the middle of the frames where both are tracked on.
python3 - "$tmp/out" "$tmp/swapped.jsonl" <<'PY'
import glob, json, sys
ids = lambda frame: sorted(h["id"] for h in frame["hands"])
for path in sorted(glob.glob(f"{sys.argv[1]}/*.jsonl")):
    frames = [json.loads(line) for line in open(path)]
    both = [k for k in range(1, len(frames)) if len(frames[k]["hands"]) == 2 and ids(frames[k]) == ids(frames[k - 1])]
    if both:
        k = both[len(both) // 2]
        a, b = ids(frames[k])
        for f in frames[k:]:
            for h in f["hands"]:
                h["id"] = {a: b, b: a}.get(h["id"], h["id"])
        with open(sys.argv[2], "w") as out:
            out.writelines(json.dumps(f) + "\n" for f in frames)
        break
PY
python3 "$check" "$tmp/swapped.jsonl" >"$tmp/log" 2>&1
if [ $? -eq 1 ] && grep -q 'swapped' "$tmp/log"; then
  echo "ok: id_swap_check.py finds ids exchanged on purpose"
else
  fail "id_swap_check.py missed ids exchanged on purpose: $(cat "$tmp/log")"
fi

finish_checks id_swap_test
