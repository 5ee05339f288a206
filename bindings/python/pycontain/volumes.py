"""pycontain.volumes: volumes that outlive containers, like `docker volume`.

    import pycontain

    pycontain.volumes.create("data", labels={"app": "web"})
    pycontain.run(["sh", "-c", "echo hi > /data/f"], rootfs=root, volumes=["data:/data"])
    pycontain.run(["cat", "/data/f"], rootfs=root, volumes=["data:/data"])
    pycontain.volumes.remove("data")

A volume is a directory under <store>/volumes, where the store is the
`root` argument when given, else $PYCONTAIN_ROOT, else the user's default
store (as for pycontain.images). Containers use the default store. In
run() and Container(), volumes=["NAME:/path[:ro]"] mounts a named volume
(made on first use) and volumes=["/path"] a new anonymous one.

Every function is thread-safe and releases the GIL while it works.
"""

import dataclasses
import json
from typing import Dict

from . import _pycontain
from ._records import optional_path

__all__ = ["Volume", "create", "inspect", "list", "prune", "remove"]

_ANONYMOUS_LABEL = "pycontain.volume.anonymous"


@dataclasses.dataclass(frozen=True)
class Volume:
    """A volume's record, as `docker volume inspect` prints it.

    Attributes:
        name: its name; 64 hex digits for an anonymous volume.
        driver: always "local".
        mountpoint: the host directory that contains its data.
        created_at: RFC 3339 time of creation, in UTC.
        labels: its labels.
    """

    name: str
    driver: str
    mountpoint: str
    created_at: str
    labels: Dict[str, str] = dataclasses.field(compare=False)

    @property
    def anonymous(self):
        """True for a volume made without a name."""
        return _ANONYMOUS_LABEL in self.labels


def _volume(record):
    return Volume(name=record.get("Name", ""), driver=record.get("Driver", ""),
                  mountpoint=record.get("Mountpoint", ""),
                  created_at=record.get("CreatedAt", ""), labels=record.get("Labels", {}))


def create(name=None, *, labels=None, root=None):
    """Create a volume and return its Volume record.

    name: [a-zA-Z0-9][a-zA-Z0-9_.-]+; None makes an anonymous volume with a
        random name.
    labels: a mapping of label names to values.
    root: the store's directory; default: $PYCONTAIN_ROOT, else the user's
        default store.

    Raises SpecError for an invalid name and pycontain.Error with code
    "ALREADY_EXISTS" when the name is taken.
    """
    pairs = [f"{key}={value}" for key, value in (labels or {}).items()]
    return _volume(json.loads(_pycontain.volume_create(name, pairs, optional_path(root))))


def inspect(name, *, root=None):
    """Return the Volume record of `name`; NotFoundError when there is
    none. root: as for create()."""
    return _volume(json.loads(_pycontain.volume_inspect(name, optional_path(root))))


def list(*, root=None):  # pylint: disable=redefined-builtin
    """Return every volume as a list of Volume, ordered by name. root: as
    for create()."""
    return [_volume(record) for record in json.loads(_pycontain.volume_list(optional_path(root)))]


def remove(name, *, force=False, root=None):
    """Remove a volume and its data. A volume that a container uses is kept
    unless `force`: StateError names the containers. NotFoundError for an
    unknown volume. root: as for create()."""
    _pycontain.volume_remove(name, bool(force), optional_path(root))


def prune(*, all=False, root=None):  # pylint: disable=redefined-builtin
    """Remove the volumes that no container uses, and return their names:
    anonymous volumes only (as Docker 23 and later do) unless `all`. root:
    as for create()."""
    return json.loads(_pycontain.volume_prune(bool(all), optional_path(root)))
