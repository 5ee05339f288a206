"""Tests for test_summary.py on sample googletest, pytest and Bazel output."""

import json
import pathlib
import subprocess
import sys

import test_summary

SCRIPT = pathlib.Path(__file__).with_name("test_summary.py")

# The shape of googletest 1.12's report for one passing, one skipped, one
# failing and one disabled test.
GTEST_XML = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4" failures="1" disabled="1" errors="0" time="0" name="AllTests">
  <testsuite name="Mount" tests="4" failures="1" disabled="1" skipped="1" errors="0" time="0">
    <testcase name="Bind" file="m.cc" line="2" status="run" result="completed" time="0" classname="Mount" />
    <testcase name="Overlay" file="m.cc" line="3" status="run" result="skipped" time="0" classname="Mount">
      <skipped message="m.cc:3&#x0A;needs overlayfs &amp; root"><![CDATA[m.cc:3
needs overlayfs & root]]></skipped>
    </testcase>
    <testcase name="Tmpfs" file="m.cc" line="4" status="run" result="completed" time="0" classname="Mount">
      <failure message="m.cc:4&#x0A;Expected equality of these values:&#x0A;  1&#x0A;  2" type=""><![CDATA[m.cc:4
Expected equality of these values:
  1
  2]]></failure>
    </testcase>
    <testcase name="DISABLED_Proc" file="m.cc" line="5" status="notrun" result="suppressed" time="0" classname="Mount" />
  </testsuite>
</testsuites>
"""

PASSING_GTEST_XML = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="2" failures="0" disabled="0" errors="0" time="0" name="AllTests">
  <testsuite name="Status" tests="2" failures="0" disabled="0" skipped="0" errors="0" time="0">
    <testcase name="Ok" status="run" result="completed" time="0" classname="Status" />
    <testcase name="Errno" status="run" result="completed" time="0" classname="Status" />
  </testsuite>
</testsuites>
"""

# The shape of pytest 7.2's --junitxml report.
PYTEST_XML = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5" time="0.1">
<testcase classname="test_run" name="test_exit_code" time="0.01" />
<testcase classname="test_run" name="test_signal" time="0.01"><failure message="assert 9 == 15">trace</failure></testcase>
<testcase classname="test_run" name="test_rootless" time="0.01"><skipped type="pytest.skip" message="needs user namespaces">test_run.py:9: needs user namespaces</skipped></testcase>
<testcase classname="test_run" name="test_fixture" time="0.01"><error message="failed on setup with &quot;OSError&quot;">trace</error></testcase>
<testcase classname="test_run" name="test_hostname" time="0.01" />
</testsuite></testsuites>
"""

# The report that Bazel 4 writes when a test binary exits without one.
BAZEL_GENERATED_XML = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="lib/ns/clone_test" tests="1" failures="0" errors="1">
    <testcase name="lib/ns/clone_test" status="run" duration="0" time="0"><error message="exited with error code 134"></error></testcase>
      <system-out>Generated test.log</system-out>
    </testsuite>
</testsuites>
"""


def write(directory, name, text):
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def outcomes(cases):
    return [(case.name, case.outcome) for case in cases]


def result_event(label, status, report, attempt=1, shard=1):
    return {
        "id": {"testResult": {"label": label, "run": 1, "shard": shard, "attempt": attempt}},
        "testResult": {
            "status": status,
            "testActionOutput": [
                {"name": "test.log", "uri": "file:///dev/null"},
                {"name": "test.xml", "uri": "file://" + report},
            ],
        },
    }


def write_events(directory, events):
    path = directory / "events.json"
    path.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    return str(path)


def test_gtest_report_outcomes(tmp_path):
    cases = test_summary.parse_junit("//lib:mount_test", write(tmp_path, "t.xml", GTEST_XML))

    assert outcomes(cases) == [
        ("Bind", "passed"),
        ("Overlay", "skipped"),
        ("Tmpfs", "failed"),
        ("DISABLED_Proc", "skipped"),
    ]
    assert cases[1].message == "needs overlayfs & root"
    assert cases[2].message == "Expected equality of these values:"
    assert cases[3].message == "disabled"
    assert cases[0].suite == "Mount"


