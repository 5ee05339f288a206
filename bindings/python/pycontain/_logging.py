"""Forwarding the library's log lines to the `pycontain` logger.

The library is told the lowest level the logger would emit, so lines nobody
sees never cross into Python. run() and Container() call sync_level()
first, so a level set with logging.getLogger("pycontain").setLevel() takes
effect at the next call.
"""

import atexit
import logging

from . import _pycontain

logger = logging.getLogger("pycontain")

# The C API's pycontain_log_level values and their logging levels.
_LEVELS = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR]

_installed_level = None


def _handle(level, container_id, message):
    python_level = _LEVELS[level] if 0 <= level < len(_LEVELS) else logging.ERROR
    if container_id:
        logger.log(python_level, "%s: %s", container_id, message,
                   extra={"container_id": container_id})
    else:
        logger.log(python_level, "%s", message, extra={"container_id": ""})


def _native_level():
    effective = logger.getEffectiveLevel()
    for native, python_level in enumerate(_LEVELS):
        if effective <= python_level:
            return native
    return len(_LEVELS) - 1


def sync_level():
    """Tell the library the logger's current level, when it changed."""
    global _installed_level
    level = _native_level()
    if level != _installed_level:
        _pycontain.set_log_handler(_handle, level)
        _installed_level = level


def _uninstall():
    # Lines logged by other threads during interpreter shutdown must not
    # call into a finalizing interpreter.
    _pycontain.set_log_handler(None, 0)


def install():
    sync_level()
    atexit.register(_uninstall)
