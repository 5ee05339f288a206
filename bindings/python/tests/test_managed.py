"""pycontain.managed: a named container's whole lifecycle."""

import os
import time

import pytest

import pycontain


def _wait_for_log(name, text, seconds=5.0):
    deadline = time.monotonic() + seconds
    while text not in pycontain.managed.logs(name) and time.monotonic() < deadline:
        time.sleep(0.02)
    return pycontain.managed.logs(name)


def test_run_list_logs_stop_remove(busybox):
    name = f"py-managed-{os.getpid()}"
    record = pycontain.managed.run(["sh", "-c", "echo out; echo err >&2; sleep 300"],
                                   rootfs=busybox, name=name, labels={"py.test": "managed"},
                                   memory="64m")
    try:
        assert record["Name"] == f"/{name}"
        assert record["Config"]["Labels"] == {"py.test": "managed"}
        # The record returned is the running container's.
        assert record["State"]["Status"] == "running"
        assert record["State"]["Pid"] > 0
        with pytest.raises(pycontain.Error) as raised:
            pycontain.managed.create(["true"], rootfs=busybox, name=name)
        assert raised.value.code == "ALREADY_EXISTS"

        [listed] = pycontain.managed.list(labels={"py.test": None})
        assert listed.name == name
        assert listed.id == record["Id"]
        assert listed.short_id == record["Id"][:12]
        assert listed.status == "running"
        assert listed.state["Pid"] > 0
        assert pycontain.managed.list(labels={"py.test": "other"}) == []

        assert _wait_for_log(name, "err\n") in ("out\nerr\n", "err\nout\n")
        assert pycontain.managed.logs(name, stream="stdout") == "out\n"
        assert pycontain.managed.logs(name, stream="stderr") == "err\n"
        assert pycontain.managed.logs(name, tail=1) in ("out\n", "err\n")

        with pytest.raises(pycontain.StateError):
            pycontain.managed.remove(name)
        pycontain.managed.stop(name, timeout=0.2)
        assert pycontain.managed.wait(name) == 137
        assert pycontain.managed.inspect(name)["State"]["Status"] == "exited"
        [stopped] = pycontain.managed.list(all=True, labels={"py.test": "managed"})
        assert stopped.status == "exited"

        # Started again, the same container runs its command anew.
        pycontain.managed.start(name)
        assert pycontain.managed.list(labels={"py.test": None})[0].status == "running"
        pycontain.managed.kill(name)
        assert pycontain.managed.wait(name) == 137
    finally:
        pycontain.managed.remove(name, force=True)
    with pytest.raises(pycontain.NotFoundError):
        pycontain.managed.inspect(name)


def test_exit_code_and_auto_remove(busybox):
    name = f"py-exit-{os.getpid()}"
    pycontain.managed.run(["sh", "-c", "exit 3"], rootfs=busybox, name=name)
    try:
        assert pycontain.managed.wait(name) == 3
    finally:
        pycontain.managed.remove(name)

    removed = f"py-rm-{os.getpid()}"
    pycontain.managed.run(["true"], rootfs=busybox, name=removed, auto_remove=True)
    deadline = time.monotonic() + 5
    while (any(box.name == removed for box in pycontain.managed.list(all=True))
           and time.monotonic() < deadline):
        time.sleep(0.02)
    assert all(box.name != removed for box in pycontain.managed.list(all=True))


def test_invalid_arguments(busybox):
    with pytest.raises(TypeError):
        pycontain.managed.create(["true"], rootfs=busybox, stdout=None)
    with pytest.raises(pycontain.SpecError):
        pycontain.managed.create(["true"], rootfs=busybox, name="bad name!")
    with pytest.raises(pycontain.NotFoundError):
        pycontain.managed.start("py-no-such-container")
