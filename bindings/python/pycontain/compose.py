"""pycontain.compose: Compose projects, like `docker compose`.

    import pycontain

    project = pycontain.compose.Project("app/compose.yaml", env={"TAG": "1.2"})
    print(project.config())          # the normalized model, as YAML
    project.up()                     # like `docker compose up -d`
    for container in project.ps():
        print(container.name, container.status)
    project.down(volumes=True)

Services run as managed containers named <project>-<service>-<n>. They
outlive the Python process (a monitor process keeps each one), and down()
from another process finds them by their labels. Images come from the
default image store (pycontain.images). Progress lines of up() and down()
("Container app-web-1  Started") go to the `pycontain` logger at INFO.

Fields that Compose defines but pycontain does not apply are listed in
Project.warnings, never ignored silently.

A Project is used by one thread at a time; its calls release the GIL.
"""

import dataclasses
import json
import os
from typing import Any, Dict, Tuple

from . import _logging, _pycontain

__all__ = ["ComposeContainer", "Project"]


@dataclasses.dataclass(frozen=True)
class ComposeContainer:
    """One container of a project, as `docker compose ps` lists it.

    Attributes:
        id: the container's id.
        name: <project>-<service>-<n>.
        service: the service it runs.
        image: the image reference it runs.
        status: the ps status, such as "running", "running (healthy)" or
            "exited (1)".
        state: the monitor's record, with keys such as "Status", "Pid",
            "ExitCode" and "StartedAt".
    """

    id: str
    name: str
    service: str
    image: str
    status: str
    state: Dict[str, Any] = dataclasses.field(repr=False, compare=False)


class Project:
    """A loaded Compose project.

    Project(path=None, *, files=None, env=None, profiles=None, name=None,
            env_files=None, project_directory=None, inherit_env=True)

    path: a Compose file, or a directory in which compose.yaml (or
        compose.yml, docker-compose.yaml, docker-compose.yml, with a
        matching override file) is looked for. Default: the current
        directory, or COMPOSE_FILE.
    files: Compose files merged in order, instead of path (-f).
    env: variables for interpolation, a mapping, over the process
        environment and the .env file.
    profiles: profiles to enable; default COMPOSE_PROFILES. "*" enables
        all.
    name: the project name (-p); default COMPOSE_PROJECT_NAME, the
        top-level name, else the project directory's base name.
    env_files: files read instead of the project directory's .env.
    project_directory: default: the first file's directory.
    inherit_env: False interpolates with `env` (and the env files) only.

    Loading validates everything and starts nothing. Raises SpecError (a
    ValueError) naming file, line and field for invalid files, and
    KernelError with errno ENOENT or NotFoundError for missing files.

    Attributes:
        name: the project's name.
        directory: the absolute project directory.
        files: the Compose files merged.
        services: the active services, sorted.
        disabled_services: services left out by profiles.
        warnings: fields parsed but not applied, each
            "FILE:LINE:COLUMN: FIELD: reason".
    """

    def __init__(self, path=None, *, files=None, env=None, profiles=None, name=None,
                 env_files=None, project_directory=None, inherit_env=True):
        files = [os.fspath(file) for file in (files or ())]
        working_directory = None
        if path is not None:
            path = os.fspath(path)
            if os.path.isdir(path):
                working_directory = os.path.abspath(path)
            else:
                files.insert(0, path)
        environment = [f"{key}={value}" for key, value in (env or {}).items()]
        _logging.sync_level()
        self._native = _pycontain.ComposeProject(
            files, None if project_directory is None else os.fspath(project_directory), name,
            [os.fspath(file) for file in (env_files or ())], [*(profiles or ())],
            environment, not inherit_env, working_directory)
        summary = json.loads(self._native.json)
        self.name = summary.get("name", "")
        self.directory = summary.get("directory", "")
        self.files = tuple(summary.get("files", ()))
        self.services = tuple(summary.get("services", ()))
        self.disabled_services = tuple(summary.get("disabledServices", ()))
        self.warnings = tuple(summary.get("warnings", ()))

    def config(self):
        """Return the normalized model as YAML text, as `docker compose
        config` prints it: variables interpolated, files merged, short
        syntax expanded, relative paths made absolute."""
        return self._native.config

    def up(self, services=None):
        """Create the project's networks and volumes and start its services
        in dependency order, like `docker compose up -d`. Returns once they
        started and their depends_on conditions held.

        services: only these services and their dependencies; default all.
        Raises NotFoundError for a missing image, StateError naming a
        dependency that failed its condition, KernelError for a failed
        setup step.
        """
        _logging.sync_level()
        self._native.up([*(services or ())])

    def down(self, *, volumes=False, remove_orphans=False):
        """Stop and remove the project's containers and networks, like
        `docker compose down`; with volumes=True also its named volumes and
        the containers' anonymous volumes; with remove_orphans=True also
        containers of services the project no longer has."""
        _logging.sync_level()
        self._native.down(bool(volumes), bool(remove_orphans))

    def ps(self, services=None, *, all=False):  # pylint: disable=redefined-builtin
        """Return the project's running containers (all=True: also stopped
        ones) as a list of ComposeContainer, sorted by service and number.
        services: only these; default all."""
        records = json.loads(self._native.ps([*(services or ())], bool(all)))
        return [ComposeContainer(id=record.get("id", ""), name=record.get("name", ""),
                                 service=record.get("service", ""),
                                 image=record.get("image", ""),
                                 status=record.get("status", ""),
                                 state=record.get("state", {}))
                for record in records]

    def __repr__(self):
        return f"<pycontain.compose.Project {self.name} {list(self.services)}>"
