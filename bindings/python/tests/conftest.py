"""Fixtures of pycontain's Python tests. They run containers for real, as
root, in the busybox root filesystem that scripts/make-test-rootfs builds
(PYCONTAIN_TEST_BUSYBOX_ROOTFS)."""

import os
import subprocess

import pytest


@pytest.fixture(scope="session")
def busybox():
    """The busybox root filesystem's path."""
    root = os.environ.get("PYCONTAIN_TEST_BUSYBOX_ROOTFS")
    if not root:
        pytest.fail("PYCONTAIN_TEST_BUSYBOX_ROOTFS is not set (scripts/make-test-rootfs prints it)")
    if os.geteuid() != 0:
        pytest.fail("these tests start containers and must run as root")
    return root


@pytest.fixture(scope="session")
def tarball(busybox, tmp_path_factory):
    """A tar file of the busybox root filesystem, to import as an image."""
    path = tmp_path_factory.mktemp("rootfs") / "busybox.tar"
    subprocess.run(["tar", "-cf", str(path), "-C", busybox, "."], check=True)
    return path


@pytest.fixture(scope="session")
def debian():
    """The Debian root filesystem's path (it has python3)."""
    root = os.environ.get("PYCONTAIN_TEST_DEBIAN_ROOTFS")
    if not root:
        pytest.fail("PYCONTAIN_TEST_DEBIAN_ROOTFS is not set (scripts/make-test-rootfs prints it)")
    return root


def children():
    """Pids of this process's unreaped children."""
    pids = []
    for task in os.listdir("/proc/self/task"):
        # A short-lived thread, such as the network namespace pool's, may
        # end between the listing and the open.
        try:
            with open(f"/proc/self/task/{task}/children") as file:
                pids.extend(int(pid) for pid in file.read().split())
        except FileNotFoundError:
            continue
    return pids


def state_entries():
    # Root's default state root is one of two places, depending on whether
    # /run is a tmpfs: both are looked at.
    configured = os.environ.get("PYCONTAIN_STATE_DIR")
    roots = [configured] if configured else ["/run/pycontain", "/dev/shm/pycontain"]
    # Names that are no container id ("_seccomp", "_networks") are shared
    # by all containers.
    return {
        os.path.join(root, name)
        for root in roots
        if os.path.isdir(root)
        for name in os.listdir(root)
        if not name.startswith("_")
    }


@pytest.fixture(autouse=True)
def nothing_leaked():
    """Fail a test that leaves a container process or state directory."""
    before = state_entries()
    yield
    assert children() == []
    assert state_entries() - before == set()
