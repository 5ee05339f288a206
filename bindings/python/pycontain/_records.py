"""Helpers shared by pycontain.images and pycontain.networks: arguments
that name files, and JSON records from the C API."""

import os

from ._errors import snake_case


def optional_path(value):
    """Return `value` (a str or os.PathLike) as a str, or None for None."""
    return None if value is None else os.fspath(value)


def descriptor(source):
    """Return the file descriptor of an int or of a file object with
    fileno(), or None for anything else (a path). A file object's
    buffered writes are flushed first."""
    if isinstance(source, bool):
        raise TypeError("expected a path, a file descriptor or a file object, not bool")
    if isinstance(source, int):
        return source
    if hasattr(source, "fileno") and not isinstance(source, (str, bytes, os.PathLike)):
        if hasattr(source, "flush"):
            source.flush()
        return source.fileno()
    return None


def snake_keys(value):
    """Return `value` (parsed JSON) with every object key in snake_case."""
    if isinstance(value, dict):
        return {snake_case(key): snake_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [snake_keys(item) for item in value]
    return value
