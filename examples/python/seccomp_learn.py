#!/usr/bin/env python3
"""Lab: the minimal seccomp profile for python3.

A first run records every system call that a small python3 program makes
(seccomp learning mode) and writes them as an allow-list profile. The same
program then runs under that profile, and a variant that also opens a
socket is stopped at socket(2) with EPERM, because the profile does not
allow it.

Usage (as root): python3 seccomp_learn.py ROOTFS, where ROOTFS has python3
(such as the Debian root filesystem of scripts/make-test-rootfs).
"""

import json
import os
import sys
import tempfile

import pycontain

PROGRAM = "import socket; print(sum(range(10)))"
WITH_SOCKET = """
import socket
try:
    socket.socket()
    print("socket allowed")
except OSError as error:
    print("socket blocked:", error.strerror)
"""


def main(rootfs):
    with tempfile.TemporaryDirectory() as directory:
        profile = os.path.join(directory, "python3.json")
        learn = {"security": {"seccomp": {"mode": "LEARN", "learnOutputPath": profile}}}
        learned = pycontain.run(["python3", "-c", PROGRAM], rootfs=rootfs, spec=learn,
                                capture_output=True, text=True)
        with open(profile) as file:
            names = sorted(name for rule in json.load(file)["syscalls"] for name in rule["names"])
        print(f"learning run: exit {learned.returncode}, {len(names)} system calls: "
              + " ".join(names))

        same = pycontain.run(["python3", "-c", PROGRAM], rootfs=rootfs, seccomp=profile,
                             capture_output=True, text=True)
        print(f"under the profile: exit {same.returncode}, printed {same.stdout.strip()}")
        other = pycontain.run(["python3", "-c", WITH_SOCKET], rootfs=rootfs, seccomp=profile,
                              capture_output=True, text=True)
        print(f"with a socket: {other.stdout.strip()}")

    held = (learned.returncode == 0 and same.stdout == "45\n" and
            other.stdout.startswith("socket blocked"))
    print("the profile held" if held else "THE PROFILE DID NOT HOLD")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
