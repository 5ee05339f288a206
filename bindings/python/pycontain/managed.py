"""pycontain.managed: named containers that outlive Python, like `docker run -d`.

    import pycontain

    pycontain.managed.run(["sleep", "600"], name="worker", image="busybox:1")
    print([(box.name, box.status) for box in pycontain.managed.list()])
    print(pycontain.managed.logs("worker"))
    pycontain.managed.stop("worker")
    pycontain.managed.remove("worker")

A managed container keeps running after the Python process exits: a
monitor process owns it, copies its output into a log and records its exit.
Every call finds a container by name, full id or a unique id prefix.
Containers are recorded under <store>/containers of the default image
store ($PYCONTAIN_ROOT, else /var/lib/pycontain for root). For a container
that lives only as long as a with block, use pycontain.Container.

NOTE: start() forks the monitor from this process while other threads may
run; they must not hold locks of C libraries that the monitor then takes.

Every function is thread-safe and releases the GIL while it works.
"""

import dataclasses
import json
import signal as signal_module
from typing import Any, Dict

from . import _logging, _pycontain
from ._errors import Error, NotFoundError
from ._run import rename_argument_errors
from ._spec import build_spec

__all__ = ["ManagedContainer", "create", "inspect", "kill", "list", "logs", "remove", "run",
           "start", "stop", "wait"]


@dataclasses.dataclass(frozen=True)
class ManagedContainer:
    """One managed container, as `docker ps` lists it.

    Attributes:
        id: 64 hex digits.
        name: its name.
        image: the image reference, or "" for a container on a root path.
        status: "created", "running" or "exited".
        labels: its labels.
        state: the monitor's record, with keys such as "Pid", "ExitCode",
            "StartedAt" and "FinishedAt".
    """

    id: str
    name: str
    image: str
    status: str
    labels: Dict[str, str] = dataclasses.field(compare=False)
    state: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @property
    def short_id(self):
        """The first 12 hex digits of the id."""
        return self.id[:12]


def create(args, *, name=None, labels=None, auto_remove=False, **options):
    """Create a managed container without starting it, and return its
    inspect record (a dict in the layout of `docker inspect`).

    args and **options: as for pycontain.run() (image, rootfs, memory,
        env, volumes, network, ...), except the stdio arguments, because
        the monitor owns the container's output.
    name: [A-Za-z0-9][A-Za-z0-9_.-]*; default: a random name.
    labels: a mapping of label names to values.
    auto_remove: remove the container once it exits (`docker run --rm`).

    Raises SpecError for an invalid argument, and pycontain.Error with
    code "ALREADY_EXISTS" when the name is taken.
    """
    spec = build_spec(args, options)
    pairs = [f"{key}={value}" for key, value in (labels or {}).items()]
    _logging.sync_level()
    try:
        record = _pycontain.managed_create(json.dumps(spec), name, pairs, bool(auto_remove))
    except Error as error:
        raise rename_argument_errors(error, options) from None
    return json.loads(record)


def run(args, *, name=None, labels=None, auto_remove=False, **options):
    """Create and start a managed container, like `docker run -d`, and
    return its inspect record. Arguments: as for create()."""
    record = create(args, name=name, labels=labels, auto_remove=auto_remove, **options)
    start(record["Id"])
    # The record of the running container. An auto-removed container may
    # already be gone, so then the record from before the start is returned.
    try:
        return inspect(record["Id"])
    except NotFoundError:
        return record


def start(name_or_id):
    """Start a created or exited container through a new monitor; returns
    once its command has been exec'd. A running container is left alone."""
    _logging.sync_level()
    _pycontain.managed_start(name_or_id)


def stop(name_or_id, timeout=10.0):
    """Send SIGTERM, then SIGKILL after `timeout` seconds, and return once
    the container exited. A stopped container is no error."""
    _pycontain.managed_stop(name_or_id, float(timeout))


def kill(name_or_id, signal=signal_module.SIGKILL):
    """Send `signal` (default SIGKILL) to the container's first process.
    Raises StateError when it is not running."""
    _pycontain.managed_kill(name_or_id, int(signal))


def wait(name_or_id):
    """Block until the container is not running and return its exit code
    as Docker reports it (128 + signal for a killed one)."""
    return _pycontain.managed_wait(name_or_id)


def list(*, all=False, labels=None):  # pylint: disable=redefined-builtin
    """Return the running containers (all=True: every one) as a list of
    ManagedContainer, the most recently created first. labels: only
    containers with all these labels; a value of None matches any value."""
    filters = [key if value is None else f"{key}={value}"
               for key, value in (labels or {}).items()]
    records = json.loads(_pycontain.managed_list(bool(all), filters))
    return [ManagedContainer(id=record.get("id", ""), name=record.get("name", ""),
                             image=record.get("image", ""), status=record.get("status", ""),
                             labels=record.get("labels", {}), state=record.get("state", {}))
            for record in records]


def inspect(name_or_id):
    """Return the container's record as a dict in the layout of `docker
    inspect` (Id, Name, Created, State, Config, Spec, LogPath, ...).
    Raises NotFoundError for an unknown container."""
    return json.loads(_pycontain.managed_inspect(name_or_id))


def remove(name_or_id, *, force=False, volumes=False):
    """Remove the container with its writable layer, log and name. Raises
    StateError for a running container unless `force` (which kills it);
    `volumes` also removes its anonymous volumes."""
    _pycontain.managed_remove(name_or_id, bool(force), bool(volumes))


def logs(name_or_id, *, tail=None, stream=None):
    """Return the container's output so far as one str. tail: only the
    last `tail` lines. stream: "stdout" or "stderr" for only that stream;
    default both, interleaved as they were written."""
    records = json.loads(_pycontain.managed_logs(name_or_id, tail))
    return "".join(record.get("log", "") for record in records
                   if stream is None or record.get("stream") == stream)
