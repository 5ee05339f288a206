#!/usr/bin/python3
"""Summarize the results of one `bazel test` run and of other JUnit XML reports.

scripts/test calls this after `bazel test --build_event_json_file=FILE`. The
build event file (JSON, one event per line) names the test targets that this
invocation ran or took from the cache, their status and their test.xml. This
script reads only those test.xml files, so results that an earlier run left in
bazel-testlogs for a target that no longer exists are not counted.

Counting rules:
  * Each <testcase> is one test: failed if it has a <failure> or <error>
    child, skipped if it has a <skipped> child, result="skipped" or
    status="notrun" (a googletest DISABLED_ test), and passed otherwise.
  * A test target whose status is not PASSED or FLAKY but whose test.xml
    shows no failed test (a crash after the report was written, a timeout, a
    missing report) counts as one failed test named after the target.
  * A requested target that failed to build counts as one failed test.
  * A report given with --junit whose command exited non-zero counts the same
    way as a failed test target.

The last line printed is `N passed, N failed`, followed by `, N skipped` when
tests were skipped. The exit status is 1 when a test failed or no test ran.

Uses only the standard library, so Debian's /usr/bin/python3 runs it as is.
"""

import argparse
import collections
import dataclasses
import json
import sys
import urllib.parse
import xml.etree.ElementTree as ElementTree

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"

# Bazel test statuses after which the target's own report decides the outcome.
PASSING_TARGET_STATUSES = ("PASSED", "FLAKY")

# `bazel test` exit codes that the test results already explain: 0 (all
# passed), 3 (some tests failed) and 4 (no test targets matched).
BAZEL_RESULT_EXIT_CODES = (0, 3, 4)


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """One test's outcome, with the target or report that ran it."""

    source: str
    suite: str
    name: str
    outcome: str
    message: str = ""

    @property
    def display_name(self):
        # Bazel's own report for a test binary that wrote none names the
        # suite and the test case after the target, so show the label alone.
        if self.name in (self.source, self.suite):
            return self.source
        if self.suite:
            return f"{self.source} {self.suite}.{self.name}"
        return f"{self.source} {self.name}"


def outcome_message(element):
    """Return the reason stored in a <failure>, <error> or <skipped> element.

    googletest puts the source location on the first line of the message and
    the reason after it, so for a multi-line message this skips a first line
    that looks like `file:line`.
    """
    text = element.get("message") or element.text or ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and ":" in lines[0] and lines[0].rsplit(":", 1)[1].isdigit():
        lines = lines[1:]
    return lines[0] if lines else ""


def classify_testcase(testcase):
    """Return (outcome, message) for one <testcase> element."""
    for tag in ("failure", "error"):
        child = testcase.find(tag)
        if child is not None:
            return FAILED, outcome_message(child)

    child = testcase.find("skipped")
    if child is not None:
        return SKIPPED, outcome_message(child)
    if testcase.get("result") == "skipped":
        return SKIPPED, ""
    if testcase.get("status") == "notrun":
        return SKIPPED, "disabled"
    return PASSED, ""


def parse_junit(source, path):
    """Parse the JUnit XML report at path into a list of CaseResult.

    Accepts a <testsuites> or a lone <testsuite> root, as googletest, pytest
    and Bazel write them. A report that is missing or not valid XML yields one
    failed CaseResult that names the problem.
    """
    try:
        root = ElementTree.parse(path).getroot()
    except FileNotFoundError:
        return [CaseResult(source, "", source, FAILED, f"no test report at {path}")]
    except ElementTree.ParseError as error:
        return [CaseResult(source, "", source, FAILED, f"invalid test report {path}: {error}")]

    cases = []
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    for suite in suites:
        for testcase in suite.findall("testcase"):
            outcome, message = classify_testcase(testcase)
            suite_name = testcase.get("classname") or suite.get("name") or ""
            name = testcase.get("name") or "(unnamed)"
            cases.append(CaseResult(source, suite_name, name, outcome, message))
    return cases


def add_exit_failure(cases, source, description):
    """Append a failed CaseResult for source unless cases already has one."""
    if not any(case.outcome == FAILED and case.source == source for case in cases):
        cases.append(CaseResult(source, "", source, FAILED, description))


@dataclasses.dataclass
class TargetRun:
    """The last attempt of one run of one shard of a test target."""

    label: str
    attempt: int
    status: str
    report: str


@dataclasses.dataclass
class BuildEvents:
    """What a summary needs from Bazel's build event file."""

    test_runs: list
    build_failures: dict  # target label or pattern -> description


def uri_to_path(uri):
    """Return the local path of a file:// URI from a build event."""
    parsed = urllib.parse.urlparse(uri)
    return urllib.parse.unquote(parsed.path)


