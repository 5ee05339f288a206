#!/usr/bin/python3
"""Time the start-to-exit of /bin/true under several container tools in one run.

Each tool runs the same work: /bin/true, in new PID, mount, UTS, IPC, network
and cgroup namespaces where the tool can, most of them inside the busybox
root. The tools take turns round-robin, one run each per round, so that
noise from the rest of the machine falls on all of them alike. The script
prints the median and 90th percentile of each tool and its ratio to
bubblewrap and to a bare /bin/true.

    sudo /usr/bin/python3 benchmarks/side_by_side.py [--iterations 200]

Needs root for runc and for namespaces without a user namespace, and the
pycontain CLI and run_loop built first:

    bazel build //examples/cli:pycontain //benchmarks:run_loop

A tool that is missing or fails is reported as failed, with its own error
message, and the others go on. The exit status is non-zero only when the
script itself fails. Everything the run creates (OCI bundles, runtime
state, cgroups) is removed before it exits.
"""

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ROOTFS = "/var/cache/pycontain-test/busybox"
PROBE_TIMEOUT_SECONDS = 30
RUN_TIMEOUT_SECONDS = 30
NAMESPACE_FLAGS = ["--pid", "--fork", "--mount", "--uts", "--ipc", "--net", "--cgroup"]


class ToolFailed(Exception):
    """A tool under test failed. The message is the reason shown in the table."""


def last_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def describe_wait_status(status):
    if os.WIFEXITED(status):
        return f"exit status {os.WEXITSTATUS(status)}"
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"wait status {status:#x}"


def find_program(name):
    path = shutil.which(name)
    if path is None:
        raise ToolFailed(f"{name} not found in PATH")
    return path


class Tool:
    """One way of running /bin/true: set up once, run many times, clean up."""

    def __init__(self, name, description):
        self.name = name
        self.description = description
        self.samples_ns = []
        self.failure = None

    def setup(self, workdir):
        """Prepare everything the runs need, raising ToolFailed when the tool cannot run."""

    def run_once(self, iteration):
        """Run /bin/true once and return its duration in nanoseconds."""
        raise NotImplementedError

    def cleanup(self):
        """Remove what setup and the runs created. Returns a list of warnings."""
        return []

    def command_line(self):
        """Return the command as a string for the report."""
        return self.description


class ExternalTool(Tool):
    """A program started with posix_spawn and reaped, with /dev/null as stdin, stdout and stderr."""

    def __init__(self, name, argv_builder, description=None):
        super().__init__(name, description or "")
        self.argv_builder = argv_builder
        self.null_fd = None

    def argv(self, iteration):
        return self.argv_builder(iteration)

    def setup(self, workdir):
        self.null_fd = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        self.description = " ".join(self.argv("ID"))
        self.probe()

    def probe(self):
        """Run once with output captured, so that a failure shows the tool's message."""
        argv = self.argv("probe")
        try:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                    text=True, timeout=PROBE_TIMEOUT_SECONDS)
        except OSError as error:
            raise ToolFailed(f"cannot start {argv[0]}: {error.strerror}") from error
        except subprocess.TimeoutExpired as error:
            raise ToolFailed(f"timed out after {PROBE_TIMEOUT_SECONDS} s") from error
        finally:
            self.after_run("probe")
        if result.returncode != 0:
            message = last_line(result.stderr) or last_line(result.stdout)
            raise ToolFailed(f"exit status {result.returncode}: {message}")

    def run_once(self, iteration):
        argv = self.argv(iteration)
        actions = [(os.POSIX_SPAWN_DUP2, self.null_fd, fd) for fd in (0, 1, 2)]
        start = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
        _, status = os.waitpid(pid, 0)
        elapsed = time.perf_counter_ns() - start
        self.after_run(iteration)
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            raise ToolFailed(f"{describe_wait_status(status)} in run {iteration}")
        return elapsed

    def after_run(self, iteration):
        """Clean up after one run, outside the timed part."""

    def cleanup(self):
        if self.null_fd is not None:
            os.close(self.null_fd)
            self.null_fd = None
        return []


