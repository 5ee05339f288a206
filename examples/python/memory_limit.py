#!/usr/bin/env python3
"""Lab: a 16 MiB memory limit.

A shell that tries to hold 64 MiB in memory is killed by the OOM killer
inside a container limited to 16 MiB, while the same command without the
limit completes.

Usage (as root): python3 memory_limit.py ROOTFS
"""

import sys

import pycontain

# Holds 64 MiB in a shell variable, which busybox sh keeps in memory.
HOG = 'x=$(head -c 67108864 /dev/zero | tr "\\\\0" a); echo ${#x}'


def main(rootfs):
    free = pycontain.run(["sh", "-c", HOG], rootfs=rootfs, capture_output=True, text=True)
    print(f"without a limit: exit {free.returncode}, printed {free.stdout.strip()}")

    limited = pycontain.run(["sh", "-c", HOG], rootfs=rootfs, memory="16m",
                            memory_swap="16m", capture_output=True, text=True)
    print(f"with 16 MiB: exit {limited.returncode}, oom_killed={limited.oom_killed}, "
          f"limit in force {limited.receipt.get('memoryLimitBytes')}")

    held = free.returncode == 0 and limited.returncode != 0 and limited.oom_killed
    print("the limit held" if held else "THE LIMIT DID NOT HOLD")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
