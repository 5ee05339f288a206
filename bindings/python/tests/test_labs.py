"""The course labs in examples/python, each run as its own program."""

import os
import subprocess
import sys

import pytest

LABS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                    "examples", "python")


def run_lab(name, busybox):
    return subprocess.run([sys.executable, os.path.join(LABS, name), busybox],
                          capture_output=True, text=True, timeout=120)


def test_pid_mount_isolation_lab(busybox):
    lab = run_lab("pid_mount_isolation.py", busybox)
    assert lab.returncode == 0, lab.stdout + lab.stderr
    assert "my pid: 1" in lab.stdout


def test_fake_root_lab(busybox):
    lab = run_lab("fake_root.py", busybox)
    assert lab.returncode == 0, lab.stdout + lab.stderr
    assert "owner on the host of a file made inside: 100000" in lab.stdout


def test_memory_limit_lab(busybox):
    lab = run_lab("memory_limit.py", busybox)
    if "UnsupportedError" in lab.stderr:
        pytest.skip("this build has no cgroup layer to apply memory limits")
    assert lab.returncode == 0, lab.stdout + lab.stderr
    assert "limit in force 16777216" in lab.stdout


def test_overlay_root_lab(busybox):
    lab = run_lab("overlay_root.py", busybox)
    assert lab.returncode == 0, lab.stdout + lab.stderr
    assert "root on overlay" in lab.stdout
    assert "second container: from the image | message | removed" in lab.stdout


def test_seccomp_learn_lab(debian):
    lab = run_lab("seccomp_learn.py", debian)
    assert lab.returncode == 0, lab.stdout + lab.stderr
    assert "under the profile: exit 0, printed 45" in lab.stdout
    assert "with a socket: socket blocked: Operation not permitted" in lab.stdout
