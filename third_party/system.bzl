"""Declares Debian's system libraries as Bazel targets, offline.

`system_libraries` is a repository rule: it asks pkg-config for each library's
linker flags and include directories, and writes a BUILD file with one
`cc_library` per library. Nothing is downloaded; a missing package fails the
build with the name of the Debian package that provides it.
"""

# Bazel target name -> (pkg-config modules, Debian package that ships them).
_LIBRARIES = {
    "absl": ([
        "absl_status",
        "absl_statusor",
        "absl_strings",
        "absl_str_format",
        "absl_time",
        "absl_flat_hash_map",
        "absl_flat_hash_set",
        "absl_synchronization",
        "absl_random_random",
        "absl_cleanup",
    ], "libabsl-dev"),
    "protobuf": (["protobuf"], "libprotobuf-dev"),
    "seccomp": (["libseccomp"], "libseccomp-dev"),
    "archive": (["libarchive"], "libarchive-dev"),
    "squashfs": (["libsquashfs1"], "libsquashfs-dev"),
    "yaml": (["yaml-0.1"], "libyaml-dev"),
    "crypto": (["libcrypto"], "libssl-dev"),
    "gtest": (["gtest", "gmock"], "libgtest-dev libgmock-dev"),
    "gtest_main": (["gtest_main", "gmock"], "libgtest-dev libgmock-dev"),
    "benchmark": (["benchmark"], "libbenchmark-dev"),
    "python": (["python3-embed"], "python3-dev"),
    # Headers only: an extension module must not link libpython, because
    # the interpreter that imports it provides those symbols. Python's
    # python3.pc (not python3-embed) gives its include directories.
    "pybind11": (["pybind11", "python3"], "pybind11-dev python3-dev"),
}

def _pkg_config(ctx, args, package):
    result = ctx.execute(["pkg-config"] + args)
    if result.return_code != 0:
        fail("pkg-config %s failed (install the Debian package %s): %s" %
             (" ".join(args), package, result.stderr))
    return result.stdout.strip().split(" ") if result.stdout.strip() else []

def _system_libraries_impl(ctx):
    rules = []
    for name, (modules, package) in _LIBRARIES.items():
        linkopts = _pkg_config(ctx, ["--libs"] + modules, package)
        includes = []
        for flag in _pkg_config(ctx, ["--cflags-only-I"] + modules, package):
            directory = flag[2:]
            if directory == "/usr/include" or not directory:
                continue

            # Bazel only accepts include directories inside a repository, so
            # each one is linked in under include/<name>/<n>.
            local = "include/%s/%d" % (name, len(includes))
            ctx.symlink(directory, local)
            includes.append(local)
        rules.append("""
cc_library(
    name = "{name}",
    hdrs = glob(["include/{name}/**/*.h"], allow_empty = True),
    includes = {includes},
    linkopts = {linkopts},
)
""".format(name = name, includes = repr(includes), linkopts = repr(linkopts)))

    protoc = ctx.which("protoc")
    if protoc == None:
        fail("protoc not found (install the Debian package protobuf-compiler)")
    ctx.symlink(protoc, "protoc")

    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", """package(default_visibility = ["//visibility:public"])

exports_files(["protoc"])
""" + "".join(rules))

system_libraries = repository_rule(
    implementation = _system_libraries_impl,
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)
