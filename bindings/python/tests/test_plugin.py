"""The sandbox fixture of pycontain.pytest_plugin, run through pytester."""

import os

pytest_plugins = ["pytester"]


def test_sandbox_runs_with_defaults(pytester, busybox):
    pytester.makepyfile("""
        def test_inner(sandbox):
            result = sandbox.run(["sh", "-c", "echo hi; touch /x"])
            assert result.stdout == "hi\\n"
            assert result.returncode != 0  # read-only root
    """)
    outcome = pytester.runpytest_inprocess("-p", "pycontain.pytest_plugin",
                                           f"--pycontain-rootfs={busybox}")
    outcome.assert_outcomes(passed=1)


def test_sandbox_cleans_up_after_failure(pytester, busybox):
    pytester.makepyfile("""
        import os
        def test_inner(sandbox):
            box = sandbox.container(["sleep", "30"])
            with open(os.environ["PID_FILE"], "w") as file:
                file.write(str(box.pid))
            assert False, "the test fails while its container runs"
    """)
    pid_file = pytester.path / "pid"
    os.environ["PID_FILE"] = str(pid_file)
    try:
        outcome = pytester.runpytest_inprocess("-p", "pycontain.pytest_plugin",
                                               f"--pycontain-rootfs={busybox}")
    finally:
        del os.environ["PID_FILE"]
    outcome.assert_outcomes(failed=1)
    pid = int(pid_file.read_text())
    assert pid > 0
    assert not os.path.exists(f"/proc/{pid}")
