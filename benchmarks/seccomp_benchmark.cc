// Per-call cost of the default seccomp profile: a getppid() loop with no
// filter and with the default profile (Docker's default capabilities),
// side by side in one run. Each case runs in a forked child, because a
// filter cannot be removed once installed.
//
//   bazel run -c opt //benchmarks:seccomp_benchmark
//
// The reported time is per getppid() call.
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>

#include "benchmark/benchmark.h"
#include "lib/security/capabilities.h"
#include "lib/security/default_profile.h"
#include "lib/security/seccomp_filter.h"

namespace pycontain::security {
namespace {

constexpr int64_t kCallsPerChild = 2'000'000;

int64_t NowNanos() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// Runs kCallsPerChild getppid() calls in a child under `program` (none
// when null) and returns the nanoseconds they took, or -1.
int64_t TimeCallsInChild(SeccompProgram* program) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  ns::ChildHook hook;
  if (program != nullptr) hook = SeccompInstallHook(program, ns::ChildHook::Point::kBeforeExec);
  pid_t child = fork();
  if (child == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(1);
    if (program != nullptr && hook.run(hook.data) != 0) _exit(1);
    int64_t start = NowNanos();
    for (int64_t i = 0; i < kCallsPerChild; ++i) syscall(SYS_getppid);
    int64_t elapsed = NowNanos() - start;
    _exit(write(pipe_fds[1], &elapsed, sizeof(elapsed)) == sizeof(elapsed) ? 0 : 1);
  }
  close(pipe_fds[1]);
  int64_t elapsed = -1;
  if (read(pipe_fds[0], &elapsed, sizeof(elapsed)) != sizeof(elapsed)) elapsed = -1;
  close(pipe_fds[0]);
  waitpid(child, nullptr, 0);
  return elapsed;
}

void BM_Getppid(benchmark::State& state) {
  SeccompProgram program;
  bool filtered = state.range(0) != 0;
  if (filtered) {
    absl::StatusOr<SeccompPolicy> policy =
        ResolveSeccompProfile(DefaultSeccompProfile(), {.capabilities = DefaultCapabilities()});
    absl::StatusOr<SeccompProgram> compiled =
        policy.ok() ? CompileSeccompPolicy(*policy, {}) : absl::StatusOr<SeccompProgram>(
                                                              policy.status());
    if (!compiled.ok()) {
      state.SkipWithError(std::string(compiled.status().message()).c_str());
      return;
    }
    program = std::move(*compiled);
    state.counters["bpf_instructions"] = static_cast<double>(program.instructions.size());
  }
  for (auto _ : state) {
    int64_t elapsed = TimeCallsInChild(filtered ? &program : nullptr);
    if (elapsed < 0) {
      state.SkipWithError("the child failed");
      return;
    }
    state.SetIterationTime(static_cast<double>(elapsed) / 1e9 / kCallsPerChild);
  }
}
BENCHMARK(BM_Getppid)->ArgName("default_profile")->Arg(0)->Arg(1)->UseManualTime()
    ->Unit(benchmark::kNanosecond)->Iterations(10)->Repetitions(3);

}  // namespace
}  // namespace pycontain::security

BENCHMARK_MAIN();
