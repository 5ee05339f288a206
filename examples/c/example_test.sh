#!/usr/bin/env bash
# Installs the C API into a temporary prefix with capi/install.sh, builds
# run_limited.c with `cc $(pkg-config --cflags --libs pycontain)` as a user
# would, and runs it as root in the busybox root filesystem: once within a
# 16 MiB limit, once over it.
set -euo pipefail

cd "${TEST_SRCDIR}/${TEST_WORKSPACE}"
prefix=${TEST_TMPDIR}/prefix
capi/install.sh "${prefix}" capi/libpycontain.so capi/pycontain.h capi/pycontain.pc.in

export PKG_CONFIG_PATH=${prefix}/lib/pkgconfig
# shellcheck disable=SC2046  # pkg-config prints several flags on purpose
cc -std=c99 -Wall -Wextra -Werror examples/c/run_limited.c \
  $(pkg-config --cflags --libs pycontain) -o "${TEST_TMPDIR}/run_limited"
export LD_LIBRARY_PATH=${prefix}/lib

root=${PYCONTAIN_TEST_BUSYBOX_ROOTFS:?set it to the busybox root (scripts/make-test-rootfs)}
output=$("${TEST_TMPDIR}/run_limited" "${root}" 16777216 sh -c 'echo hello')
echo "${output}"
grep -qx "exit code 0" <<<"${output}"
grep -q '"memoryLimitBytes":"16777216"' <<<"${output}"

# 64 MiB held in a shell variable exceed the limit: the OOM killer ends it.
status=0
output=$("${TEST_TMPDIR}/run_limited" "${root}" 16777216 sh -c \
  'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo ${#x}') || status=$?
echo "${output}"
[[ ${status} == 137 ]]
grep -qx "oom killed: yes" <<<"${output}"
echo "example_test: passed"
