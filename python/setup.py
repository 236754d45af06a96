"""pip install ./python (in a venv: add --no-build-isolation to use Debian's
setuptools, as there is no PyPI here).

The extension is built by the project's CMake (the same build as
`./run.sh build`, Release, without tests) from the repository around this
folder, and the package gets the daemons a LocalCluster starts in its bin/
folder, so the installed package needs nothing else from the repository."""
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def version():
    parts = {}
    with open(os.path.join(ROOT, "client", "dusk.h")) as f:
        for line in f:
            for p in ("MAJOR", "MINOR", "PATCH"):
                tag = f"#define DUSK_VERSION_{p} "
                if line.startswith(tag):
                    parts[p] = line[len(tag):].strip()
    return "{MAJOR}.{MINOR}.{PATCH}".format(**parts)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        subprocess.check_call([
            "cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
            "-DDUSK_TESTS=OFF", f"-DPython3_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build, "--target",
                               "dusk_python", "-j", str(os.cpu_count() or 1)])
        built = os.path.join(build, "python", "dusk")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        name = os.path.basename(target)
        shutil.copy2(os.path.join(built, name), target)
        bin_dir = os.path.join(os.path.dirname(target), "bin")
        os.makedirs(bin_dir, exist_ok=True)
        for daemon in ("dusk-scheduler", "dusk-worker"):
            shutil.copy2(os.path.join(built, "bin", daemon), bin_dir)


setup(
    name="dusk",
    version=version(),
    description="Out-of-core CSV analytics on a small cluster, with Dask's API",
    packages=["dusk"],
    ext_modules=[Extension("dusk._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    zip_safe=False,
)
