#!/usr/bin/env bash
# Agreement with MediaPipe on the shared photos: handtrack detect on every
# photo, then ../shared/tools/compare.py with the core issue's bounds.
#   golden_images_test.sh HANDTRACK_BINARY full|lite DELEGATE
set -euo pipefail
bin=$1 model=$2 delegate=$3
here=$(cd "$(dirname "$0")" && pwd)
shared=${HANDTRACK_SHARED:-$here/../../shared}
if [ ! -d "$shared/data/hands/images" ]; then
  if [ "${CI:-}" = true ]; then echo "FAIL: $shared is missing in CI"; exit 1; fi
  echo "SKIP: no $shared/data/hands/images"; exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Exit 1 only says that some input failed; the comparison below decides.
"$bin" detect --model "$model" --delegate "$delegate" --num-hands 2 --output "$out/result.json" \
  "$shared/data/hands/images" || [ $? -eq 1 ]
python3 "$shared/tools/compare.py" "$shared/golden/images/tasks_$model.json" "$out/result.json" \
  --require 'count_agreement>=0.95' --require 'recall>=0.97' --require 'precision>=0.97' \
  --require 'ne_median<=0.01' --require 'ne_p90<=0.03' --require 'handedness_agreement>=0.97' \
  --require 'world_err_median_mm<=3'
