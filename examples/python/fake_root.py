#!/usr/bin/env python3
"""Lab: a fake root user in a user namespace.

The container's uid 0 is host uid 100000: the command believes it is root,
but a file it creates in a bind-mounted host directory belongs to 100000 on
the host, and it cannot change what host root owns.

Usage (as root): python3 fake_root.py ROOTFS
"""

import os
import sys
import tempfile

import pycontain

HOST_ID = 100000
ID_MAP = [{"containerId": 0, "hostId": HOST_ID, "size": 65536}]


def main(rootfs):
    with tempfile.TemporaryDirectory() as shared:
        os.chmod(shared, 0o777)
        with open(os.path.join(shared, "owned-by-host-root"), "w") as file:
            file.write("host\n")
        os.chmod(os.path.join(shared, "owned-by-host-root"), 0o644)

        spec = {"namespaces": {"user": True, "uidMappings": ID_MAP, "gidMappings": ID_MAP}}
        result = pycontain.run(
            ["sh", "-c", "id -u; touch /mnt/made-inside; "
             "echo x >> /mnt/owned-by-host-root && echo wrote || echo denied"],
            rootfs=rootfs, volumes=[f"{shared}:/mnt"], spec=spec,
            capture_output=True, text=True)
        print(result.stdout, end="")
        inside_uid, verdict = result.stdout.split()
        host_uid = os.stat(os.path.join(shared, "made-inside")).st_uid

    print(f"uid inside: {inside_uid}; owner on the host of a file made inside: {host_uid}")
    fake = inside_uid == "0" and host_uid == HOST_ID and verdict == "denied"
    print("root inside is an unprivileged user outside" if fake else "NOT A FAKE ROOT")
    return 0 if fake else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
