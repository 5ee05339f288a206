"""Standard streams of a container, with subprocess's conventions.

Captured output goes to memory files (memfd) instead of pipes, so nothing
needs to read while the container runs and no output size can deadlock it.
NOTE: pages of a memory file count against the memory cgroup of the process
that writes them, so captured output counts toward a container's memory
limit.
"""

import io
import os
import subprocess

# The same values as subprocess's, so either module's constants work.
PIPE = subprocess.PIPE
STDOUT = subprocess.STDOUT
DEVNULL = subprocess.DEVNULL


class Streams:
    """The descriptors a container gets for stdin, stdout and stderr, and
    the memory files that capture its output. Close it when done."""

    def __init__(self, stdin=None, stdout=None, stderr=None, input=None):
        self._owned = []
        self.fds = {}
        self._captured = {}
        try:
            self._setup(stdin, stdout, stderr, input)
        except BaseException:
            self.close()
            raise

    def _setup(self, stdin, stdout, stderr, input):
        if input is not None:
            if stdin is not None:
                raise ValueError("stdin and input: give at most one")
            data = input.encode() if isinstance(input, str) else bytes(input)
            fd = self._memfd("stdin")
            os.write(fd, data)
            os.lseek(fd, 0, os.SEEK_SET)
            self.fds["stdinFd"] = fd
        elif stdin == PIPE:
            raise ValueError("stdin=PIPE: pass the data as input= instead")
        elif stdin is not None:
            self.fds["stdinFd"] = self._fd_of("stdin", stdin)

        if stdout is not None:
            self.fds["stdoutFd"] = self._fd_of("stdout", stdout)
        if stderr == STDOUT:
            if "stdoutFd" in self.fds:
                self.fds["stderrFd"] = self.fds["stdoutFd"]
            else:
                self.fds["stderrFd"] = 1
        elif stderr is not None:
            self.fds["stderrFd"] = self._fd_of("stderr", stderr)

    def _memfd(self, name):
        fd = os.memfd_create(f"pycontain-{name}")
        self._owned.append(fd)
        return fd

    def _fd_of(self, name, value):
        if value == PIPE:
            fd = self._memfd(name)
            self._captured[name] = fd
            return fd
        if value == DEVNULL:
            fd = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
            self._owned.append(fd)
            return fd
        if isinstance(value, int):
            if value < 0:
                raise ValueError(f"{name}: invalid file descriptor {value}")
            return value
        try:
            return value.fileno()
        except (AttributeError, io.UnsupportedOperation):
            raise ValueError(
                f"{name}: expected PIPE, DEVNULL, a descriptor or a file with "
                f"fileno(), got {value!r}") from None

    def captured(self, name):
        """Return what the container wrote to stream `name` ("stdout" or
        "stderr") when it was captured, else None."""
        fd = self._captured.get(name)
        if fd is None:
            return None
        size = os.fstat(fd).st_size
        return os.pread(fd, size, 0) if size else b""

    def close(self):
        for fd in self._owned:
            os.close(fd)
        self._owned = []
        self._captured = {}


def decode(data, text, encoding, errors):
    """Decode captured bytes as subprocess does in text mode."""
    if data is None or not (text or encoding or errors):
        return data
    return data.decode(encoding or "utf-8", errors or "strict")
