#!/usr/bin/python3
"""Measure what pycontain.run adds over the C++ API for one /bin/true run.

Both sides run in this one process with the same extension module:
  C++:    container::Run on an already parsed spec, in a C++ loop
          (pycontain._pycontain._benchmark_cpp_runs);
  Python: pycontain.run(["/bin/true"]), which builds the spec in Python,
          serializes it to JSON, goes through the C API (JSON parsing,
          validation, result JSON) and builds a RunResult.
Batches of the two alternate, so drift of the machine affects both alike.
Prints the median and mean of each and the difference of the medians.

A container start varies by milliseconds from run to run, more than the
overhead itself, so the script also measures the overhead's parts
directly, many times each: the Python work of pycontain.run (with the
native call replaced by one that returns a recorded result), and the C
API's work around container::Run (parsing the spec JSON and serializing
the result). Their sum is the figure to compare with the 0.3 ms budget.

Usage (as root, with the extension built):
  bazel build //bindings/python:pycontain/_pycontain.so
  sudo benchmarks/python_overhead.py [--rounds 20] [--batch 25] [--rootfs DIR]
"""

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def import_pycontain():
    """Import pycontain from the source tree with the Bazel-built extension."""
    import importlib.util
    package = os.path.join(ROOT, "bindings", "python", "pycontain")
    spec = importlib.util.spec_from_file_location(
        "pycontain", os.path.join(package, "__init__.py"),
        submodule_search_locations=[package, os.path.join(ROOT, "bazel-bin", "bindings",
                                                         "python", "pycontain")])
    module = importlib.util.module_from_spec(spec)
    sys.modules["pycontain"] = module
    spec.loader.exec_module(module)
    return module


class _RecordedRun:
    """Stands in for _pycontain.run: returns one recorded native result."""

    def __init__(self, native):
        self.native = native

    def __call__(self, spec_json):
        return self.native


def measure_parts(pycontain, spec_json, kwargs, iterations=20000):
    """Print the per-call time of the Python layer and of the C API's work."""
    native = pycontain._pycontain.run(spec_json)
    real_run = pycontain._pycontain.run
    pycontain._pycontain.run = _RecordedRun(native)
    try:
        start = time.perf_counter_ns()
        for _ in range(iterations):
            pycontain.run(["/bin/true"], **kwargs)
        python_ns = (time.perf_counter_ns() - start) / iterations
    finally:
        pycontain._pycontain.run = real_run
    capi_ns = pycontain._pycontain._benchmark_capi_work(spec_json, native.json, iterations)
    print(f"Python layer per run: {python_ns / 1e3:.1f} us")
    print(f"C API work per run (spec JSON in, result JSON out): {capi_ns / 1e3:.1f} us")
    print(f"sum: {(python_ns + capi_ns) / 1e6:.4f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="batches of each side")
    parser.add_argument("--batch", type=int, default=25, help="runs per batch")
    parser.add_argument("--rootfs", default=None,
                        help="root filesystem (default: the host's root, read-only)")
    options = parser.parse_args()

    pycontain = import_pycontain()
    spec = {"process": {"args": ["/bin/true"]}}
    kwargs = {}
    if options.rootfs:
        spec["root"] = {"path": options.rootfs}
        kwargs["rootfs"] = options.rootfs
    spec_json = json.dumps(spec)

    # Warm up caches and lazy initialization on both sides.
    pycontain._pycontain._benchmark_cpp_runs(spec_json, 5)
    for _ in range(5):
        pycontain.run(["/bin/true"], **kwargs)

    cpp, python = [], []
    for _ in range(options.rounds):
        cpp.extend(pycontain._pycontain._benchmark_cpp_runs(spec_json, options.batch))
        for _ in range(options.batch):
            start = time.perf_counter_ns()
            result = pycontain.run(["/bin/true"], **kwargs)
            python.append(time.perf_counter_ns() - start)
            assert result.returncode == 0

    def row(name, samples):
        print(f"{name:<8} runs={len(samples)} median={statistics.median(samples) / 1e6:.3f} ms "
              f"mean={statistics.mean(samples) / 1e6:.3f} ms")

    measure_parts(pycontain, spec_json, kwargs)
    row("C++", cpp)
    row("Python", python)
    overhead = (statistics.median(python) - statistics.median(cpp)) / 1e6
    print(f"Python overhead (difference of medians): {overhead:.3f} ms")


if __name__ == "__main__":
    main()
