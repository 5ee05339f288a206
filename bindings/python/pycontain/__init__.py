"""pycontain: Linux containers from Python, in-process, like subprocess.

    import pycontain

    result = pycontain.run(["echo", "hello"], capture_output=True, text=True)
    print(result.returncode, result.stdout)

    with pycontain.Container(["sleep", "60"], rootfs="/srv/busybox") as box:
        print(box.exec(["ps"], capture_output=True, text=True).stdout)

    pycontain.images.import_("rootfs.tar", "myapp:1")   # also load, save, list
    pycontain.networks.create("web")                    # also inspect, list
    pycontain.volumes.create("data")                    # also prune
    pycontain.compose.Project("compose.yaml").up()      # also config, ps, down
    pycontain.managed.run(["sleep", "60"], name="w", image="busybox:1")  # detached
    pycontain.gc()                                      # what crashes left

Without rootfs, a command runs on the host's root mounted read-only, in new
PID, mount, UTS, IPC, network and cgroup namespaces. Running containers
needs root, or unprivileged user namespaces for rootless mode.

Log lines of the library go to the `pycontain` logger of the logging
module. Errors derive from pycontain.Error: invalid specs raise SpecError
(a ValueError), failed system calls KernelError (an OSError with errno),
unknown images and networks NotFoundError (a LookupError).
"""

from . import _pycontain
from ._errors import (ContainerFailed, Error, KernelError, NotFoundError, SpecError,
                      StateError, TimeoutExpired, UnsupportedError)
from ._run import RunResult, run
from ._container import Container, ExecProcess
from ._stdio import DEVNULL, PIPE, STDOUT
from . import _logging
from . import compose, images, managed, networks, volumes
from ._gc import GcReport, gc

__version__ = _pycontain.VERSION

__all__ = [
    "DEVNULL",
    "PIPE",
    "STDOUT",
    "Container",
    "ContainerFailed",
    "Error",
    "ExecProcess",
    "GcReport",
    "KernelError",
    "NotFoundError",
    "RunResult",
    "SpecError",
    "StateError",
    "TimeoutExpired",
    "UnsupportedError",
    "compose",
    "gc",
    "images",
    "managed",
    "networks",
    "run",
    "volumes",
]

_logging.install()
