// Start-to-exit time of /bin/true in a container, through the public C++
// API, beside a plain posix_spawn of the same program and the kernel's own
// cost of creating and tearing down the namespaces.
//
//   bazel build //benchmarks:start_benchmark
//   bazel-bin/benchmarks/start_benchmark [--benchmark_filter=REGEX]
//
// Cases:
//   BM_RunTrue          container::Run of /bin/true in the busybox root
//   BM_RunTrueHostRoot  the same on the embedded default root
//   BM_RunTrueWithoutPool  BM_RunTrue with the pool of network namespaces
//                       off, so that each run makes its own (CLONE_NEWNET)
//   BM_ForkExecTrue     posix_spawn of the host's /bin/true and its reap
//   BM_RunTruePhases    BM_RunTrue with Start, Wait and the destructor timed
//   BM_CloneExit/NS     clone3 with one new namespace (or all six), _exit
//
// Each case reports the mean, median, standard deviation and coefficient of
// variation over 10 repetitions, in wall-clock microseconds per iteration.
// --benchmark_repetitions and --benchmark_report_aggregates_only override
// those defaults. The container cases need root (or user namespaces) and the
// busybox root that scripts/make-test-rootfs builds, whose path
// PYCONTAIN_TEST_BUSYBOX_ROOTFS overrides. benchmarks/RESULTS.md, section
// "start-up", records the figures of one run.
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/container/container.h"
#include "lib/ns/netns_pool.h"
#include "lib/spec/container.pb.h"

extern char** environ;

