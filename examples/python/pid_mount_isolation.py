#!/usr/bin/env python3
"""Lab: PID and mount isolation, as `unshare --pid --fork --mount-proc` gives.

Inside the container the shell is PID 1 and sees only its own processes,
and a tmpfs mounted for it never appears in the host's mount table.

Usage (as root): python3 pid_mount_isolation.py ROOTFS
where ROOTFS is a busybox root filesystem (scripts/make-test-rootfs).
"""

import sys

import pycontain

SCRIPT = """
echo "my pid: $$"
cd /proc && echo "pids:" [0-9]*
grep -c lab-tmpfs /proc/mounts
"""

# A tmpfs on /mnt, with a device name to look for in mount tables.
LAB_MOUNT = {"destination": "/mnt", "type": "tmpfs", "source": "lab-tmpfs"}


def main(rootfs):
    result = pycontain.run(["sh", "-c", SCRIPT], rootfs=rootfs, capture_output=True,
                           text=True, check=True, spec={"mounts": [LAB_MOUNT]})
    print(result.stdout, end="")
    lines = result.stdout.splitlines()

    with open("/proc/self/mounts") as mounts:
        on_host = "lab-tmpfs" in mounts.read()
    print(f"lab-tmpfs in the host's mount table: {on_host}")

    # The shell's own glob lists the processes it can see: only itself.
    isolated = (lines[0] == "my pid: 1" and lines[1] == "pids: 1"
                and lines[2] == "1" and not on_host)
    print("PID and mount isolation hold" if isolated else "ISOLATION BROKEN")
    return 0 if isolated else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