def read_build_events(path):
    """Read the test runs and build failures from Bazel's JSON build events."""
    runs = {}
    build_failures = {}
    with open(path, encoding="utf-8") as events:
        for line in events:
            if not line.strip():
                continue
            event = json.loads(line)
            event_id = event.get("id", {})

            if "testResult" in event_id:
                key = event_id["testResult"]
                result = event.get("testResult", {})
                report = ""
                for output in result.get("testActionOutput", []):
                    if output.get("name") == "test.xml":
                        report = uri_to_path(output.get("uri", ""))
                run_key = (key.get("label", "?"), key.get("run", 1), key.get("shard", 1))
                attempt = key.get("attempt", 1)
                # With --flaky_test_attempts a shard has one event per
                # attempt, and only the last attempt decides the result.
                if run_key not in runs or runs[run_key].attempt < attempt:
                    runs[run_key] = TargetRun(
                        run_key[0], attempt, result.get("status", "NO_STATUS"), report
                    )

            elif "targetCompleted" in event_id:
                label = event_id["targetCompleted"].get("label", "?")
                if "aborted" in event:
                    aborted = event["aborted"]
                    # SKIPPED marks a target that is incompatible with the
                    # platform, which Bazel does not build on purpose.
                    if aborted.get("reason") != "SKIPPED":
                        build_failures[label] = "not built: " + (
                            aborted.get("description") or aborted.get("reason", "aborted")
                        )
                elif not event.get("completed", {}).get("success", False):
                    detail = event.get("completed", {}).get("failureDetail", {})
                    build_failures[label] = "failed to build: " + detail.get(
                        "message", "see the bazel output above"
                    )

            elif "pattern" in event_id and "aborted" in event:
                pattern = " ".join(event_id["pattern"].get("pattern", []))
                aborted = event["aborted"]
                build_failures[pattern] = "target pattern failed: " + (
                    aborted.get("description") or aborted.get("reason", "aborted")
                )

    return BuildEvents(list(runs.values()), build_failures)


def collect_bazel_cases(events, exit_code):
    """Return the CaseResult list for one `bazel test` invocation."""
    cases = []
    for run in sorted(events.test_runs, key=lambda run: run.label):
        if run.report:
            cases.extend(parse_junit(run.label, run.report))
        else:
            cases.append(
                CaseResult(run.label, "", run.label, FAILED, "bazel reported no test.xml")
            )
        if run.status not in PASSING_TARGET_STATUSES:
            add_exit_failure(cases, run.label, f"test target status {run.status}")

    for label, description in sorted(events.build_failures.items()):
        cases.append(CaseResult(label, "", label, FAILED, description))

    # Exit code 1 means a build failure. A BUILD file that does not parse
    # produces only that exit code and no event that names a target, so the
    # exit code counts as a failure when no target failed to build.
    explained = exit_code == 1 and events.build_failures
    if exit_code not in BAZEL_RESULT_EXIT_CODES and exit_code is not None and not explained:
        cases.append(
            CaseResult(
                "bazel", "", "bazel", FAILED,
                f"bazel test exited with code {exit_code}; see its output above",
            )
        )
    return cases


def suite_table(cases):
    """Return the per-suite table as a list of lines."""
    counts = collections.OrderedDict()
    for case in cases:
        row = counts.setdefault((case.source, case.suite), collections.Counter())
        row[case.outcome] += 1

    source_width = max([len("target")] + [len(source) for source, _ in counts])
    suite_width = max([len("suite")] + [len(suite) for _, suite in counts])
    lines = [
        f"{'target':<{source_width}}  {'suite':<{suite_width}}  passed  failed  skipped"
    ]
    for (source, suite), row in counts.items():
        lines.append(
            f"{source:<{source_width}}  {suite:<{suite_width}}  "
            f"{row[PASSED]:>6}  {row[FAILED]:>6}  {row[SKIPPED]:>7}"
        )
    return lines


def total_line(cases):
    """Return the closing `N passed, N failed[, N skipped]` line."""
    totals = collections.Counter(case.outcome for case in cases)
    line = f"{totals[PASSED]} passed, {totals[FAILED]} failed"
    if totals[SKIPPED]:
        line += f", {totals[SKIPPED]} skipped"
    return line


def render_summary(cases):
    """Return the summary text and the exit status for a list of CaseResult."""
    lines = [""]
    if cases:
        lines.extend(suite_table(cases))

    for outcome, heading in ((SKIPPED, "skipped tests:"), (FAILED, "failed tests:")):
        selected = [case for case in cases if case.outcome == outcome]
        if selected:
            lines.append("")
            lines.append(heading)
            for case in selected:
                reason = case.message or "no reason given"
                lines.append(f"  {case.display_name}: {reason}")

    failed = any(case.outcome == FAILED for case in cases)
    ran = any(case.outcome in (PASSED, FAILED) for case in cases)
    if not ran:
        lines.append("")
        lines.append("error: no test ran")

    lines.append("")
    lines.append(total_line(cases))
    return "\n".join(lines) + "\n", 1 if failed or not ran else 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--bazel-events",
        metavar="FILE",
        help="build event JSON file written by bazel test --build_event_json_file",
    )
    parser.add_argument(
        "--bazel-exit-code",
        type=int,
        metavar="CODE",
        help="exit code of that bazel test command",
    )
    parser.add_argument(
        "--junit",
        nargs=3,
        action="append",
        default=[],
        metavar=("NAME", "FILE", "EXIT_CODE"),
        help="a JUnit XML report, the name to show for it and the exit code "
        "of the command that wrote it; may be repeated",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cases = []

    for name, path, exit_code in args.junit:
        cases.extend(parse_junit(name, path))
        if int(exit_code) != 0:
            add_exit_failure(cases, name, f"exited with code {exit_code}")

    if args.bazel_events:
        try:
            events = read_build_events(args.bazel_events)
        except (OSError, json.JSONDecodeError) as error:
            cases.append(
                CaseResult("bazel", "", "bazel", FAILED, f"cannot read build events: {error}")
            )
        else:
            cases.extend(collect_bazel_cases(events, args.bazel_exit_code))

    text, status = render_summary(cases)
    sys.stdout.write(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
