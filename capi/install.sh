#!/usr/bin/env bash
# Installs the C API's header, shared library and pkg-config file under
# PREFIX from an already built libpycontain.so.
#
# Usage: capi/install.sh PREFIX LIBRARY HEADER PC_TEMPLATE
# scripts/install-capi builds the library and calls this; tests call it
# with Bazel's outputs.
set -euo pipefail

if (($# != 4)); then
  echo "usage: $0 PREFIX LIBRARY HEADER PC_TEMPLATE" >&2
  exit 2
fi
prefix=$1 library=$2 header=$3 template=$4

# The version from the header's macros, such as 0.1.0.
version_part() {
  awk -v name="PYCONTAIN_VERSION_$1" '$1 == "#define" && $2 == name { print $3 }' "${header}"
}
version=$(version_part MAJOR).$(version_part MINOR).$(version_part PATCH)
major=$(version_part MAJOR)

install -D -m 0644 "${header}" "${prefix}/include/pycontain.h"
install -D -m 0755 "${library}" "${prefix}/lib/libpycontain.so.${version}"
ln -sf "libpycontain.so.${version}" "${prefix}/lib/libpycontain.so.${major}"
ln -sf "libpycontain.so.${major}" "${prefix}/lib/libpycontain.so"
mkdir -p "${prefix}/lib/pkgconfig"
sed -e "s|@PREFIX@|${prefix}|" -e "s|@VERSION@|${version}|" "${template}" \
  >"${prefix}/lib/pkgconfig/pycontain.pc"
echo "installed pycontain ${version} under ${prefix}"
