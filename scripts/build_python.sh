#!/usr/bin/env bash
# Builds the Python module `handtrack` and installs it into a virtual environment, with
# Debian's own Python and packages (no PyPI):
#
#   scripts/build_python.sh [VENV]     VENV defaults to .venv
#
# 1. installs what is missing (scripts/setup.sh --deps-only: the engine's build dependencies,
#    pybind11, numpy, python3-build, pytest, FastAPI, uvicorn);
# 2. makes VENV with /usr/bin/python3 -m venv --system-site-packages (so Debian's numpy, pytest
#    and FastAPI are seen inside it) unless it exists;
# 3. builds the wheel: /usr/bin/python3 -m build --no-isolation --wheel bindings/python, which
#    compiles the module with the repository's CMake project (bindings/python/setup.py) in
#    HANDTRACK_CMAKE_BUILD_DIR (default build-python/; an existing build folder is reused);
# 4. installs the wheel into VENV (pip --no-index) and imports it there.
#
# Then: VENV/bin/python -c "import handtrack" (or `. VENV/bin/activate`). The wheel stays in
# HANDTRACK_CMAKE_BUILD_DIR/dist/. JOBS (default 2) sets the compile parallelism.
set -euo pipefail

cd "$(dirname "$0")/.."
readonly VENV=${1:-.venv}
readonly PYTHON=/usr/bin/python3  # a pyenv python3 earlier on PATH cannot see Debian's packages
export HANDTRACK_CMAKE_BUILD_DIR=${HANDTRACK_CMAKE_BUILD_DIR:-$PWD/build-python}
export JOBS=${JOBS:-2}

scripts/setup.sh --deps-only
if [ ! -x "$VENV/bin/python" ]; then
  echo "build_python: making the virtual environment $VENV (--system-site-packages)"
  "$PYTHON" -m venv --system-site-packages "$VENV"
fi
dist=$HANDTRACK_CMAKE_BUILD_DIR/dist
rm -rf "$dist"
echo "build_python: building the wheel into $dist"
# setuptools writes build/ and *.egg-info next to setup.py: keep them out of the source tree.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r bindings/python/. "$work/"
HANDTRACK_REPO=$PWD "$PYTHON" -m build --no-isolation --wheel --outdir "$dist" "$work"
wheel=$(ls "$dist"/handtrack-*.whl)
"$VENV/bin/python" -m pip install --quiet --no-index --no-deps --force-reinstall "$wheel"
"$VENV/bin/python" -c "import handtrack, sys; print('build_python: handtrack', handtrack.__version__, 'installed in', sys.prefix)"
