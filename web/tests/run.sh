#!/usr/bin/env bash
# Runs every browser test of the JavaScript package in Debian's Chromium, two
# files at a time (a page runs the single-threaded module: one file at a time left a
# core of a two-core machine mostly idle): the API and bad calls, the
# build and backend reports, the demo on a fake camera, the npm tarball, the
# wasm heap over VIDEO-mode frames, the webgpu backend on SwiftShader (its op and
# tensor tests, delegate "GPU", every fallback case, photos and a video against the
# goldens), and agreement with MediaPipe on the shared photos and videos. Exits
# non-zero when a test fails. HANDTRACK_WEBGPU_FULL=1: webgpu on every photo and frame.
#
#   web/tests/run.sh [--full] [TEST_FILE...]
#
# --full: the heap test runs 10 000 frames (default 300, or $HANDTRACK_HEAP_FRAMES), and the
# golden video test every frame of every video (HANDTRACK_WEB_VIDEO_FRAMES=N: the first N only;
# scripts/test.sh sets 64).
# HANDTRACK_WEB_TEST_CONCURRENCY: files at a time (default 2; 1 for a clean log order).
# Needs the built package (scripts/build_web.sh) and ../shared (HANDTRACK_SHARED).
set -euo pipefail
web=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$web"

files=()
for arg in "$@"; do
  case "$arg" in
    --full) export HANDTRACK_HEAP_FRAMES=10000 HANDTRACK_WEB_VIDEO_FRAMES= ;;
    -h|--help) sed -n '2,17p' "$web/tests/run.sh" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) files+=("$arg") ;;
  esac
done
if [ ${#files[@]} -eq 0 ]; then
  # Quick ones first, the long golden runs last.
  files=(tests/api.test.mjs tests/isolation.test.mjs tests/demo.test.mjs tests/package.test.mjs tests/heap.test.mjs tests/webgpu.test.mjs tests/golden.test.mjs)
fi

if [ ! -f node_modules/playwright-core/package.json ] || [ ! -f node_modules/esbuild/package.json ]; then
  echo "web/tests: installing the npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
if [ ! -f dist/handtrack.mjs ] || [ ! -f dist/handtrack_st.wasm ]; then
  echo "web/tests: web/dist is missing: build it first (scripts/build_web.sh, or npm run build in web/)" >&2
  exit 1
fi
for tool in ffmpeg ffprobe python3 "${HANDTRACK_CHROMIUM:-/usr/bin/chromium}"; do
  command -v "$tool" >/dev/null || { echo "web/tests: $tool is missing (scripts/build_web.sh installs it)" >&2; exit 1; }
done

exec node --test --test-concurrency="${HANDTRACK_WEB_TEST_CONCURRENCY:-2}" --test-reporter=spec "${files[@]}"
