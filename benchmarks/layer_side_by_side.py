#!/usr/bin/python3
"""Time a Debian layer becoming ready to run, by several tools in one run.

The input is one tarball of a root filesystem (by default the Debian test
root). Each case turns it into something a container can run from, then
runs /bin/true in it with the pycontain CLI:

  gnu-tar             tar -xpf into a directory, then `pycontain run --rootfs`
  gnu-tar+syncfs      the same with `sync -f` (syncfs(2)) after tar, so the
                      tree is on disk before it runs
  tar2sqfs+mount      squashfs-tools-ng's tar2sqfs (zstd level 1, 2 jobs),
                      a loop mount, then `pycontain run --rootfs` on it
  pycontain-sqfs-none `pycontain image import` into a store whose layers are
                      uncompressed squashfs images (the default), then
                      `pycontain run IMAGE` (which mounts the layer at its
                      first use)
  pycontain-sqfs-lz4  the same with PYCONTAIN_SQUASHFS_COMPRESSOR=lz4
  pycontain-sqfs-zstd the same with PYCONTAIN_SQUASHFS_COMPRESSOR=zstd
                      (level 1, 2 threads)
  pycontain-directory the same with PYCONTAIN_LAYER_FORMAT=directory

`pycontain image import` fsyncs the blob and the squashfs image it
publishes, so the pycontain cases are durable ones; gnu-tar+syncfs is the
GNU tar case to set beside them. syncfs also writes back whatever else is
dirty on that filesystem, such as other programs' files.

The cases take turns round-robin, one run each per round, so that noise
from the rest of the machine falls on all of them alike, and dirty pages
are flushed with sync before each timed run. The script prints the median
and 90th percentile of each case, its ratio to gnu-tar, and the disk use of
what each case made.

    sudo /usr/bin/python3 benchmarks/layer_side_by_side.py [--rounds 5]

Needs root (loop mounts, owners kept by tar -p) and the CLI built first:

    bazel build //examples/cli:pycontain

Everything the run creates (trees, stores, mounts) is removed before it
exits, also after a failure.
"""

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ROOTFS = "/var/cache/pycontain-test/debian"
CLI = os.path.join(REPO_ROOT, "bazel-bin/examples/cli/pycontain")


def run(argv, env=None):
    """Run `argv`, raising with its standard error when it fails."""
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {result.stderr.strip()[-400:]}")
    return result.stdout


def disk_bytes(path):
    """Return the bytes allocated under `path`, counting hard links once."""
    return int(run(["du", "-s", "-x", "--block-size=1", path]).split()[0])


class Case:
    def __init__(self, name, work, tarball):
        self.name = name
        self.work = os.path.join(work, name)
        self.tarball = tarball
        self.times = []
        self.disk = 0

    def env(self):
        return dict(os.environ, PYCONTAIN_ROOT=os.path.join(self.work, "store"))

    def prepare(self):
        """Remove what the previous round made; untimed."""
        if os.path.ismount(os.path.join(self.work, "mnt")):
            run(["umount", os.path.join(self.work, "mnt")])
        if os.path.isdir(os.path.join(self.work, "store")):
            # rm detaches the layer's mount, prune removes the files.
            subprocess.run([CLI, "image", "rm", "bench:1"], env=self.env(), capture_output=True)
            run([CLI, "image", "prune"], env=self.env())
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)

    def timed(self):
        raise NotImplementedError

    def measure(self):
        self.prepare()
        os.sync()
        start = time.monotonic()
        self.timed()
        self.times.append(time.monotonic() - start)


class GnuTar(Case):
    def __init__(self, name, work, tarball, durable=False):
        super().__init__(name, work, tarball)
        self.durable = durable

    def timed(self):
        tree = os.path.join(self.work, "tree")
        os.mkdir(tree)
        run(["tar", "-C", tree, "-xpf", self.tarball])
        if self.durable:
            run(["sync", "-f", tree])
        run([CLI, "run", "--rootfs", tree, "--", "/bin/true"])
        self.disk = disk_bytes(tree)


