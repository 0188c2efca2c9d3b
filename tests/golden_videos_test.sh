#!/usr/bin/env bash
# VIDEO-mode agreement with MediaPipe on every shared video: handtrack track
# --format golden, then ../shared/tools/compare.py --by-index on all videos
# together (count_agreement, ne_median, ne_p90, handedness) and on each one
# (ne_median).   golden_videos_test.sh HANDTRACK_BINARY
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
shared=${HANDTRACK_SHARED:-$here/../../shared}
if [ ! -d "$shared/data/hands/videos" ]; then
  if [ "${CI:-}" = true ]; then echo "FAIL: $shared is missing in CI"; exit 1; fi
  echo "SKIP: no $shared/data/hands/videos"; exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
compare=$shared/tools/compare.py
status=0
for video in "$shared"/data/hands/videos/*.mp4; do
  name=$(basename "$video" .mp4)
  "$bin" track --format golden --num-hands 2 --no-progress --output "$out/$name.json" "$video"
  echo "== $name"
  python3 "$compare" --by-index "$shared/golden/videos/$name.tasks_full.json" "$out/$name.json" \
    --require 'ne_median<=0.02' | grep -E '^(count_agreement|ne_median|ne_p90|FAILS)' || status=1
done
# All videos together: concatenate the frames of every reference and every result in one order.
python3 - "$shared/golden/videos" "$out" <<'PY'
import json, os, sys
ref_dir, out_dir = sys.argv[1], sys.argv[2]
ref, cand = [], []
for name in sorted(f[:-len('.json')] for f in os.listdir(out_dir) if f.endswith('.json')):
    r = json.load(open(os.path.join(ref_dir, name + '.tasks_full.json')))['frames']
    c = json.load(open(os.path.join(out_dir, name + '.json')))['frames']
    c += [{'index': len(c) + k, 'width': f['width'], 'height': f['height'], 'hands': []} for k, f in enumerate(r[len(c):])]
    ref += r; cand += c[:len(r)]
json.dump({'frames': ref}, open(os.path.join(out_dir, 'all_ref.json'), 'w'))
json.dump({'frames': cand}, open(os.path.join(out_dir, 'all_cand.json'), 'w'))
PY
echo "== all videos"
python3 "$compare" --by-index "$out/all_ref.json" "$out/all_cand.json" \
  --require 'count_agreement>=0.95' --require 'ne_median<=0.01' --require 'ne_p90<=0.04' \
  --require 'handedness_agreement>=0.97' || status=1
exit $status
