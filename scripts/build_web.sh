#!/usr/bin/env bash
# Builds handtrack for the browser: installs what is missing (Debian's emscripten,
# chromium and ffmpeg; the npm packages of web/), fetches the models, builds the
# WebAssembly module three ways (single-threaded, with threads, and with the
# webgpu backend) in two CMake folders, and the JavaScript package (web/dist/), then the web app that
# `handtrack serve` serves at / (web/build/app/, docs/WEBAPP.md). Idempotent: a second
# run rebuilds only what changed.
#
#   scripts/build_web.sh
#
# JOBS (default 2) sets the build parallelism, WEB_BUILD (default build-wasm) the prefix of
# the CMake folders. Outputs: web/build/wasm/handtrack_{st,mt,gpu}.* (the modules),
# $WEB_BUILD-mt/ and $WEB_BUILD-gpu/ (CMake folders: the gpu folder links both handtrack_st and
# handtrack_gpu from one set of objects; both hold the wasm tests run under node: ctest
# --test-dir $WEB_BUILD-mt; the gpu folder's tests also run in Chromium,
# web/tests/webgpu.test.mjs), web/dist/ (the package; `cd web && npm pack` makes its
# tarball), web/build/app/ (the web app).
set -euo pipefail

cd "$(dirname "$0")/.."
readonly JOBS=${JOBS:-2}
readonly WEB_BUILD=${WEB_BUILD:-build-wasm}
readonly DEBIAN_PACKAGES=(emscripten chromium fonts-dejavu-core ffmpeg nodejs googletest)

install_dependencies() {
  local missing=() package
  for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  command -v npm >/dev/null || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "build_web: installing ${missing[*]} (apt)"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Debian's emscripten finds its acorn there; a NodeSource node does not look there.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}

build_module() {  # build_module DIR THREADS(ON|OFF) WEBGPU(ON|OFF) TESTS(ON|OFF)
  local dir=$1 threads=$2 webgpu=$3 tests=$4
  # Configured every time (quick when nothing changed), so that a folder configured by
  # hand with other options gets these back.
  emcmake cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DHANDTRACK_WASM_THREADS="$threads" -DHANDTRACK_WASM_WEBGPU="$webgpu" \
    -DHANDTRACK_BUILD_IO=OFF -DHANDTRACK_BUILD_CLI=OFF -DHANDTRACK_WITH_XNNPACK=OFF -DHANDTRACK_WITH_CUDA=OFF \
    -DHANDTRACK_BUILD_BENCH=OFF -DHANDTRACK_BUILD_TESTS="$tests" -DHANDTRACK_WERROR=ON >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

install_dependencies
scripts/fetch_models.sh
# handtrack_st and handtrack_gpu compile the same sources with the same flags: the gpu folder
# links both (handtrack_gpu adds the webgpu backend and ASYNCIFY at link time), which saves a
# third compile of the library. Its node tests run the op and golden tensor tests on the CPU
# backends as handtrack_st has them (webgpu is skipped under node); handtrack_st itself runs
# every browser test of the package (web/tests).
build_module "$WEB_BUILD-mt" ON OFF ON
build_module "$WEB_BUILD-gpu" OFF ON ON
if [ -f web/package.json ]; then
  (cd web && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } &&
    npm run build && npm run build:app)
fi
echo "build_web: modules in web/build/wasm, package in web/dist, web app (handtrack serve's /) in web/build/app"