class Tar2Sqfs(Case):
    def timed(self):
        image = os.path.join(self.work, "layer.sqfs")
        mountpoint = os.path.join(self.work, "mnt")
        os.mkdir(mountpoint)
        with open(self.tarball, "rb") as tarball:
            subprocess.run(["tar2sqfs", "-q", "-c", "zstd", "-X", "level=1", "-j", "2", image],
                           stdin=tarball, check=True, capture_output=True)
        run(["mount", "-o", "ro,loop", "-t", "squashfs", image, mountpoint])
        run([CLI, "run", "--rootfs", mountpoint, "--", "/bin/true"])
        self.disk = disk_bytes(image)


class PycontainImport(Case):
    def __init__(self, name, work, tarball, layer_format, compressor="none"):
        super().__init__(name, work, tarball)
        self.layer_format = layer_format
        self.compressor = compressor

    def env(self):
        return dict(super().env(), PYCONTAIN_LAYER_FORMAT=self.layer_format,
                    PYCONTAIN_SQUASHFS_COMPRESSOR=self.compressor)

    def timed(self):
        run([CLI, "image", "import", "-q", self.tarball, "bench:1"], env=self.env())
        run([CLI, "run", "bench:1", "/bin/true"], env=self.env())
        self.disk = disk_bytes(os.path.join(self.work, "store", "layers"))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def set_cli(path):
    global CLI
    CLI = os.path.abspath(path)


def load_average():
    with open("/proc/loadavg") as loadavg:
        return loadavg.read().split()[:3]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rootfs", default=DEFAULT_ROOTFS, help="root filesystem to tar")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each case")
    parser.add_argument("--work", default="/var/tmp", help="parent of the scratch directory")
    parser.add_argument("--cli", default=CLI, help="the pycontain binary to run")
    args = parser.parse_args()
    set_cli(args.cli)
    if os.geteuid() != 0:
        sys.exit("run as root: loop mounts and tar -p need it")
    if not os.access(CLI, os.X_OK):
        sys.exit(f"{CLI} is missing: bazel build //examples/cli:pycontain")

    load_before = " ".join(load_average())
    work = tempfile.mkdtemp(prefix="pycontain-layers-", dir=args.work)
    try:
        tarball = os.path.join(work, "layer.tar")
        run(["tar", "-C", args.rootfs, "-cf", tarball, "."])
        entries = len(run(["tar", "-tf", tarball]).splitlines())
        print(f"input: {args.rootfs} as a tar of {os.path.getsize(tarball) / 1e6:.1f} MB, "
              f"{entries} entries; {args.rounds} rounds")
        cases = [
            GnuTar("gnu-tar", work, tarball),
            GnuTar("gnu-tar+syncfs", work, tarball, durable=True),
            Tar2Sqfs("tar2sqfs+mount", work, tarball),
            PycontainImport("pycontain-sqfs-none", work, tarball, "squashfs", "none"),
            PycontainImport("pycontain-sqfs-lz4", work, tarball, "squashfs", "lz4"),
            PycontainImport("pycontain-sqfs-zstd", work, tarball, "squashfs", "zstd"),
            PycontainImport("pycontain-directory", work, tarball, "directory"),
        ]
        for _ in range(args.rounds):
            for case in cases:
                case.measure()
        for case in cases:
            case.prepare()

        plain = statistics.median(cases[0].times)
        durable = statistics.median(cases[1].times)
        print(f"load average before: {load_before}; after: {' '.join(load_average())}")
        print(f"{'case':22} {'median s':>9} {'p90 s':>7} {'gnu-tar/case':>13} "
              f"{'gnu-tar+syncfs/case':>20} {'disk MB':>8}")
        for case in cases:
            median = statistics.median(case.times)
            print(f"{case.name:22} {median:9.2f} {percentile(case.times, 0.9):7.2f} "
                  f"{plain / median:13.1f} {durable / median:20.1f} {case.disk / 1e6:8.1f}")
    finally:
        for name in os.listdir(work):
            mountpoint = os.path.join(work, name, "mnt")
            if os.path.ismount(mountpoint):
                subprocess.run(["umount", mountpoint])
            store_env = dict(os.environ, PYCONTAIN_ROOT=os.path.join(work, name, "store"))
            if os.path.isdir(store_env["PYCONTAIN_ROOT"]):
                subprocess.run([CLI, "image", "rm", "bench:1"], env=store_env, capture_output=True)
                subprocess.run([CLI, "image", "prune"], env=store_env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
