"""A pytest plugin with a `sandbox` fixture for running untrusted code.

Enable it with `-p pycontain.pytest_plugin`, or through the `pytest11`
entry point that `pip install` registers. Then:

    def test_student_code(sandbox):
        result = sandbox.run(["python3", "-c", code], timeout=5)
        assert result.stdout == "42\\n"

Every container the sandbox made is removed when the test ends, also when
the test failed or raised, and the fixture fails the test if one of them
cannot be removed.

Defaults, each overridable per call: no network, a read-only root,
captured text output, a 60-second timeout, and the root filesystem from
the --pycontain-rootfs option or the PYCONTAIN_SANDBOX_ROOTFS environment
variable (else the host's root, read-only).
"""

import os

import pytest

import pycontain

DEFAULT_TIMEOUT = 60.0


class Sandbox:
    """Runs containers for one test and removes them all in close()."""

    def __init__(self, rootfs=None):
        self.rootfs = rootfs
        self._containers = []

    def _defaults(self, options):
        options.setdefault("rootfs", self.rootfs)
        options.setdefault("network", "none")
        options.setdefault("read_only", True)
        options.setdefault("timeout", DEFAULT_TIMEOUT)
        return options

    def run(self, args, **options):
        """pycontain.run with the sandbox's defaults, capturing text output
        unless stdout or stderr is given."""
        if "stdout" not in options and "stderr" not in options:
            options.setdefault("capture_output", True)
        options.setdefault("text", True)
        return pycontain.run(args, **self._defaults(options))

    def container(self, args, **options):
        """A started pycontain.Container with the sandbox's defaults, removed
        at the end of the test."""
        container = pycontain.Container(args, **self._defaults(options))
        self._containers.append(container)
        container.start()
        return container

    def close(self):
        """Remove every container; return the errors of those that failed."""
        errors = []
        for container in self._containers:
            try:
                container.remove()
            except pycontain.Error as error:
                errors.append(error)
        self._containers = []
        return errors


def pytest_addoption(parser):
    parser.addoption(
        "--pycontain-rootfs",
        default=None,
        help="root filesystem directory for the sandbox fixture's containers "
        "(default: $PYCONTAIN_SANDBOX_ROOTFS, else the host's root read-only)",
    )


@pytest.fixture
def sandbox(request):
    """A Sandbox whose containers are removed after the test."""
    rootfs = (request.config.getoption("--pycontain-rootfs")
              or os.environ.get("PYCONTAIN_SANDBOX_ROOTFS") or None)
    box = Sandbox(rootfs)
    try:
        yield box
    finally:
        errors = box.close()
    if errors:
        pytest.fail(f"sandbox: could not remove containers: {errors}")
