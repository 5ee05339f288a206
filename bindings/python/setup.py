"""Packaging of the pycontain Python bindings.

    pip install --no-build-isolation .

works offline on Debian with python3-setuptools, python3-pip and
python3-wheel. The extension module is not compiled here: it is built by
Bazel (`bazel build //bindings/python:pycontain/_pycontain.so`, which this
script runs from the repository root) and copied into the package, so pip
and the tests use the very same binary. Set PYCONTAIN_EXTENSION to the path
of an already built _pycontain.so to skip Bazel.

The package therefore builds only inside a pycontain checkout (no sdist),
and the installed extension links Debian's shared Abseil and protobuf
libraries.
"""

import os
import shutil
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
WORKSPACE = os.path.dirname(os.path.dirname(HERE))
TARGET = "//bindings/python:pycontain/_pycontain.so"


def built_extension():
    """Return the path of _pycontain.so, building it with Bazel if needed."""
    given = os.environ.get("PYCONTAIN_EXTENSION")
    if given:
        return given
    subprocess.run(["bazel", "build", TARGET], cwd=WORKSPACE, check=True)
    bazel_bin = subprocess.run(["bazel", "info", "bazel-bin"], cwd=WORKSPACE, check=True,
                               capture_output=True, text=True).stdout.strip()
    return os.path.join(bazel_bin, "bindings", "python", "pycontain", "_pycontain.so")


class BuildWithExtension(build_py):
    """build_py that also copies the Bazel-built extension into the package."""

    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "pycontain", "_pycontain.so")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built_extension(), target)
        os.chmod(target, 0o755)


class BinaryDistribution(Distribution):
    """Marks wheels as platform-specific, since they contain an extension."""

    def has_ext_modules(self):
        return True


setup(
    name="pycontain",
    version="0.1.0",
    description="Linux containers in-process: namespaces, cgroups, seccomp",
    packages=["pycontain"],
    package_data={"pycontain": ["py.typed", "*.pyi"]},
    python_requires=">=3.9",
    cmdclass={"build_py": BuildWithExtension},
    distclass=BinaryDistribution,
    entry_points={"pytest11": ["pycontain = pycontain.pytest_plugin"]},
)
