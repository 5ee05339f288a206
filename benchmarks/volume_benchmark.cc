// The cost of volumes, apart from the container start. It times creating
// and removing a volume in the store, attaching an existing named volume to
// a container's mounts and releasing it, and seeding a new volume with a
// root filesystem's /etc and /bin (CopyTree). benchmarks/RESULTS.md
// records a run.
//
//   bazel run -c opt //benchmarks:volume_benchmark -- \
//       --rootfs=/var/cache/pycontain-test/busybox [--work=/tmp]
//
// --work is where the store goes (default /tmp), because every figure is
// mostly that of making and removing directories on that file system.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/container/copy_tree.h"
#include "lib/container/volume.h"
#include "lib/container/volume_mounts.h"
#include "lib/overlay/overlay.h"

namespace {

std::string rootfs = "/var/cache/pycontain-test/busybox";
std::string work = "/tmp";

pycontain::container::VolumeStore OpenStore(benchmark::State& state) {
  absl::StatusOr<pycontain::container::VolumeStore> store =
      pycontain::container::VolumeStore::Open(work + "/volume-benchmark-store");
  if (!store.ok()) state.SkipWithError(std::string(store.status().message()).c_str());
  return std::move(*store);
}

void BM_CreateRemoveVolume(benchmark::State& state) {
  pycontain::container::VolumeStore store = OpenStore(state);
  for (auto _ : state) {
    absl::StatusOr<pycontain::container::VolumeRecord> made = store.Create({.name = "bench"});
    if (!made.ok()) {
      state.SkipWithError(std::string(made.status().message()).c_str());
      break;
    }
    absl::Status removed = store.Remove("bench", /*force=*/false);
    if (!removed.ok()) {
      state.SkipWithError(std::string(removed.message()).c_str());
      break;
    }
  }
}
BENCHMARK(BM_CreateRemoveVolume)->Unit(benchmark::kMicrosecond);

// Times what Container::Start adds for one existing named volume: the
// lookup, the user record, and dropping the record again.
void BM_AttachNamedVolume(benchmark::State& state) {
  setenv("PYCONTAIN_ROOT", (work + "/volume-benchmark-store").c_str(), 1);
  pycontain::container::VolumeStore store = OpenStore(state);
  (void)store.Create({.name = "attached"});
  for (auto _ : state) {
    pycontain::spec::Mount mount;
    mount.set_type("volume");
    mount.set_source("attached");
    mount.set_destination("/data");
    mount.add_options("nocopy");
    std::vector<pycontain::spec::Mount> mounts = {mount};
    absl::StatusOr<pycontain::container::ContainerVolumes> volumes =
        pycontain::container::AttachVolumes("volume-benchmark", "", mounts);
    if (!volumes.ok()) {
      state.SkipWithError(std::string(volumes.status().message()).c_str());
      break;
    }
    volumes->Keep(/*remove_anonymous=*/false);
  }
  (void)store.Remove("attached", /*force=*/true);
}
BENCHMARK(BM_AttachNamedVolume)->Unit(benchmark::kMicrosecond);

// Times seeding, which copies what the image has at the destination.
// Busybox's /bin is one binary and 268 symlinks to it, /etc five files.
void BM_SeedFromRootfs(benchmark::State& state, const char* directory) {
  std::string target = work + "/volume-benchmark-seed";
  int from = open((rootfs + directory).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (from < 0) {
    state.SkipWithError(strerror(errno));
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    (void)pycontain::overlay::RemoveTree(target);
    mkdir(target.c_str(), 0755);
    int to = open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    state.ResumeTiming();
    absl::Status copied = pycontain::container::CopyTree(from, to);
    close(to);
    if (!copied.ok()) {
      state.SkipWithError(std::string(copied.message()).c_str());
      break;
    }
  }
  close(from);
  (void)pycontain::overlay::RemoveTree(target);
}
BENCHMARK_CAPTURE(BM_SeedFromRootfs, etc, "/etc")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SeedFromRootfs, bin, "/bin")->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (absl::StartsWith(argv[i], "--rootfs=")) {
      rootfs = argv[i] + strlen("--rootfs=");
    } else if (absl::StartsWith(argv[i], "--work=")) {
      work = argv[i] + strlen("--work=");
    } else {
      rest.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(rest.size());
  benchmark::Initialize(&count, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  (void)pycontain::overlay::RemoveTree(work + "/volume-benchmark-store");
  return 0;
}