def test_pytest_report_outcomes(tmp_path):
    cases = test_summary.parse_junit("scripts", write(tmp_path, "p.xml", PYTEST_XML))

    assert outcomes(cases) == [
        ("test_exit_code", "passed"),
        ("test_signal", "failed"),
        ("test_rootless", "skipped"),
        ("test_fixture", "failed"),
        ("test_hostname", "passed"),
    ]
    assert cases[2].message == "needs user namespaces"
    assert cases[3].message == 'failed on setup with "OSError"'


def test_bare_testsuite_root(tmp_path):
    text = '<testsuite name="s"><testcase classname="c" name="a"/></testsuite>'
    cases = test_summary.parse_junit("x", write(tmp_path, "s.xml", text))

    assert outcomes(cases) == [("a", "passed")]


def test_missing_report_fails(tmp_path):
    cases = test_summary.parse_junit("//a:t", str(tmp_path / "absent.xml"))

    assert outcomes(cases) == [("//a:t", "failed")]
    assert "no test report" in cases[0].message


def test_truncated_report_fails(tmp_path):
    path = write(tmp_path, "t.xml", GTEST_XML[:200])
    cases = test_summary.parse_junit("//a:t", path)

    assert outcomes(cases) == [("//a:t", "failed")]
    assert "invalid test report" in cases[0].message


def test_crashed_target_counts_once(tmp_path):
    report = write(tmp_path, "t.xml", BAZEL_GENERATED_XML)
    events = write_events(tmp_path, [result_event("//lib/ns:clone_test", "FAILED", report)])

    cases = test_summary.collect_bazel_cases(test_summary.read_build_events(events), 3)

    assert len(cases) == 1
    assert cases[0].outcome == "failed"
    assert cases[0].display_name == "//lib/ns:clone_test"
    assert cases[0].message == "exited with error code 134"


def test_failed_target_with_passing_report(tmp_path):
    # A binary that wrote a passing report and then exited non-zero, such as
    # a leak check at exit.
    report = write(tmp_path, "t.xml", PASSING_GTEST_XML)
    events = write_events(tmp_path, [result_event("//lib:status_test", "FAILED", report)])

    cases = test_summary.collect_bazel_cases(test_summary.read_build_events(events), 3)

    assert outcomes(cases) == [
        ("Ok", "passed"),
        ("Errno", "passed"),
        ("//lib:status_test", "failed"),
    ]
    assert cases[2].message == "test target status FAILED"


def test_timeout_without_report(tmp_path):
    events = write_events(
        tmp_path,
        [result_event("//t:slow_test", "TIMEOUT", str(tmp_path / "absent.xml"))],
    )

    cases = test_summary.collect_bazel_cases(test_summary.read_build_events(events), 3)

    assert outcomes(cases) == [("//t:slow_test", "failed")]


def test_last_attempt_decides(tmp_path):
    failing = write(tmp_path, "first.xml", BAZEL_GENERATED_XML)
    passing = write(tmp_path, "second.xml", PASSING_GTEST_XML)
    events = write_events(
        tmp_path,
        [
            result_event("//lib:status_test", "FAILED", failing, attempt=1),
            result_event("//lib:status_test", "PASSED", passing, attempt=2),
        ],
    )

    cases = test_summary.collect_bazel_cases(test_summary.read_build_events(events), 0)

    assert outcomes(cases) == [("Ok", "passed"), ("Errno", "passed")]


def test_shards_all_count(tmp_path):
    report = write(tmp_path, "t.xml", PASSING_GTEST_XML)
    events = write_events(
        tmp_path,
        [
            result_event("//lib:status_test", "PASSED", report, shard=1),
            result_event("//lib:status_test", "PASSED", report, shard=2),
        ],
    )

    cases = test_summary.collect_bazel_cases(test_summary.read_build_events(events), 0)

    assert len(cases) == 4


