"""pycontain.gc(): removing what crashed owners of containers left."""

import dataclasses
import json
from typing import Tuple

from . import _pycontain
from ._records import optional_path


@dataclasses.dataclass(frozen=True)
class GcReport:
    """The objects that gc() removed, and the containers it kept.

    Attributes:
        containers: removed containers, each "ID (reason)".
        cgroups: removed cgroup directories.
        mounts: mount points detached below removed state directories.
        endpoints: removed network endpoints, each "network/container".
        links: removed network interfaces.
        kept: ids of containers whose owner still runs.
        errors: what could not be removed; the rest was still collected.
        exited: managed containers (such as those of pycontain.compose)
            whose monitor died, now recorded as exited.
    """

    containers: Tuple[str, ...]
    cgroups: Tuple[str, ...]
    mounts: Tuple[str, ...]
    endpoints: Tuple[str, ...]
    links: Tuple[str, ...]
    kept: Tuple[str, ...]
    errors: Tuple[str, ...]
    exited: Tuple[str, ...]


def gc(*, state_root=None, orphan_min_age=None):
    """Remove what containers left behind when the process that owned them
    died without cleaning up (killed, crashed, or from an earlier boot), like
    `pycontain gc`, and return a GcReport.

    It kills processes still in their cgroups and removes those cgroups,
    mounts below their state directories, the state directories, and their
    network endpoints and links. Containers whose owner still runs are kept,
    so it is safe while other processes run containers.

    state_root: the state root to collect in; default $PYCONTAIN_STATE_DIR,
        else /run/pycontain for root (/dev/shm/pycontain when /run is not
        a tmpfs).
    orphan_min_age: seconds that an empty cgroup under pycontain's parent
        without a state directory must exist before it is removed (default
        60); a negative value keeps such cgroups, which is right when other
        state roots are in use.

    Thread-safe; the GIL is released while it works.
    """
    report = json.loads(_pycontain.gc(optional_path(state_root), orphan_min_age))
    return GcReport(**{field.name: tuple(report.get(field.name, ()))
                       for field in dataclasses.fields(GcReport)})
