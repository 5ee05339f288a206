"""pip install of the bindings, offline, with Debian's build packages."""

import os
import shutil
import subprocess
import sys

import pytest

import pycontain

BINDINGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def test_pip_install_offline(tmp_path):
    extension = os.environ.get("PYCONTAIN_EXTENSION")
    if not extension:
        pytest.fail("PYCONTAIN_EXTENSION is not set (run_pytest.sh sets it)")
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(os.path.join(BINDINGS, "setup.py"), source)
    shutil.copytree(os.path.join(BINDINGS, "pycontain"), source / "pycontain",
                    ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    target = tmp_path / "site"

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation",
         "--no-index", "--no-deps", "--target", str(target), str(source)],
        check=True, env={**os.environ, "PYCONTAIN_EXTENSION": extension})

    assert (target / "pycontain" / "_pycontain.so").exists()
    assert (target / "pycontain" / "py.typed").exists()
    assert (target / "pycontain" / "__init__.pyi").exists()
    output = subprocess.run(
        [sys.executable, "-c", "import pycontain; print(pycontain.__file__, pycontain.__version__)"],
        check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(target)}).stdout
    assert output.startswith(str(target))
    assert output.split()[1] == pycontain.__version__
