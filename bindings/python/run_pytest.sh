#!/usr/bin/env bash
# Runs the pytest suite of the Python bindings from Bazel's runfiles, where
# bindings/python/pycontain holds both the Python files and the built
# extension. Bazel gives the JUnit XML path in XML_OUTPUT_FILE and counts
# its test cases as the target's results.
set -euo pipefail

runfiles=${TEST_SRCDIR}/${TEST_WORKSPACE}
export PYTHONPATH=${runfiles}/bindings/python
export PYTHONDONTWRITEBYTECODE=1
# A private state root, so that the leak checks see only this test's
# containers and not those of other tests running at the same time.
export PYCONTAIN_STATE_DIR=${TEST_TMPDIR}/state
# A private image store too, which containers started with image= read.
export PYCONTAIN_ROOT=${TEST_TMPDIR}/store
export PYCONTAIN_EXTENSION=${runfiles}/bindings/python/pycontain/_pycontain.so
cd "${runfiles}"
# Debian's interpreter, which python3-pytest installs pytest for.
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider \
  --junitxml="${XML_OUTPUT_FILE:-${TEST_TMPDIR}/pytest.xml}" \
  --basetemp="${TEST_TMPDIR}/pytest" \
  bindings/python/tests "$@"
