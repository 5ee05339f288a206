"""The pycontain.Error hierarchy and its construction from C API errors."""

import errno as errno_module
import os

from . import _pycontain


class Error(Exception):
    """Base class of every error that pycontain raises.

    Attributes:
        code: the C API's result code name, such as "INVALID_ARGUMENT".
        step: the system call that failed with its object, such as
            "pivot_root into /srv/rootfs", or "" when none failed.
        field: for an invalid spec, the spec field at fault in snake_case
            ("process.cwd"), else "".
    """

    def __init__(self, message, *, code="INTERNAL", step="", field=""):
        super().__init__(message)
        self.code = code
        self.step = step
        self.field = field


class SpecError(Error, ValueError):
    """An invalid spec or argument; `field` names the spec field."""


class UnsupportedError(Error, NotImplementedError):
    """An argument or spec field that this build of pycontain does not apply.

    `argument` names the keyword argument of run() or Container() when one
    caused it, else "".
    """

    def __init__(self, message, *, argument="", **kwargs):
        super().__init__(message, **kwargs)
        self.argument = argument


class KernelError(Error, OSError):
    """A system call failed; `errno` and `strerror` are set as for OSError."""

    def __init__(self, message, *, err, **kwargs):
        Error.__init__(self, message, **kwargs)
        self.errno = err
        self.strerror = os.strerror(err) if err else message

    def __str__(self):
        return self.args[0]


class NotFoundError(Error, LookupError):
    """A named object, such as an image or a network, does not exist."""


class StateError(Error, RuntimeError):
    """The container or process is in the wrong state for the call."""


class TimeoutExpired(Error, TimeoutError):
    """A wait's timeout expired and the container still runs."""


class ContainerFailed(Error):
    """Raised by run(check=True) when the command did not exit with 0.

    `result` is the RunResult, also reachable as `returncode`, `stdout`
    and `stderr` for code written against subprocess.CalledProcessError.
    """

    def __init__(self, result):
        if result.timed_out:
            reason = "timed out"
        elif result.signal:
            reason = f"was killed by signal {result.signal}"
        else:
            reason = f"exited with status {result.returncode}"
        super().__init__(f"command {result.args!r} {reason}", code="OK")
        self.result = result

    @property
    def returncode(self):
        return self.result.returncode

    @property
    def stdout(self):
        return self.result.stdout

    @property
    def stderr(self):
        return self.result.stderr


def snake_case(field):
    """Convert a spec field path to snake_case ("process.stdoutFd" to
    "process.stdout_fd"), the spelling of container.proto."""
    out = []
    for char in field:
        if char.isupper():
            out.append("_")
            out.append(char.lower())
        else:
            out.append(char)
    return "".join(out)


def make_error(code, code_name, message, err, step, field):
    """Build the exception for a failed C API call (the factory that the
    extension calls)."""
    field = snake_case(field)
    kwargs = {"code": code_name, "step": step, "field": field}
    if code_name == "INVALID_ARGUMENT" and not err:
        return SpecError(message, **kwargs)
    if code_name == "UNIMPLEMENTED":
        return UnsupportedError(message, **kwargs)
    if code_name == "NOT_FOUND" and not err:
        return NotFoundError(message, **kwargs)
    if code_name == "FAILED_PRECONDITION":
        return StateError(message, **kwargs)
    if code_name == "TIMED_OUT" and not err:
        return TimeoutExpired(message, **kwargs)
    if code_name == "OUT_OF_MEMORY" and not err:
        err = errno_module.ENOMEM
    if err:
        return KernelError(message, err=err, **kwargs)
    return Error(message, **kwargs)


_pycontain.set_error_factory(make_error)
