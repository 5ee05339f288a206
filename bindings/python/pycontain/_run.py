"""pycontain.run and its result."""

import json

from . import _logging, _pycontain
from ._errors import ContainerFailed, Error, SpecError, UnsupportedError
from ._spec import argument_for_field, build_spec
from ._stdio import PIPE, Streams, decode


class RunResult:
    """What a finished container reported, shaped like
    subprocess.CompletedProcess.

    Attributes:
        args: the command, as given.
        returncode: the exit status, or -N when signal N ended the command
            (as subprocess reports it).
        stdout, stderr: captured output (bytes, or str in text mode), or
            None when not captured.
        signal: the signal that ended the command, or 0.
        timed_out: True when the timeout expired and the container was
            killed.
        oom_killed: True when the OOM killer ended the command (needs the
            cgroup layer; False without it).
        wall_time: seconds from the start of setup to the exit.
        cpu_time: user plus system CPU seconds of the command and the
            descendants it waited for.
        memory_peak: peak memory in bytes (the cgroup's peak when measured,
            else the largest resident set of one process), or None.
        id: the container's id.
    """

    def __init__(self, args, native, stdout=None, stderr=None):
        self.args = args
        self.signal = native.signal
        exit_code = native.exit_code
        self.returncode = -self.signal if exit_code is None else exit_code
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = native.timed_out
        self.oom_killed = native.oom_killed
        self.wall_time = native.wall_time_ns / 1e9
        self.cpu_time = native.cpu_time_ns / 1e9
        self.memory_peak = native.memory_peak_bytes
        self._json = native.json
        self._details = None

    @property
    def details(self):
        """The whole RunResult of container.proto as a dict (lowerCamelCase
        keys), parsed on first use."""
        if self._details is None:
            self._details = json.loads(self._json)
        return self._details

    @property
    def id(self):
        return self.details.get("id", "")

    @property
    def receipt(self):
        """The enforcement receipt: limits and hardening that the kernel
        reported in force before the command ran, as a dict."""
        return self.details.get("receipt", {})

    @property
    def accounting(self):
        """Resource use measured by the container's cgroup, as a dict."""
        return self.details.get("accounting", {})

    def check_returncode(self):
        """Raise ContainerFailed when the command timed out or did not exit
        with status 0."""
        if self.returncode != 0 or self.timed_out:
            raise ContainerFailed(self)

    def __repr__(self):
        parts = [f"args={self.args!r}", f"returncode={self.returncode!r}"]
        if self.timed_out:
            parts.append("timed_out=True")
        if self.stdout is not None:
            parts.append(f"stdout={self.stdout!r}")
        if self.stderr is not None:
            parts.append(f"stderr={self.stderr!r}")
        return f"RunResult({', '.join(parts)})"


def rename_argument_errors(error, options):
    """Return an UnsupportedError naming the keyword argument behind `error`
    when the library rejected a spec field that an argument set because it
    does not know or apply that field; else `error` unchanged."""
    if not isinstance(error, (SpecError, UnsupportedError)) or not error.field:
        return error
    argument = argument_for_field(error.field, options)
    if not argument:
        return error
    unknown = "Cannot find field" in str(error)
    if isinstance(error, UnsupportedError) or unknown:
        return UnsupportedError(
            f"{argument}: not supported by this build of pycontain ({error})",
            argument=argument, code="UNIMPLEMENTED", field=error.field)
    return error


def check_applied(spec, options, result):
    """Raise UnsupportedError when resource limits were requested but the
    receipt shows that no cgroup layer handled them, so that a limit is
    never ignored silently."""
    if "resources" not in spec:
        return
    if not result.receipt:
        requested = [name for name in ("memory", "memory_swap", "cpus", "pids_limit")
                     if options.get(name) is not None] or ["spec['resources']"]
        error = UnsupportedError(
            f"{requested[0]}: the limit was not applied: this build of pycontain "
            "reported no cgroup in the result's receipt",
            argument=requested[0], code="UNIMPLEMENTED")
        error.result = result
        raise error


def run(args, *, input=None, capture_output=False, stdin=None, stdout=None,
        stderr=None, text=False, encoding=None, errors=None, check=False,
        **options):
    """Run `args` in a new container, wait for it and return a RunResult.

    Works like subprocess.run, with the container's settings as keyword
    arguments: image (a "name:tag" in pycontain.images), rootfs, memory,
    memory_swap, cpus, pids_limit, timeout, network ("none", "host",
    "container:ID" or a network of pycontain.networks), ports (such as
    "8080:80" on a named network), seccomp ("default", "unconfined" or a
    profile file), env, cwd, user, read_only, volumes, hostname, and spec (a
    dict merged into the ContainerSpec, for fields without an argument).

    Differences from subprocess.run: an expired timeout kills the container
    and returns a result with timed_out=True (check=True then raises
    ContainerFailed) instead of raising TimeoutExpired; text mode decodes
    as UTF-8 unless encoding is given; output is captured in memory files,
    not pipes.

    Raises:
        SpecError (a ValueError): an invalid argument or spec; `field`
            names the spec field.
        UnsupportedError (a NotImplementedError): an argument this build
            cannot apply; `argument` names it.
        KernelError (an OSError): a system call failed while setting up;
            `errno` and `step` say which.
        ContainerFailed: check=True and the command failed.
    """
    if capture_output:
        if stdout is not None or stderr is not None:
            raise ValueError("stdout and stderr may not be used with capture_output")
        stdout = stderr = PIPE
    spec = build_spec(args, options)
    _logging.sync_level()

    streams = Streams(stdin, stdout, stderr, input)
    try:
        if streams.fds:
            spec["process"]["stdio"] = streams.fds
        try:
            native = _pycontain.run(json.dumps(spec))
        except Error as error:
            raise rename_argument_errors(error, options) from None
        result = RunResult(args, native,
                           decode(streams.captured("stdout"), text, encoding, errors),
                           decode(streams.captured("stderr"), text, encoding, errors))
    finally:
        streams.close()
    check_applied(spec, options, result)
    if check:
        result.check_returncode()
    return result

