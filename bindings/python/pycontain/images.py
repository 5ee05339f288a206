"""pycontain.images: the image store, like `docker load|save|import|images|rmi`.

    import pycontain

    image = pycontain.images.import_("rootfs.tar", "myapp:1", cmd=["/app"])
    pycontain.run(["echo", "hi"], image="myapp:1")
    pycontain.images.save("myapp:1", "myapp.tar")
    print([image.names for image in pycontain.images.list()])
    pycontain.images.remove("myapp:1")

The store is the `root` argument when given, else $PYCONTAIN_ROOT, else
/var/lib/pycontain for root and $XDG_DATA_HOME/pycontain (default
~/.local/share/pycontain) for other users. Containers started with
image=... look in the default store, so set PYCONTAIN_ROOT (before the
first call) to run images from another store.

An image is named by a reference: "name:tag" (":latest" when the tag is
missing), its id "sha256:<hex>", or a unique prefix of at least 4 hex
digits of the id.

`import` is a Python keyword, so the import function is called import_,
with import_image as a second name. list() shadows the built-in list only
inside this module, because the module is used as pycontain.images.list.

Every function is thread-safe and releases the GIL while it works; the
store's lock file orders writers, also across processes. Errors: a
missing file raises KernelError (an OSError) with errno ENOENT, an unknown
image NotFoundError (a LookupError), a bad argument SpecError (a
ValueError).
"""

import dataclasses
import datetime
import json
from typing import Any, Dict, Tuple

from . import _pycontain
from ._records import descriptor, optional_path

__all__ = ["Image", "import_", "import_image", "list", "load", "remove", "save"]

_FORMATS = {
    "docker-archive": _pycontain.IMAGE_FORMAT_DOCKER_ARCHIVE,
    "oci": _pycontain.IMAGE_FORMAT_OCI_LAYOUT,
}


@dataclasses.dataclass(frozen=True)
class Image:
    """An image in the store.

    Attributes:
        id: "sha256:" and 64 hex digits.
        names: its "name:tag" references; empty for an image known only by
            its id.
        loaded: when it was added to the store, as an aware datetime in UTC.
        manifest: the digest of its OCI manifest.
        config: its OCI image config as a dict, such as
            config["config"]["Cmd"] for the default command.
    """

    id: str
    names: Tuple[str, ...]
    loaded: datetime.datetime
    manifest: str
    config: Dict[str, Any] = dataclasses.field(repr=False, compare=False)

    @property
    def short_id(self):
        """The first 12 hex digits of the id, as `docker images` shows."""
        return self.id[len("sha256:"):][:12]


def _images(records_json):
    return [
        Image(id=record["id"],
              names=tuple(record.get("names", ())),
              loaded=datetime.datetime.fromtimestamp(record.get("loaded", 0),
                                                     datetime.timezone.utc),
              manifest=record.get("manifest", ""),
              config=record.get("config", {}))
        for record in json.loads(records_json)
    ]


def load(source, *, root=None, platform=None, repository=None):
    """Load every image of an archive into the store and return them.

    source: the path of a docker-archive (`docker save`) or OCI archive,
        plain or gzip/zstd compressed, or of an OCI image layout directory;
        or a file descriptor or binary file object of such an archive. A
        regular file is read from its start, a pipe to its end. Data that a
        file object has already buffered is not seen, so pass an
        unbuffered file or a descriptor for pipes.
    root: the store's directory; default: $PYCONTAIN_ROOT, else the
        user's default store (see help(pycontain.images)).
    platform: "os/architecture[/variant]" such as "linux/arm64"; images of
        an OCI index for other platforms are skipped. Default: linux on
        this machine's architecture.
    repository: the name for OCI index entries that give only a tag.
        Default: the archive's base name without ".tar" ("image" for a
        descriptor).

    Every digest in the archive is verified, and a failed load leaves the
    store as it was. Returns a list of Image.
    """
    fd = descriptor(source)
    path = None if fd is not None else optional_path(source)
    records = _pycontain.image_load(path, -1 if fd is None else fd, optional_path(root),
                                    platform, repository)
    return _images(records)


def save(references, destination, *, format="docker-archive", root=None):
    """Write images from the store to an archive.

    references: a reference or a sequence of them.
    destination: a path; or, for the docker-archive format, a file
        descriptor or binary file object, written at its current offset.
    format: "docker-archive" (a `docker save` tar file, which `docker load`
        reads; an existing file is replaced) or "oci" (an OCI image layout
        directory, which must be missing or empty).
    root: the store's directory; default: $PYCONTAIN_ROOT, else the
        user's default store (see help(pycontain.images)).
    """
    if isinstance(references, str):
        references = [references]
    if format not in _FORMATS:
        raise ValueError(f"format: {format!r} is not one of {sorted(_FORMATS)}")
    fd = descriptor(destination)
    path = None if fd is not None else optional_path(destination)
    _pycontain.image_save([*references], path, -1 if fd is None else fd,
                          optional_path(root), _FORMATS[format])


def import_(source, names=(), *, cmd=None, env=None, comment=None, root=None):
    """Import a tar file of a root filesystem as a new one-layer image, like
    `docker import`, and return it as an Image.

    source: the path of the tar file (plain or compressed), or a file
        descriptor or binary file object of one (read from its start when it
        is a regular file).
    names: a "name:tag" or a sequence of them; default: none.
    cmd: the image's default command, a sequence of strings.
    env: the image's environment, a mapping or a sequence of "NAME=value".
    comment: recorded in the image's history.
    root: the store's directory; default: $PYCONTAIN_ROOT, else the
        user's default store (see help(pycontain.images)).

    Named import_ because import is a keyword; import_image is the same
    function.
    """
    if isinstance(names, str):
        names = [names]
    if isinstance(cmd, str):
        raise TypeError("cmd: expected a sequence of strings, not a str")
    if env is not None and hasattr(env, "items"):
        env = [f"{key}={value}" for key, value in env.items()]
    fd = descriptor(source)
    path = f"/proc/self/fd/{fd}" if fd is not None else optional_path(source)
    records = _pycontain.image_import(path, optional_path(root), [*names], comment,
                                      [*(cmd or ())], [*(env or ())])
    return _images(records)[0]


import_image = import_


def list(*, root=None):  # pylint: disable=redefined-builtin
    """Return every image in the store as a list of Image, ordered by id.

    root: the store's directory; default: $PYCONTAIN_ROOT, else the
        user's default store (see help(pycontain.images)).
    """
    return _images(_pycontain.image_list(optional_path(root)))


def remove(reference, *, root=None):
    """Remove an image reference from the store, like `docker rmi`.

    For "name:tag" the name goes, and the image with it when it has no other
    name. For an id (or a prefix of one) the image goes with all its names.
    Layers stay on disk until `pycontain image prune`, and running
    containers keep their root filesystems. Raises NotFoundError for an
    unknown reference, and StateError, naming the container, for an image
    that a named container (pycontain.managed) was created from: as with
    `docker rmi`, remove the container first.

    root: the store's directory; default: $PYCONTAIN_ROOT, else the
        user's default store (see help(pycontain.images)).
    """
    _pycontain.image_remove(reference, optional_path(root))
