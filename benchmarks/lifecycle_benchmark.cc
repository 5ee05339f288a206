// The cost of managed containers (lib/container/managed.h) beside a
// one-shot container::Run: create, create and start in the background
// (until the command runs), stop with SIGKILL and remove, and list 50
// containers. benchmarks/RESULTS.md records a run. Needs root.
//
//   bazel build -c opt //benchmarks:lifecycle_benchmark
//   bazel-bin/benchmarks/lifecycle_benchmark
//       --rootfs=/var/cache/pycontain-test/busybox [--work=/tmp]
//
// --work is where the store with the image and the containers goes
// (default /tmp).
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/container/container.h"
#include "lib/container/managed.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"
#include "lib/overlay/overlay.h"

namespace {

namespace container = pycontain::container;
namespace image = pycontain::image;

constexpr char kImage[] = "lifecycle-bench:1";

std::string g_rootfs = "/var/cache/pycontain-test/busybox";
std::string g_work;

void Check(const absl::Status& status) {
  if (!status.ok()) {
    fprintf(stderr, "lifecycle_benchmark: %s\n", std::string(status.message()).c_str());
    abort();
  }
}

void MakeImage() {
  setenv("PYCONTAIN_ROOT", (g_work + "/store").c_str(), 1);
  setenv("PYCONTAIN_STATE_DIR", (g_work + "/state").c_str(), 1);
  absl::StatusOr<image::Store> store = image::Store::Open({});
  Check(store.status());
  std::string tarball = g_work + "/busybox.tar";
  if (system(absl::StrCat("tar -C ", g_rootfs, " -cf ", tarball, " .").c_str()) != 0) abort();
  image::ImportOptions options;
  options.names = {kImage};
  Check(image::ImportTarball(*store, tarball, options).status());
}

container::CreateOptions SleepOptions() {
  container::CreateOptions options;
  options.spec.set_image(kImage);
  options.spec.mutable_process()->add_args("sleep");
  options.spec.mutable_process()->add_args("1000");
  return options;
}

// CreateContainer alone: validation with the image applied, the files.
void BM_Create(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<container::ManagedContainer> created =
        container::CreateContainer(SleepOptions());
    Check(created.status());
    state.PauseTiming();
    Check(container::RemoveContainer(created->id(), {}));
    state.ResumeTiming();
  }
}
BENCHMARK(BM_Create)->Unit(benchmark::kMillisecond)->UseRealTime();

// CreateContainer and StartContainer, which returns once `sleep` runs.
void BM_CreateAndStart(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<container::ManagedContainer> created =
        container::CreateContainer(SleepOptions());
    Check(created.status());
    Check(container::StartContainer(created->id()));
    state.PauseTiming();
    Check(container::RemoveContainer(created->id(), {.force = true, .volumes = false}));
    state.ResumeTiming();
  }
}
BENCHMARK(BM_CreateAndStart)->Unit(benchmark::kMillisecond)->UseRealTime();

// StopContainer with no grace period (SIGKILL), until the monitor has
// recorded the exit and released the runtime state, then RemoveContainer.
void BM_StopAndRemove(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    absl::StatusOr<container::ManagedContainer> created =
        container::CreateContainer(SleepOptions());
    Check(created.status());
    Check(container::StartContainer(created->id()));
    state.ResumeTiming();
    Check(container::StopContainer(created->id(), absl::ZeroDuration()));
    Check(container::RemoveContainer(created->id(), {}));
  }
}
BENCHMARK(BM_StopAndRemove)->Unit(benchmark::kMillisecond)->UseRealTime();

// The one-shot path for comparison: container::Run of `true` from the
// same image, start to exit and cleanup.
void BM_ForegroundRun(benchmark::State& state) {
  pycontain::spec::ContainerSpec spec;
  spec.set_image(kImage);
  spec.mutable_process()->add_args("true");
  for (auto _ : state) Check(container::Run(spec).status());
}
BENCHMARK(BM_ForegroundRun)->Unit(benchmark::kMillisecond)->UseRealTime();

// ListContainers over 50 created containers (what `ps -a` and compose
// read), each a config.json and a state.json.
void BM_List50(benchmark::State& state) {
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    container::CreateOptions options = SleepOptions();
    options.labels["com.docker.compose.project"] = i % 2 == 0 ? "even" : "odd";
    absl::StatusOr<container::ManagedContainer> created = container::CreateContainer(options);
    Check(created.status());
    ids.push_back(created->id());
  }
  for (auto _ : state) {
    absl::StatusOr<std::vector<container::ManagedContainer>> list =
        container::ListContainers({.all = true, .labels = {}});
    Check(list.status());
    if (list->size() != 50) abort();
  }
  for (const std::string& id : ids) Check(container::RemoveContainer(id, {}));
}
BENCHMARK(BM_List50)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  std::string work = "/tmp";
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::StartsWith(arg, "--rootfs=")) {
      g_rootfs = std::string(arg.substr(9));
    } else if (absl::StartsWith(arg, "--work=")) {
      work = std::string(arg.substr(7));
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (geteuid() != 0) {
    fprintf(stderr, "lifecycle_benchmark: needs root\n");
    return 1;
  }
  std::string pattern = work + "/lifecycle-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) abort();
  g_work = pattern;
  MakeImage();

  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  absl::StatusOr<image::Store> store = image::Store::Open({});
  if (store.ok()) Check(store->UnmountLayers());
  Check(pycontain::overlay::RemoveTree(g_work));
  return 0;
}
