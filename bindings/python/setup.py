"""Builds handtrack._handtrack with the repository's CMake project (target handtrack_python)
and packs it with the pure-Python package.

Environment: HANDTRACK_CMAKE_BUILD_DIR, the CMake build folder to use (default
REPO/build-python; an existing configured build, e.g. scripts/test.sh's, is reused and only
the module is compiled); JOBS, parallel compile jobs (default 2)."""
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
# The repository: HANDTRACK_REPO (scripts/build_python.sh builds from a copy of this folder).
REPO = os.environ.get("HANDTRACK_REPO", os.path.dirname(os.path.dirname(HERE)))


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.path.abspath(os.environ.get("HANDTRACK_CMAKE_BUILD_DIR", os.path.join(REPO, "build-python")))
        configure = ["cmake", "-S", REPO, "-B", build_dir, "-DHANDTRACK_BUILD_PYTHON=ON",
                     f"-DPython3_EXECUTABLE={sys.executable}"]
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            configure += ["-DCMAKE_BUILD_TYPE=Release", "-DHANDTRACK_BUILD_TESTS=OFF", "-DHANDTRACK_BUILD_BENCH=OFF"]
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", build_dir, "-j", os.environ.get("JOBS", "2"), "--target", "handtrack_python"],
                       check=True)
        built = os.path.join(build_dir, "python", "handtrack")
        module = [f for f in os.listdir(built) if f.startswith("_handtrack.") and f.endswith(".so")]
        if len(module) != 1:
            raise RuntimeError(f"failed to find the built module in {built}: {module}")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(built, module[0]), target)


setup(ext_modules=[Extension("handtrack._handtrack", sources=[])], cmdclass={"build_ext": CMakeBuild})