class OciRuntime(ExternalTool):
    """runc or crun on an OCI bundle made from the busybox root.

    Each run has its own container id. The runtime keeps its state under the
    work directory (--root), and the container's cgroup sits at
    /pycontain-bench-PID/NAME in each hierarchy, outside the cgroups that
    this script runs in, so that cleanup removes exactly what the runs made.
    """

    def __init__(self, name, rootfs, prefix):
        super().__init__(name, self.build_argv)
        self.rootfs = rootfs
        self.prefix = prefix
        self.cgroup_parent = f"/pycontain-bench-{os.getpid()}"
        self.cgroup_path = f"{self.cgroup_parent}/{name}"
        self.program = None
        self.bundle = None
        self.state_root = None

    def build_argv(self, iteration):
        return [self.program or self.name, "--root", self.state_root or "STATE", "run",
                "--bundle", self.bundle or "BUNDLE", self.container_id(iteration)]

    def container_id(self, iteration):
        return f"{self.prefix}-{self.name}-{iteration}"

    def setup(self, workdir):
        self.program = find_program(self.name)
        self.bundle = os.path.join(workdir, f"{self.name}-bundle")
        self.state_root = os.path.join(workdir, f"{self.name}-state")
        os.mkdir(self.bundle)
        write_oci_config(self.bundle, self.rootfs, self.cgroup_path)
        super().setup(workdir)

    def after_run(self, iteration):
        # `run` in the foreground deletes the container when it exits. This
        # catches the ones that it leaves after a failure.
        container_id = self.container_id(iteration)
        if os.path.exists(os.path.join(self.state_root, container_id)):
            subprocess.run([self.program, "--root", self.state_root, "delete", "--force",
                            container_id], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=RUN_TIMEOUT_SECONDS, check=False)

    def cleanup(self):
        warnings = super().cleanup()
        if self.state_root and os.path.isdir(self.state_root):
            for container_id in os.listdir(self.state_root):
                subprocess.run([self.program, "--root", self.state_root, "delete",
                                "--force", container_id], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=RUN_TIMEOUT_SECONDS,
                               check=False)
                if os.path.exists(os.path.join(self.state_root, container_id)):
                    warnings.append(f"{self.name}: container {container_id} not deleted")
        warnings += remove_cgroups([self.cgroup_path, self.cgroup_parent])
        return warnings


def write_oci_config(bundle, rootfs, cgroup_path):
    """Write bundle/config.json from `runc spec` (or `crun spec`), set up to run /bin/true."""
    generator = shutil.which("runc") or shutil.which("crun")
    if generator is None:
        raise ToolFailed("neither runc nor crun is installed to generate config.json")
    subprocess.run([generator, "spec", "--bundle", bundle], check=True,
                   stdin=subprocess.DEVNULL, capture_output=True)
    path = os.path.join(bundle, "config.json")
    with open(path, encoding="utf-8") as file:
        config = json.load(file)
    config["process"]["args"] = ["/bin/true"]
    config["process"]["terminal"] = False
    config["root"] = {"path": rootfs, "readonly": True}
    namespaces = config["linux"].setdefault("namespaces", [])
    present = {namespace["type"] for namespace in namespaces}
    for kind in ("pid", "network", "ipc", "uts", "mount", "cgroup"):
        if kind not in present:
            namespaces.append({"type": kind})
    # An absolute path puts the cgroups at the top of each hierarchy. A
    # relative one would nest them in this script's own cgroups.
    config["linux"]["cgroupsPath"] = cgroup_path
    with open(path, "w", encoding="utf-8") as file:
        json.dump(config, file, indent=2)


def cgroup_mount_points():
    mount_points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as file:
        for line in file:
            fields = line.split()
            separator = fields.index("-")
            if fields[separator + 1] in ("cgroup", "cgroup2"):
                mount_points.append(fields[4])
    return mount_points


def remove_cgroups(paths):
    """Remove the cgroups at `paths`, children first, in every hierarchy that has them."""
    warnings = []
    for mount_point in cgroup_mount_points():
        for path in paths:
            directory = mount_point + path
            if not os.path.isdir(directory):
                continue
            try:
                os.rmdir(directory)
            except OSError as error:
                warnings.append(f"cannot remove cgroup {directory}: {error.strerror}")
    return warnings