namespace {

using pycontain::spec::ContainerSpec;
using pycontain::spec::RunResult;

constexpr char kDefaultBusyboxRoot[] = "/var/cache/pycontain-test/busybox";

std::string BusyboxRoot() {
  const char* configured = getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS");
  if (configured != nullptr && *configured != '\0') return configured;
  return kDefaultBusyboxRoot;
}

// Returns the reason why `result` is not a clean exit of /bin/true, or "".
std::string CheckExitedZero(const absl::StatusOr<RunResult>& result) {
  if (!result.ok()) return std::string(result.status().ToString());
  if (result->has_exit_code() && result->exit_code() == 0) return "";
  if (result->has_exit_code()) {
    return absl::StrCat("/bin/true ended with exit status ", result->exit_code());
  }
  if (result->has_signal()) {
    return absl::StrCat("/bin/true ended with signal ", result->signal());
  }
  return "/bin/true ended with no exit status";
}

// Fills `spec` to run /bin/true in the busybox root. Returns false, with the
// case ended by an error, when that root is missing.
bool MakeBusyboxSpec(benchmark::State& state, ContainerSpec& spec) {
  std::string root = BusyboxRoot();
  struct stat info;
  if (stat(absl::StrCat(root, "/bin/true").c_str(), &info) != 0) {
    state.SkipWithError(
        absl::StrCat(root, "/bin/true not found: build the busybox root with "
                           "scripts/make-test-rootfs or set "
                           "PYCONTAIN_TEST_BUSYBOX_ROOTFS")
            .c_str());
    return false;
  }
  spec.mutable_process()->add_args("/bin/true");
  spec.mutable_root()->set_path(root);
  return true;
}

// Runs `spec` once per iteration. A failed Run or a non-zero exit status
// ends the case with an error, so no figure hides a failure.
void RunContainers(benchmark::State& state, const ContainerSpec& spec) {
  for (auto _ : state) {
    std::string error = CheckExitedZero(pycontain::container::Run(spec));
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
  }
}

// /bin/true in the busybox root, with the default namespaces (PID, mount,
// UTS, IPC, network and cgroup) and pivot_root into the root.
void BM_RunTrue(benchmark::State& state) {
  ContainerSpec spec;
  if (!MakeBusyboxSpec(state, spec)) return;
  RunContainers(state, spec);
}

// BM_RunTrue with every network namespace made on the start path, as
// before the pool existed and as the other tools do.
void BM_RunTrueWithoutPool(benchmark::State& state) {
  ContainerSpec spec;
  if (!MakeBusyboxSpec(state, spec)) return;
  pycontain::ns::SetNetworkNamespacePoolSize(0);
  RunContainers(state, spec);
  pycontain::ns::SetNetworkNamespacePoolSize(pycontain::ns::kDefaultNetworkNamespacePoolSize);
}

// /bin/true on the embedded default root: the host's root read-only, with a
// fresh /proc, /dev, /sys and /tmp, in the same namespaces as BM_RunTrue.
void BM_RunTrueHostRoot(benchmark::State& state) {
  ContainerSpec spec;
  spec.mutable_process()->add_args("/bin/true");
  RunContainers(state, spec);
}

// The floor under both: the host's /bin/true started with posix_spawn and
// reaped, in the caller's namespaces.
void BM_ForkExecTrue(benchmark::State& state) {
  char program[] = "/bin/true";
  char* argv[] = {program, nullptr};
  for (auto _ : state) {
    pid_t pid;
    int error = posix_spawn(&pid, program, nullptr, nullptr, argv, environ);
    if (error != 0) {
      state.SkipWithError(absl::StrCat("posix_spawn /bin/true: ", strerror(error)).c_str());
      break;
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      state.SkipWithError("/bin/true did not exit with status 0");
      break;
    }
  }
}

// BM_RunTrue split at the public API's seams. The counters are averages per
// iteration, in microseconds. start_us is Container::Start: validation,
// planning, cgroups, clone3 and the child's setup up to exec. wait_us is
// Wait: the command, its exit and the teardown of its namespaces. remove_us
// is the destructor, which removes the cgroups and the state directory.
void BM_RunTruePhases(benchmark::State& state) {
  ContainerSpec spec;
  if (!MakeBusyboxSpec(state, spec)) return;

  using Clock = std::chrono::steady_clock;
  Clock::duration start_total{}, wait_total{}, remove_total{};
  for (auto _ : state) {
    Clock::time_point started = Clock::now();
    Clock::time_point running, exited;
    absl::StatusOr<RunResult> result;
    {
      absl::StatusOr<pycontain::container::Container> container =
          pycontain::container::Container::Start(spec);
      running = Clock::now();
      result = container.ok() ? container->Wait()
                              : absl::StatusOr<RunResult>(container.status());
      exited = Clock::now();
    }  // The destructor removes the cgroups and the state directory.
    Clock::time_point removed = Clock::now();

    std::string error = CheckExitedZero(result);
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    start_total += running - started;
    wait_total += exited - running;
    remove_total += removed - exited;
  }

  auto average_micros = [](Clock::duration total) {
    return benchmark::Counter(std::chrono::duration<double, std::micro>(total).count(),
                              benchmark::Counter::kAvgIterations);
  };
  state.counters["start_us"] = average_micros(start_total);
  state.counters["wait_us"] = average_micros(wait_total);
  state.counters["remove_us"] = average_micros(remove_total);
}

// The kernel's share alone: clone3 with `flags` (each new namespace on its
// own, then all six that BM_RunTrue uses), a child that exits at once, and
// the reap. Creating and tearing down the namespaces is all it measures.
void BM_CloneExit(benchmark::State& state, uint64_t flags) {
  for (auto _ : state) {
    struct clone_args args = {};
    args.flags = flags;
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0) _exit(0);
    if (pid < 0) {
      state.SkipWithError(absl::StrCat("clone3: ", strerror(errno)).c_str());
      break;
    }
    int status = 0;
    if (waitpid(static_cast<pid_t>(pid), &status, 0) != pid) {
      state.SkipWithError(absl::StrCat("waitpid: ", strerror(errno)).c_str());
      break;
    }
  }
}

void RegisterCloneExitCases() {
  constexpr std::pair<const char*, uint64_t> kCases[] = {
      {"none", 0},
      {"pid", CLONE_NEWPID},
      {"mount", CLONE_NEWNS},
      {"uts", CLONE_NEWUTS},
      {"ipc", CLONE_NEWIPC},
      {"net", CLONE_NEWNET},
      {"cgroup", CLONE_NEWCGROUP},
      {"all", CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                  CLONE_NEWNET | CLONE_NEWCGROUP},
  };
  for (const auto& [name, flags] : kCases) {
    benchmark::RegisterBenchmark(absl::StrCat("BM_CloneExit/", name).c_str(),
                                 BM_CloneExit, flags)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

BENCHMARK(BM_RunTrue)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RunTrueWithoutPool)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RunTrueHostRoot)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ForkExecTrue)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RunTruePhases)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  // Defaults go before the caller's arguments, because the flag parser keeps
  // the last value given for a flag.
  std::string repetitions = "--benchmark_repetitions=10";
  std::string aggregates_only = "--benchmark_report_aggregates_only=true";
  std::vector<char*> args = {argv[0], repetitions.data(), aggregates_only.data()};
  args.insert(args.end(), argv + 1, argv + argc);
  int count = static_cast<int>(args.size());
  args.push_back(nullptr);

  RegisterCloneExitCases();
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
