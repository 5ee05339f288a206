"""pycontain.Container: one container's lifecycle, as a context manager."""

import json
import signal as signal_module

from . import _logging, _pycontain
from ._errors import Error, TimeoutExpired
from ._run import RunResult, check_applied, rename_argument_errors
from ._spec import build_spec, process_dict
from ._stdio import PIPE, Streams, decode

_STATE_NAMES = {
    _pycontain.STATE_CREATED: "created",
    _pycontain.STATE_RUNNING: "running",
    _pycontain.STATE_STOPPED: "stopped",
    _pycontain.STATE_PAUSED: "paused",
}


class ExecProcess:
    """A process started in a running container by Container.exec_start.

    Like a Popen object: wait() returns a RunResult, kill() signals it.
    Closing it (or leaving the with block) kills it if it still runs.
    """

    def __init__(self, args, native, streams, text, encoding, errors):
        self.args = args
        self._native = native
        self._streams = streams
        self._decoding = (text, encoding, errors)

    @property
    def pid(self):
        """The process's pid in the caller's PID namespace."""
        return self._native.pid

    def wait(self, timeout=None, *, kill_on_timeout=False):
        """Wait for the process and return its RunResult.

        With a timeout in seconds, raise TimeoutExpired when it passes,
        leaving the process running, unless kill_on_timeout is true: then
        kill it and return a result with timed_out=True. The GIL is released
        while waiting.
        """
        native = self._native.wait(timeout, kill_on_timeout)
        stdout = decode(self._streams.captured("stdout"), *self._decoding)
        stderr = decode(self._streams.captured("stderr"), *self._decoding)
        return RunResult(self.args, native, stdout, stderr)

    def kill(self, signal=signal_module.SIGKILL):
        """Send `signal` (default SIGKILL) to the process."""
        self._native.kill(int(signal))

    def close(self):
        """Kill the process if it still runs, reap it and free its streams."""
        self._native.close()
        self._streams.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class Container:
    """A container, created from run()'s arguments but started separately.

        with pycontain.Container(["sleep", "60"], rootfs=root) as box:
            print(box.exec(["ps"], capture_output=True).stdout)
            box.stop()

    Entering the with block starts it; leaving it removes it (killing every
    process in it), also when the block raised. Output captured with
    stdout=PIPE or stderr=PIPE is available from logs() at any time.

    Thread safety: kill(), state, pause(), resume() and exec() may be called
    while another thread waits in wait().
    """

    def __init__(self, args, *, stdin=None, stdout=None, stderr=None, input=None,
                 text=False, encoding=None, errors=None, **options):
        self.args = args
        self._options = options
        self._decoding = (text, encoding, errors)
        self._spec = build_spec(args, options)
        _logging.sync_level()
        self._streams = Streams(stdin, stdout, stderr, input)
        if self._streams.fds:
            self._spec["process"]["stdio"] = self._streams.fds
        try:
            self._native = _pycontain.Container(json.dumps(self._spec))
        except Error as error:
            self._streams.close()
            raise rename_argument_errors(error, options) from None
        except BaseException:
            self._streams.close()
            raise
        self.result = None

    @property
    def id(self):
        """The container's id: from the spec, or 12 random hex digits."""
        return self._native.id

    @property
    def state(self):
        """"created", "running", "paused" (frozen by pause()) or "stopped"
        (the first process exited)."""
        return _STATE_NAMES[self._native.state]

    @property
    def pid(self):
        """The first process's pid in the caller's PID namespace, or 0 when
        it is not running or paused."""
        return self._native.pid

    def start(self):
        """Set the container up and start its command."""
        self._native.start()

    def wait(self, timeout=None, *, kill_on_timeout=False):
        """Wait for the command to exit and return its RunResult (also kept
        as self.result). Without a timeout, the spec's timeout applies.

        With a timeout in seconds, raise TimeoutExpired when it passes,
        leaving the container running, unless kill_on_timeout is true. The
        GIL is released while waiting.
        """
        native = self._native.wait(timeout, kill_on_timeout)
        self.result = RunResult(self.args, native, *self._decoded_logs())
        check_applied(self._spec, self._options, self.result)
        return self.result

    def kill(self, signal=signal_module.SIGKILL):
        """Send `signal` to the first process. As the init of a new PID
        namespace it ignores signals it has no handler for, except SIGKILL,
        which ends every process of the container (and resumes a paused
        one, so that its processes can exit)."""
        self._native.kill(int(signal))

    def pause(self):
        """Freeze every process of the container, like `docker pause`.

        The processes keep their memory but get no CPU time, and signals
        other than SIGKILL wait until resume(); state becomes "paused".
        Uses the cgroup freezer (cgroup v2 cgroup.freeze, Linux 5.2, or the
        v1 freezer). Raises StateError unless the container is running (or
        when it has no cgroup, rootless without a delegated subtree), and
        KernelError when the freezer cannot be written.
        """
        self._native.pause()

    def resume(self):
        """Thaw a paused container; state becomes "running" again. Raises
        StateError unless the container is paused."""
        self._native.resume()

    def stop(self, timeout=10.0):
        """Send SIGTERM, wait up to `timeout` seconds, then SIGKILL; return
        the RunResult. A paused container is resumed first, so that it can
        handle SIGTERM."""
        if self.result is not None:
            return self.result
        if self.state == "paused":
            self.resume()
        self.kill(signal_module.SIGTERM)
        try:
            return self.wait(timeout)
        except TimeoutExpired:
            return self.wait(0, kill_on_timeout=True)

    def exec_start(self, args, *, env=None, cwd=None, user=None, stdin=None,
                   stdout=None, stderr=None, input=None, capture_output=False,
                   text=False, encoding=None, errors=None):
        """Start `args` in the container's namespaces (like `docker exec`)
        and return an ExecProcess without waiting for it."""
        if capture_output:
            stdout = stderr = PIPE
        process = process_dict(args, env=env, cwd=cwd, user=user)
        streams = Streams(stdin, stdout, stderr, input)
        try:
            if streams.fds:
                process["stdio"] = streams.fds
            native = self._native.exec(json.dumps(process))
        except BaseException:
            streams.close()
            raise
        return ExecProcess(args, native, streams, text, encoding, errors)

    def exec(self, args, *, timeout=None, check=False, **kwargs):
        """Run `args` in the container like exec_start, wait for it and
        return its RunResult. An expired timeout kills the process and sets
        timed_out. check=True raises ContainerFailed unless it exited 0."""
        with self.exec_start(args, **kwargs) as process:
            result = process.wait(timeout, kill_on_timeout=True)
        if check:
            result.check_returncode()
        return result

    def logs(self):
        """Return (stdout, stderr) captured so far; None for a stream that
        is not captured."""
        return self._decoded_logs()

    def _decoded_logs(self):
        return (decode(self._streams.captured("stdout"), *self._decoding),
                decode(self._streams.captured("stderr"), *self._decoding))

    def remove(self):
        """Kill every process of the container, reap them and remove its
        state. The object is unusable afterwards."""
        self._native.close()
        self._streams.close()

    def __enter__(self):
        if self.state == "created":
            self.start()
        return self

    def __exit__(self, *exc_info):
        self.remove()

    def __repr__(self):
        try:
            return f"<pycontain.Container {self.id} {self.state}>"
        except ValueError:
            return "<pycontain.Container (removed)>"
