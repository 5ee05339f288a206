#!/usr/bin/env python3
"""Lab: an overlay root filesystem.

The root filesystem is imported as an image. A container started from it
sees the image's files through overlayfs: it changes one, deletes another
and adds a third, and those writes land in its own writable layer. A second
container from the same image sees the image unchanged.

Usage (as root): python3 overlay_root.py ROOTFS. The image goes to the
default store ($PYCONTAIN_ROOT, else /var/lib/pycontain) and is removed at
the end.
"""

import io
import os
import sys
import tarfile
import tempfile

import pycontain

WRITER = ("grep ' / / ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1; "
          "cat /lab/message; echo changed > /lab/message; rm /lab/removed; "
          "echo new > /lab/added; cat /lab/message")
READER = "cat /lab/message; ls /lab"


def image_tarball(rootfs, path):
    """Write a tar file of `rootfs` plus /lab/message and /lab/removed."""
    with tarfile.open(path, "w") as tar:
        tar.add(rootfs, arcname=".")
        for name, text in [("lab/message", b"from the image\n"), ("lab/removed", b"x\n")]:
            info = tarfile.TarInfo(name)
            info.size = len(text)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(text))


def main(rootfs):
    with tempfile.TemporaryDirectory() as directory:
        tarball = os.path.join(directory, "root.tar")
        image_tarball(rootfs, tarball)
        image = pycontain.images.import_(tarball, "overlay-lab:1")
    try:
        first = pycontain.run(["sh", "-c", WRITER], image=image.id, capture_output=True,
                              text=True)
        second = pycontain.run(["sh", "-c", READER], image=image.id, capture_output=True,
                               text=True)
    finally:
        pycontain.images.remove(image.id)
    print(f"first container (root on {first.stdout.splitlines()[0] if first.stdout else '?'}):")
    print("  " + " | ".join(first.stdout.splitlines()[1:]))
    print("second container: " + " | ".join(second.stdout.splitlines()))

    held = (first.stdout == "overlay\nfrom the image\nchanged\n" and
            second.stdout == "from the image\nmessage\nremoved\n")
    print("the image stayed unchanged" if held else "THE IMAGE CHANGED")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
