// What a container's cgroup costs, and whether --cpus holds.
//
//   bazel build //benchmarks:cgroup_benchmark
//   bazel-bin/benchmarks/cgroup_benchmark
//
// BM_CgroupCreateLimitRemove creates a container cgroup with memory, pids
// and CPU limits, reads the receipt back and removes it: the work a run
// adds for its cgroup (target: at most 0.3 ms). BM_RunTrueWithLimits and
// BM_RunTrueWithoutLimits put that beside a whole run of /bin/true; both
// create a cgroup, the second without limits. BM_RunTrueLimitsAdded
// alternates the two runs, so that both meet the same load, and reports
// the difference of their medians (added_us).
// BM_CpusHalfBusyLoop runs a busy loop under --cpus 0.5 for 2 s and
// reports the CPU time it got per second of wall time ("cores"), which
// should be about 0.5.
//
// Needs root and, for the runs, the busybox root that
// scripts/make-test-rootfs builds (PYCONTAIN_TEST_BUSYBOX_ROOTFS overrides
// its path). benchmarks/RESULTS.md records the figures of one run.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "lib/cgroup/cgroup.h"
#include "lib/container/container.h"
#include "lib/spec/container.pb.h"

namespace {

std::string BusyboxRoot() {
  const char* root = getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS");
  return root != nullptr ? root : "/var/cache/pycontain-test/busybox";
}

void SetLimits(pycontain::spec::Resources* r) {
  r->set_memory_bytes(64 << 20);
  r->set_memory_swap_bytes(64 << 20);
  r->set_pids_limit(64);
  r->set_cpus(0.5);
}

double Seconds(const google::protobuf::Duration& d) {
  return static_cast<double>(d.seconds()) + d.nanos() / 1e9;
}

void BM_CgroupCreateLimitRemove(benchmark::State& state) {
  int n = 0;
  for (auto _ : state) {
    pycontain::cgroup::CgroupOptions options;
    options.id = absl::StrCat("bench-", getpid(), "-", n++);
    SetLimits(&options.resources);
    absl::StatusOr<pycontain::cgroup::Cgroup> cgroup =
        pycontain::cgroup::Cgroup::Create(options);
    if (!cgroup.ok()) {
      state.SkipWithError(std::string(cgroup.status().message()).c_str());
      return;
    }
    absl::Status removed = cgroup->Remove();
    if (!removed.ok()) {
      state.SkipWithError(std::string(removed.message()).c_str());
      return;
    }
  }
}
BENCHMARK(BM_CgroupCreateLimitRemove)->Unit(benchmark::kMicrosecond);

void RunTrue(benchmark::State& state, bool limits) {
  for (auto _ : state) {
    pycontain::spec::ContainerSpec spec;
    spec.mutable_root()->set_path(BusyboxRoot());
    spec.mutable_process()->add_args("/bin/true");
    if (limits) SetLimits(spec.mutable_resources());
    absl::StatusOr<pycontain::spec::RunResult> result = pycontain::container::Run(spec);
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      return;
    }
  }
}

void BM_RunTrueWithLimits(benchmark::State& state) { RunTrue(state, true); }
void BM_RunTrueWithoutLimits(benchmark::State& state) { RunTrue(state, false); }
BENCHMARK(BM_RunTrueWithLimits)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RunTrueWithoutLimits)->Unit(benchmark::kMicrosecond);

// Runs /bin/true without and with the limits in each iteration, so that
// both see the same load, and reports the medians of each and their
// difference: what the limited cgroup adds to a run. The argument is a
// pause in milliseconds before each run, outside the measured time. With
// 0 the runs follow each other, and the network namespace pool's refill
// after one run competes with the next for the CPU. With 5 it has ended,
// as between the connections of a server that starts one container each.
// The order of the two runs swaps each iteration. The pool's refill thread,
// started after one run, usually still runs when the next one ends, so
// only every second run starts one. With a fixed order, the refill would
// always overlap the same kind of run.
void BM_RunTrueLimitsAdded(benchmark::State& state) {
  std::vector<double> without_us, with_us;
  absl::Duration pause = absl::Milliseconds(state.range(0));
  bool limits_first = false;
  for (auto _ : state) {
    for (bool limits : {limits_first, !limits_first}) {
      if (pause > absl::ZeroDuration()) absl::SleepFor(pause);
      pycontain::spec::ContainerSpec spec;
      spec.mutable_root()->set_path(BusyboxRoot());
      spec.mutable_process()->add_args("/bin/true");
      if (limits) SetLimits(spec.mutable_resources());
      absl::Time start = absl::Now();
      absl::StatusOr<pycontain::spec::RunResult> result = pycontain::container::Run(spec);
      double micros = absl::ToDoubleMicroseconds(absl::Now() - start);
      if (!result.ok()) {
        state.SkipWithError(std::string(result.status().message()).c_str());
        return;
      }
      (limits ? with_us : without_us).push_back(micros);
    }
    limits_first = !limits_first;
  }
  auto median = [](std::vector<double>& values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  };
  double without = median(without_us);
  double with = median(with_us);
  state.counters["without_us"] = without;
  state.counters["with_us"] = with;
  state.counters["added_us"] = with - without;
}
BENCHMARK(BM_RunTrueLimitsAdded)->Arg(0)->Arg(5)->Iterations(200)->Unit(benchmark::kMicrosecond);

void BM_CpusHalfBusyLoop(benchmark::State& state) {
  double cores = 0;
  for (auto _ : state) {
    pycontain::spec::ContainerSpec spec;
    spec.mutable_root()->set_path(BusyboxRoot());
    spec.mutable_process()->add_args("/bin/sh");
    spec.mutable_process()->add_args("-c");
    spec.mutable_process()->add_args("while :; do :; done");
    spec.mutable_resources()->set_cpus(0.5);
    spec.mutable_timeout()->set_seconds(2);
    absl::StatusOr<pycontain::spec::RunResult> result = pycontain::container::Run(spec);
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      return;
    }
    const pycontain::spec::Accounting& used = result->accounting();
    cores = (Seconds(used.cpu_user_time()) + Seconds(used.cpu_system_time())) /
            Seconds(result->wall_time());
    state.counters["throttled_periods"] = static_cast<double>(used.cpu_throttled_periods());
  }
  state.counters["cores"] = cores;
}
BENCHMARK(BM_CpusHalfBusyLoop)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
