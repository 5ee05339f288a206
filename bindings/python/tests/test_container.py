"""pycontain.Container on real containers: lifecycle, exec, logs, threads."""

import os
import signal
import threading
import time

import pytest

import pycontain


def test_context_manager_starts_and_removes(busybox):
    container = pycontain.Container(["sleep", "30"], rootfs=busybox)
    assert container.state == "created"
    assert container.pid == 0
    with container as box:
        assert box is container
        assert box.state == "running"
        assert box.pid > 0
    with pytest.raises(ValueError):
        container.state


def test_removed_even_when_block_raises(busybox):
    with pytest.raises(RuntimeError):
        with pycontain.Container(["sleep", "30"], rootfs=busybox):
            raise RuntimeError("test body failed")
    # nothing_leaked (conftest) checks that the process and state are gone.


def test_kill_gives_negative_returncode(busybox):
    with pycontain.Container(["sleep", "30"], rootfs=busybox) as box:
        box.kill(signal.SIGKILL)
        result = box.wait()
    assert result.signal == signal.SIGKILL
    assert result.returncode == -signal.SIGKILL


def test_wait_timeout_leaves_it_running(busybox):
    with pycontain.Container(["sleep", "30"], rootfs=busybox) as box:
        with pytest.raises(TimeoutError):
            box.wait(0.05)
        assert box.state == "running"
        result = box.wait(0.05, kill_on_timeout=True)
        assert result.timed_out
        assert box.state == "stopped"
        with pytest.raises(pycontain.StateError):
            box.wait()


def test_stop_uses_sigkill_after_grace(busybox):
    # sleep as PID 1 has no SIGTERM handler, so only SIGKILL ends it.
    with pycontain.Container(["sleep", "30"], rootfs=busybox) as box:
        start = time.monotonic()
        result = box.stop(timeout=0.2)
    assert result.signal == signal.SIGKILL
    assert time.monotonic() - start < 5


def test_exec_sees_container_namespaces(busybox):
    with pycontain.Container(["sleep", "30"], rootfs=busybox, hostname="inside") as box:
        result = box.exec(["sh", "-c", "hostname; ps -o pid,args | grep -c sleep"],
                          capture_output=True, text=True)
        assert result.returncode == 0
        assert result.stdout.split()[0] == "inside"
        assert int(result.stdout.split()[1]) >= 1


def test_exec_start_and_kill(busybox):
    with pycontain.Container(["sleep", "30"], rootfs=busybox) as box:
        with box.exec_start(["sleep", "30"]) as process:
            assert process.pid > 0
            with pytest.raises(pycontain.TimeoutExpired):
                process.wait(0.05)
            process.kill()
            assert process.wait().signal == signal.SIGKILL


def test_exec_after_exit_is_state_error(busybox):
    with pycontain.Container(["true"], rootfs=busybox) as box:
        box.wait()
        with pytest.raises(pycontain.StateError):
            box.exec(["true"])


def test_logs_while_running_and_after(busybox):
    with pycontain.Container(["sh", "-c", "echo started; sleep 30"], rootfs=busybox,
                             stdout=pycontain.PIPE, text=True) as box:
        deadline = time.monotonic() + 5
        while box.logs()[0] != "started\n" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert box.logs() == ("started\n", None)
        result = box.stop(timeout=0)
    assert result.stdout == "started\n"


def test_kill_from_another_thread_while_waiting(busybox):
    with pycontain.Container(["sleep", "30"], rootfs=busybox) as box:
        timer = threading.Timer(0.2, box.kill)
        timer.start()
        start = time.monotonic()
        result = box.wait()
        timer.join()
    assert result.signal == signal.SIGKILL
    assert time.monotonic() - start < 5


def test_invalid_spec_raises_at_construction(busybox):
    with pytest.raises(pycontain.SpecError) as raised:
        pycontain.Container(["true"], rootfs=busybox, spec={"id": "bad id!"})
    assert raised.value.field == "id"


def test_start_failure_leaves_it_created(busybox):
    container = pycontain.Container(["/no/such/command"], rootfs=busybox)
    with pytest.raises(pycontain.KernelError):
        container.start()
    assert container.state == "created"
    container.remove()


def _frozen(pid):
    """The cgroup v2 "frozen" flag of pid's cgroup, or None without one."""
    with open(f"/proc/{pid}/cgroup") as file:
        paths = [line.strip()[3:] for line in file if line.startswith("0::")]
    for mount in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        events = f"{mount}{paths[0]}/cgroup.events" if paths else ""
        if events and os.path.exists(events):
            with open(events) as file:
                fields = dict(line.split() for line in file)
            return fields.get("frozen") == "1"
    return None


def _wait_for_growth(path, seconds=5.0):
    """Return True once the file at `path` grows within `seconds`."""
    size = os.stat(path).st_size
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)
        if os.stat(path).st_size > size:
            return True
    return False


def test_pause_freezes_and_resume_continues(busybox, tmp_path):
    output = tmp_path / "lines"
    with open(output, "wb") as file, pycontain.Container(
            ["sh", "-c", "while :; do echo x; done"], rootfs=busybox, stdout=file) as box:
        assert _wait_for_growth(output)
        box.pause()
        assert box.state == "paused"
        assert box.pid > 0
        assert _frozen(box.pid) in (True, None)
        size = os.stat(output).st_size
        time.sleep(0.3)
        assert os.stat(output).st_size == size

        with pytest.raises(pycontain.StateError):
            box.pause()
        with pytest.raises(pycontain.StateError):
            box.exec(["true"])

        box.resume()
        assert box.state == "running"
        assert _frozen(box.pid) in (False, None)
        assert _wait_for_growth(output)
        with pytest.raises(pycontain.StateError):
            box.resume()


def test_pause_before_start_is_state_error(busybox):
    container = pycontain.Container(["true"], rootfs=busybox)
    with pytest.raises(pycontain.StateError):
        container.pause()
    container.remove()


def test_stop_paused_container(busybox):
    # sh as PID 1 ignores SIGTERM, so stop() ends with SIGKILL.
    with pycontain.Container(["sh", "-c", "sleep 30"], rootfs=busybox) as box:
        box.pause()
        result = box.stop(timeout=0.2)
        assert box.state == "stopped"
    assert result.signal == signal.SIGKILL


def test_remove_paused_container(busybox):
    container = pycontain.Container(["sleep", "30"], rootfs=busybox)
    container.start()
    container.pause()
    container.remove()
    # nothing_leaked (conftest) checks that the frozen process was reaped.
