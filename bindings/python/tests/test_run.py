"""pycontain.run on real containers: results, streams, options, errors."""

import logging
import os
import signal
import subprocess
import threading
import time

import pytest

import pycontain


def test_exit_status_and_args(busybox):
    result = pycontain.run(["sh", "-c", "exit 7"], rootfs=busybox)
    assert result.returncode == 7
    assert result.args == ["sh", "-c", "exit 7"]
    assert result.signal == 0
    assert result.stdout is None
    assert not result.timed_out


def test_capture_output_text(busybox):
    result = pycontain.run(["sh", "-c", "echo out; echo err >&2"], rootfs=busybox,
                           capture_output=True, text=True)
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"


def test_capture_bytes_and_stderr_to_stdout(busybox):
    result = pycontain.run(["sh", "-c", "echo a; echo b >&2"], rootfs=busybox,
                           stdout=pycontain.PIPE, stderr=pycontain.STDOUT)
    assert result.stdout == b"a\nb\n"
    assert result.stderr is None


def test_large_output_does_not_block(busybox):
    result = pycontain.run(["sh", "-c", "head -c 1048576 /dev/zero"], rootfs=busybox,
                           capture_output=True)
    assert len(result.stdout) == 1 << 20


def test_input_reaches_stdin(busybox):
    result = pycontain.run(["cat"], rootfs=busybox, input="fed in", capture_output=True,
                           text=True)
    assert result.stdout == "fed in"


def test_stdout_to_file_object(busybox, tmp_path):
    with open(tmp_path / "out", "w+b") as file:
        pycontain.run(["echo", "to file"], rootfs=busybox, stdout=file)
        file.seek(0)
        assert file.read() == b"to file\n"


def test_devnull(busybox):
    result = pycontain.run(["cat"], rootfs=busybox, stdin=pycontain.DEVNULL,
                           capture_output=True)
    assert result.stdout == b""


def test_env_cwd_user_hostname(busybox):
    result = pycontain.run(
        ["sh", "-c", "echo $GREETING; pwd; id -u; hostname"], rootfs=busybox,
        env={"GREETING": "hi"}, cwd="/etc", user="65534", hostname="box",
        capture_output=True, text=True)
    assert result.stdout.split() == ["hi", "/etc", "65534", "box"]


def test_pid_namespace(busybox):
    result = pycontain.run(["sh", "-c", "echo $$"], rootfs=busybox, capture_output=True,
                           text=True)
    assert result.stdout == "1\n"


def test_network_none_has_only_loopback(busybox):
    result = pycontain.run(["ls", "/sys/class/net"], rootfs=busybox, capture_output=True,
                           text=True)
    assert result.stdout.split() == ["lo"]


def test_read_only_root(busybox):
    result = pycontain.run(["touch", "/new-file"], rootfs=busybox, read_only=True,
                           capture_output=True)
    assert result.returncode != 0
    assert not os.path.exists(os.path.join(busybox, "new-file"))


def test_volumes_bind_and_read_only(busybox, tmp_path):
    (tmp_path / "in.txt").write_text("from host")
    result = pycontain.run(["sh", "-c", "cat /data/in.txt; echo x > /data/out.txt"],
                           rootfs=busybox, volumes=[f"{tmp_path}:/data"],
                           capture_output=True, text=True)
    assert result.stdout == "from host"
    assert (tmp_path / "out.txt").read_text() == "x\n"

    result = pycontain.run(["sh", "-c", "echo y > /data/out.txt"], rootfs=busybox,
                           volumes={str(tmp_path): {"bind": "/data", "mode": "ro"}},
                           capture_output=True)
    assert result.returncode != 0
    assert (tmp_path / "out.txt").read_text() == "x\n"


def test_timeout_kills(busybox):
    start = time.monotonic()
    result = pycontain.run(["sleep", "30"], rootfs=busybox, timeout=0.3)
    assert result.timed_out
    assert result.signal == signal.SIGKILL
    assert 0.3 <= result.wall_time < 10
    assert time.monotonic() - start < 10


def test_check_raises_with_result(busybox):
    with pytest.raises(pycontain.ContainerFailed) as raised:
        pycontain.run(["sh", "-c", "echo no; exit 3"], rootfs=busybox, check=True,
                      capture_output=True, text=True)
    assert raised.value.result.returncode == 3
    assert raised.value.returncode == 3
    assert raised.value.stdout == "no\n"
    assert pycontain.run(["true"], rootfs=busybox, check=True).returncode == 0


def test_accounting_fields(busybox):
    result = pycontain.run(["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"],
                           rootfs=busybox)
    assert result.cpu_time > 0
    assert result.wall_time >= result.cpu_time / 2
    assert result.memory_peak and result.memory_peak > 0
    assert len(result.id) == 12
    assert isinstance(result.receipt, dict)