class InProcessPycontain(Tool):
    """pycontain::container::Run called in a loop by the run_loop driver.

    The driver starts once and runs one container per request line, so the
    measured time is the library call alone. The duration is the one that
    the driver measures around container::Run.
    """

    def __init__(self, program, rootfs, prefix, isolation_only=False, netns_pool=True):
        flags = " --isolation-only" if isolation_only else ""
        name = "pycontain-lib-isolation" if isolation_only else "pycontain-lib"
        environment = ""
        if not netns_pool:
            # The same library with its pool of network namespaces off, so
            # that every run pays for CLONE_NEWNET as the other tools do.
            name += "-nopool"
            environment = "PYCONTAIN_NETNS_POOL=0 "
        super().__init__(name, f"{environment}{program} --paced{flags} --rootfs {rootfs} "
                               "(container::Run per line)")
        self.isolation_only = isolation_only
        self.netns_pool = netns_pool
        self.program = program
        self.rootfs = rootfs
        self.prefix = prefix
        self.process = None
        self.stderr_file = None

    def setup(self, workdir):
        if not os.access(self.program, os.X_OK):
            raise ToolFailed(f"{self.program} not found: bazel build //benchmarks:run_loop")
        self.stderr_file = tempfile.TemporaryFile(mode="w+", dir=workdir)
        self.process = subprocess.Popen(
            [self.program, "--paced", "--rootfs", self.rootfs, "--id-prefix",
             f"{self.prefix}-{self.name}"]
            + (["--isolation-only"] if self.isolation_only else []),
            env=dict(os.environ, PYCONTAIN_NETNS_POOL="2" if self.netns_pool else "0"),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr_file,
            text=True, bufsize=1)
        self.run_once("probe")

    def run_once(self, iteration):
        try:
            self.process.stdin.write("\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            self.process.wait(timeout=RUN_TIMEOUT_SECONDS)
            self.stderr_file.seek(0)
            raise ToolFailed(last_line(self.stderr_file.read())
                             or f"run_loop ended with status {self.process.returncode}")
        return int(float(line) * 1000)

    def cleanup(self):
        warnings = []
        if self.process is not None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=RUN_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                warnings.append("run_loop did not stop at end of input and was killed")
            self.process.stdout.close()
        if self.stderr_file is not None:
            self.stderr_file.close()
        return warnings


def build_tools(args, prefix):
    rootfs = args.rootfs
    cli = args.pycontain
    return [
        ExternalTool("true", lambda _: ["/bin/true"]),
        ExternalTool("busybox-true", lambda _: [os.path.join(rootfs, "bin/busybox"), "true"]),
        ExternalTool("unshare", lambda _: ["/usr/bin/unshare", *NAMESPACE_FLAGS, "/bin/true"]),
        ExternalTool("unshare-chroot",
                     lambda _: ["/usr/bin/unshare", *NAMESPACE_FLAGS, f"--root={rootfs}",
                                "--mount-proc", "/bin/true"]),
        ExternalTool("bwrap",
                     lambda _: ["/usr/bin/bwrap", "--unshare-pid", "--unshare-net",
                                "--unshare-uts", "--unshare-ipc", "--unshare-cgroup",
                                "--bind", rootfs, "/", "--proc", "/proc", "--dev", "/dev",
                                "/bin/true"]),
        OciRuntime("runc", rootfs, prefix),
        OciRuntime("crun", rootfs, prefix),
        ExternalTool("pycontain-cli",
                     lambda i: [cli, "run", "--rootfs", rootfs, "--name",
                                f"{prefix}-cli-{i}", "--", "/bin/true"]),
        InProcessPycontain(args.run_loop, rootfs, prefix),
        InProcessPycontain(args.run_loop, rootfs, prefix, isolation_only=True),
        InProcessPycontain(args.run_loop, rootfs, prefix, netns_pool=False),
    ]


def measure(tools, warmup, iterations):
    """Run every working tool once per round, rotating the order between rounds."""
    for round_number in range(warmup + iterations):
        shift = round_number % len(tools)
        for tool in tools[shift:] + tools[:shift]:
            if tool.failure is not None:
                continue
            try:
                elapsed_ns = tool.run_once(round_number)
            except ToolFailed as error:
                tool.failure = str(error)
                continue
            if round_number >= warmup:
                tool.samples_ns.append(elapsed_ns)


def percentile(values, fraction):
    """Return the nearest-rank percentile of `values`."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def format_ratio(value, reference):
    if value is None or reference is None:
        return "n/a"
    return f"{value / reference:.2f}"


def print_table(tools, markdown):
    medians = {tool.name: statistics.median(tool.samples_ns) / 1e6
               for tool in tools if tool.failure is None and tool.samples_ns}
    header = ["tool", "status", "median ms", "p90 ms", "x bwrap", "x true"]
    rows = []
    for tool in tools:
        median = medians.get(tool.name)
        if median is None:
            status = f"failed: {tool.failure}" if tool.failure else "failed: no samples"
            rows.append([tool.name, status, "-", "-", "-", "-"])
            continue
        p90 = percentile(tool.samples_ns, 0.9) / 1e6
        rows.append([tool.name, "ok", f"{median:.3f}", f"{p90:.3f}",
                     format_ratio(median, medians.get("bwrap")),
                     format_ratio(median, medians.get("true"))])
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join("---" for _ in header) + " |")
        for row in rows:
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        return
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    widths[1] = min(widths[1], 60)
    for row in [header] + rows:
        cells = [row[0].ljust(widths[0]), row[1][:60].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]
        print("  ".join(cells))
    for tool in tools:
        if tool.failure and len(tool.failure) > 60:
            print(f"{tool.name}: {tool.failure}")


def tool_version(argv):
    try:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=PROBE_TIMEOUT_SECONDS, check=False)
    except OSError:
        return "not installed"
    return last_line(result.stdout.splitlines()[0] if result.stdout else result.stderr)


def print_environment(args):
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, Linux {platform.release()}, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for name, argv in [("runc", ["runc", "--version"]), ("crun", ["crun", "--version"]),
                       ("bwrap", ["bwrap", "--version"]),
                       ("unshare", ["unshare", "--version"])]:
        print(f"{name}: {tool_version(argv)}")
    print(f"rootfs: {args.rootfs}; {args.iterations} timed rounds after "
          f"{args.warmup} warm-up rounds")


def leftover_mounts(directory):
    prefix = directory.rstrip("/") + "/"
    with open("/proc/self/mountinfo", encoding="utf-8") as file:
        return [line.split()[4] for line in file
                if (line.split()[4] + "/").startswith(prefix)]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200,
                        help="timed rounds; each tool runs once per round (default: 200)")
    parser.add_argument("--warmup", type=int, default=20,
                        help="untimed rounds before the timed ones (default: 20)")
    parser.add_argument("--rootfs",
                        default=os.environ.get("PYCONTAIN_TEST_BUSYBOX_ROOTFS") or DEFAULT_ROOTFS,
                        help="busybox root filesystem (default: $PYCONTAIN_TEST_BUSYBOX_ROOTFS, "
                             f"else {DEFAULT_ROOTFS})")
    parser.add_argument("--pycontain",
                        default=os.path.join(REPO_ROOT, "bazel-bin/examples/cli/pycontain"),
                        help="the pycontain CLI (default: bazel-bin/examples/cli/pycontain)")
    parser.add_argument("--run-loop",
                        default=os.path.join(REPO_ROOT, "bazel-bin/benchmarks/run_loop"),
                        help="the run_loop driver (default: bazel-bin/benchmarks/run_loop)")
    parser.add_argument("--tools",
                        help="comma-separated subset of tools to run (default: all)")
    parser.add_argument("--markdown", action="store_true",
                        help="print the table in Markdown")
    args = parser.parse_args()
    if args.iterations < 1 or args.warmup < 0:
        parser.error("--iterations must be at least 1 and --warmup at least 0")
    if not os.path.isfile(os.path.join(args.rootfs, "bin/busybox")):
        parser.error(f"{args.rootfs}/bin/busybox not found: build the busybox root with "
                     "scripts/make-test-rootfs or pass --rootfs")
    return args


def main():
    args = parse_args()
    prefix = f"pcb{os.getpid()}"
    tools = build_tools(args, prefix)
    if args.tools:
        requested = args.tools.split(",")
        unknown = set(requested) - {tool.name for tool in tools}
        if unknown:
            sys.exit(f"side_by_side.py: unknown tool(s) {', '.join(sorted(unknown))}; "
                     f"known: {', '.join(tool.name for tool in tools)}")
        tools = [tool for tool in tools if tool.name in requested]

    print_environment(args)
    workdir = tempfile.mkdtemp(prefix="pycontain-bench-")
    warnings = []
    try:
        for tool in tools:
            try:
                tool.setup(workdir)
            except ToolFailed as error:
                tool.failure = str(error)
        measure(tools, args.warmup, args.iterations)
    finally:
        for tool in tools:
            warnings += tool.cleanup()
        mounts = leftover_mounts(workdir)
        if mounts:
            warnings.append(f"mounts left under {workdir}, so it was kept: {mounts}")
        else:
            shutil.rmtree(workdir)

    print()
    for tool in tools:
        print(f"{tool.name}: {tool.command_line()}")
    print()
    print_table(tools, args.markdown)
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


if __name__ == "__main__":
    main()
