#!/bin/sh
# Runs compose_v1_test.py with the system's Python 3: Bazel 4's py_test
# needs a Python toolchain that is not available offline.
exec /usr/bin/python3 tests/compose_v1_test.py "$@"
