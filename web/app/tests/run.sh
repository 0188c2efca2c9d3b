#!/usr/bin/env bash
# Runs the web app's end-to-end tests (docs/WEBAPP.md) in Debian's Chromium against a real
# `handtrack serve`, one file at a time: access and failures, the sessions and session pages,
# the live page on a fake camera. Writes the screenshots to docs/screenshots/ (or
# $HANDTRACK_SCREENSHOTS). Exits non-zero when a test fails.
#
#   web/app/tests/run.sh [TEST_FILE...]
#
# Needs the Release build's handtrack ($HANDTRACK_CLI, default build/bin/handtrack), the built
# app (scripts/build_web.sh: web/build/app) and ../shared (HANDTRACK_SHARED).
set -euo pipefail
web=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$web"

files=("$@")
[ ${#files[@]} -gt 0 ] || files=(app/tests/letters.test.mjs app/tests/access.test.mjs app/tests/sessions.test.mjs app/tests/live.test.mjs)

handtrack=${HANDTRACK_CLI:-$web/../build/bin/handtrack}
[ -x "$handtrack" ] || { echo "web/app/tests: $handtrack is missing: build it first (cmake --build build --target handtrack_cli)" >&2; exit 1; }
[ -f build/app/index.html ] || { echo "web/app/tests: web/build/app is missing: build it first (scripts/build_web.sh)" >&2; exit 1; }
for tool in ffmpeg /usr/bin/python3 "${HANDTRACK_CHROMIUM:-/usr/bin/chromium}"; do
  command -v "$tool" >/dev/null || { echo "web/app/tests: $tool is missing (scripts/build_web.sh installs it)" >&2; exit 1; }
done
export HANDTRACK_CLI=$handtrack
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
