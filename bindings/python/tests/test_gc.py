"""pycontain.gc() on a container whose owning process died."""

import os
import subprocess
import sys

import pycontain

ABANDON = """
import os, sys
import pycontain
container = pycontain.Container(["sleep", "30"], rootfs=sys.argv[1], spec={"id": sys.argv[2]})
container.start()
os._exit(0)  # as a crash would: no cleanup
"""


def test_gc_removes_abandoned_container(busybox):
    container_id = f"py-gc-{os.getpid()}"
    subprocess.run([sys.executable, "-c", ABANDON, busybox, container_id], check=True)
    state = os.path.join(os.environ["PYCONTAIN_STATE_DIR"], container_id)
    assert os.path.isdir(state)

    with pycontain.Container(["sleep", "30"], rootfs=busybox) as live:
        # Orphan cgroups are kept: they may belong to other state roots.
        report = pycontain.gc(orphan_min_age=-1)
        assert [entry.split()[0] for entry in report.containers] == [container_id]
        assert live.id in report.kept
        assert report.errors == ()
        assert report.exited == ()
        assert not os.path.exists(state)

        again = pycontain.gc(orphan_min_age=-1)
        assert again.containers == ()