def test_build_failures_count(tmp_path):
    events = write_events(
        tmp_path,
        [
            {
                "id": {"targetCompleted": {"label": "//lib:broken_test"}},
                "completed": {"failureDetail": {"message": "local spawn failed for CppCompile"}},
            },
            {
                "id": {"targetCompleted": {"label": "//lib:missing_dep_test"}},
                "aborted": {"reason": "ANALYSIS_FAILURE"},
            },
            {
                "id": {"targetCompleted": {"label": "//lib:other_platform"}},
                "aborted": {"reason": "SKIPPED"},
            },
            {
                "id": {"targetCompleted": {"label": "//lib:ok"}},
                "completed": {"success": True},
            },
        ],
    )

    cases = test_summary.collect_bazel_cases(test_summary.read_build_events(events), 1)

    assert outcomes(cases) == [
        ("//lib:broken_test", "failed"),
        ("//lib:missing_dep_test", "failed"),
    ]
    assert cases[0].message == "failed to build: local spawn failed for CppCompile"
    assert cases[1].message == "not built: ANALYSIS_FAILURE"


def test_unexplained_exit_code_fails(tmp_path):
    events = write_events(tmp_path, [])

    cases = test_summary.collect_bazel_cases(test_summary.read_build_events(events), 1)

    assert outcomes(cases) == [("bazel", "failed")]


def test_no_tests_found_is_not_a_failure(tmp_path):
    events = write_events(tmp_path, [])

    cases = test_summary.collect_bazel_cases(test_summary.read_build_events(events), 4)

    assert cases == []


def test_total_line_formats():
    passed = test_summary.CaseResult("s", "c", "a", "passed")
    failed = test_summary.CaseResult("s", "c", "b", "failed")
    skipped = test_summary.CaseResult("s", "c", "d", "skipped")

    assert test_summary.total_line([passed, passed, failed]) == "2 passed, 1 failed"
    assert test_summary.total_line([passed, skipped]) == "1 passed, 0 failed, 1 skipped"
    assert test_summary.total_line([]) == "0 passed, 0 failed"


def run_script(*args):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_script_summary_and_exit_status(tmp_path):
    pytest_report = write(tmp_path, "p.xml", PYTEST_XML)
    gtest_report = write(tmp_path, "g.xml", GTEST_XML)
    events = write_events(tmp_path, [result_event("//lib:mount_test", "FAILED", gtest_report)])

    result = run_script(
        "--junit", "scripts", pytest_report, "1",
        "--bazel-events", events,
        "--bazel-exit-code", "3",
    )

    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[-1] == "3 passed, 3 failed, 3 skipped"
    assert "  //lib:mount_test Mount.Overlay: needs overlayfs & root" in lines
    assert "  scripts test_run.test_rootless: needs user namespaces" in lines
    assert "  //lib:mount_test Mount.Tmpfs: Expected equality of these values:" in lines


def test_script_passes_when_all_pass(tmp_path):
    report = write(tmp_path, "g.xml", PASSING_GTEST_XML)
    events = write_events(tmp_path, [result_event("//lib:status_test", "PASSED", report)])

    result = run_script("--bazel-events", events, "--bazel-exit-code", "0")

    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "2 passed, 0 failed"


def test_script_fails_when_no_test_ran(tmp_path):
    events = write_events(tmp_path, [])

    result = run_script("--bazel-events", events, "--bazel-exit-code", "4")

    assert result.returncode == 1
    assert "error: no test ran" in result.stdout
    assert result.stdout.splitlines()[-1] == "0 passed, 0 failed"


def test_script_fails_without_pytest_report(tmp_path):
    result = run_script("--junit", "scripts", str(tmp_path / "absent.xml"), "2")

    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "0 passed, 1 failed"