def test_invalid_spec_raises_value_error_naming_field(busybox):
    with pytest.raises(ValueError) as raised:
        pycontain.run(["true"], rootfs=busybox, cwd="relative")
    assert isinstance(raised.value, pycontain.SpecError)
    assert raised.value.field == "process.cwd"
    assert "relative" in str(raised.value)


def test_spec_escape_hatch_unknown_field(busybox):
    with pytest.raises(pycontain.SpecError) as raised:
        pycontain.run(["true"], rootfs=busybox, spec={"process": {"bogus": 1}})
    assert raised.value.field == "process.bogus"


def test_kernel_failure_is_os_error(busybox):
    with pytest.raises(OSError) as raised:
        pycontain.run(["true"], rootfs=busybox + "/does-not-exist")
    assert isinstance(raised.value, pycontain.KernelError)
    assert raised.value.errno == 2
    assert raised.value.step


def test_failed_mount_step(busybox):
    with pytest.raises(pycontain.KernelError) as raised:
        pycontain.run(["true"], rootfs=busybox,
                      spec={"mounts": [{"destination": "/mnt", "type": "nosuchfs"}]})
    assert raised.value.errno == 19  # ENODEV
    assert "/mnt" in raised.value.step


def test_unknown_network_name_is_spec_error(busybox):
    with pytest.raises(pycontain.SpecError) as raised:
        pycontain.run(["true"], rootfs=busybox, network="no-such-network")
    assert raised.value.field == "network"
    assert "pycontain.networks.create" in str(raised.value)


def test_non_numeric_limit_is_spec_error(busybox):
    for argument, value in (("cpus", "abc"), ("pids_limit", "many")):
        with pytest.raises(pycontain.SpecError) as raised:
            pycontain.run(["true"], rootfs=busybox, **{argument: value})
        assert raised.value.field == argument
        assert f"{argument}: expected a number" in str(raised.value)


def test_seccomp_argument(busybox, tmp_path):
    # Under the default profile unshare(2) of a user namespace is blocked;
    # unconfined lets it through.
    script = "unshare -U true && echo allowed || echo blocked"
    blocked = pycontain.run(["sh", "-c", script], rootfs=busybox, capture_output=True,
                            text=True, seccomp="default")
    allowed = pycontain.run(["sh", "-c", script], rootfs=busybox, capture_output=True,
                            text=True, seccomp="unconfined")
    assert blocked.stdout == "blocked\n"
    assert allowed.stdout == "allowed\n"
    with pytest.raises(pycontain.SpecError) as raised:
        pycontain.run(["true"], rootfs=busybox, seccomp=str(tmp_path / "missing.json"))
    assert raised.value.field == "seccomp"


def test_unknown_keyword_is_type_error(busybox):
    with pytest.raises(TypeError):
        pycontain.run(["true"], rootfs=busybox, memroy="1g")


def test_bad_byte_size_names_argument(busybox):
    with pytest.raises(ValueError) as raised:
        pycontain.run(["true"], rootfs=busybox, memory="lots")
    assert "memory" in str(raised.value)


def test_log_lines_reach_logging(busybox, caplog):
    with caplog.at_level(logging.DEBUG, logger="pycontain"):
        result = pycontain.run(["true"], rootfs=busybox)
    lines = [record for record in caplog.records if record.name == "pycontain"]
    assert any(record.container_id == result.id for record in lines)
    assert any("pivot_root" in record.getMessage() for record in lines)

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="pycontain"):
        pycontain.run(["true"], rootfs=busybox)
    assert [r for r in caplog.records if r.levelno < logging.WARNING] == []


def test_threads_run_in_parallel(busybox):
    # Each container sleeps 1 s; with the GIL held during the wait, four of
    # them would take 4 s.
    results = []

    def one():
        results.append(pycontain.run(["sleep", "1"], rootfs=busybox))

    threads = [threading.Thread(target=one) for _ in range(4)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - start < 2.5
    assert [result.returncode for result in results] == [0, 0, 0, 0]


def test_subprocess_constants_are_accepted(busybox):
    result = pycontain.run(["echo", "x"], rootfs=busybox, stdout=subprocess.PIPE)
    assert result.stdout == b"x\n"


def test_memory_limit_applied_or_refused(busybox):
    # A limit is never dropped silently: either the receipt shows it in
    # force or the call raises NotImplementedError naming the argument.
    try:
        result = pycontain.run(["true"], rootfs=busybox, memory="16m")
    except NotImplementedError as error:
        assert error.argument == "memory"
        return
    assert result.receipt["memoryLimitBytes"] == str(16 << 20)
