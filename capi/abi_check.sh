#!/usr/bin/env bash
# Compares libpycontain.so's ABI with the baseline in capi/abi with
# libabigail's abidiff, and fails on any change: a removed or changed
# function or type breaks callers, and an added one must be recorded in the
# baseline on purpose. To record it after a deliberate addition, run from
# the repository root:
#   bazel build //capi:libpycontain.so && abidw --headers-dir capi \
#     --drop-private-types --suppressions capi/abi/suppressions.ini \
#     --out-file capi/abi/libpycontain.abi bazel-bin/capi/libpycontain.so
set -euo pipefail

cd "${TEST_SRCDIR}/${TEST_WORKSPACE}"
status=0
abidiff --headers-dir2 capi --suppressions capi/abi/suppressions.ini \
  capi/abi/libpycontain.abi capi/libpycontain.so || status=$?
if ((status != 0)); then
  echo "abi_check: libpycontain.so differs from capi/abi/libpycontain.abi (abidiff status ${status});" \
    "see the top of capi/abi_check.sh" >&2
  exit 1
fi
echo "abi_check: the ABI matches the baseline"
