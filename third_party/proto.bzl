"""Generates C++ from .proto files with the system's protoc.

Bazel 4's native proto rules expect protobuf's own Bazel repository, which
is not available offline, so this macro runs protoc in a genrule instead.
"""

def cc_proto(name, srcs, deps = [], visibility = None):
    """Declares a cc_library `name` built from the messages in `srcs`.

    Args:
      name: the library's name.
      srcs: .proto files in this package.
      deps: other cc_proto libraries the files import.
      visibility: as for cc_library.
    """
    bases = [src[:-len(".proto")] for src in srcs]
    headers = [base + ".pb.h" for base in bases]
    sources = [base + ".pb.cc" for base in bases]
    native.genrule(
        name = name + "_generate",
        srcs = srcs + [dep + "_sources" for dep in deps],
        outs = headers + sources,
        tools = ["@system//:protoc"],
        cmd = "$(location @system//:protoc) --proto_path=. --cpp_out=$(GENDIR) " +
              " ".join(["$(location %s)" % src for src in srcs]),
    )
    native.filegroup(name = name + "_sources", srcs = srcs)
    native.cc_library(
        name = name,
        srcs = sources,
        hdrs = headers,
        deps = deps + ["@system//:protobuf"],
        visibility = visibility,
    )
