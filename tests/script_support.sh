# Shared by the script tests (tests/*_test.sh): where the fixtures are, how a
# test skips or fails, and its scratch folder. Source it after `set -uo pipefail`:
#
#   here=$(cd "$(dirname "$0")" && pwd)
#   source "$here/script_support.sh"
#
# Sets `shared` and `models` (overridable by HANDTRACK_SHARED / HANDTRACK_MODELS),
# `tmp` (removed on exit) and `failures`; checks call pass/fail and the script
# ends with finish_checks NAME.

shared=${HANDTRACK_SHARED:-$here/../../shared}
models=${HANDTRACK_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/handtrack/models}

# A missing fixture skips the test (ctest's SKIP_RETURN_CODE 77), except in CI, where
# every fixture is installed and a missing one is a failure.
skip() {
  if [ "${CI:-}" = true ]; then echo "FAIL: $1 (required in CI)"; exit 1; fi
  echo "SKIP: $1"; exit 77
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# finish_checks NAME: exit 1 when any check failed, else say all passed.
finish_checks() {
  if [ "$failures" -ne 0 ]; then
    echo "$1: $failures check(s) failed"
    exit 1
  fi
  echo "$1: all checks passed"
}
