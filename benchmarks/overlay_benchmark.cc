// The cost of an overlay root: preparing and tearing down the root of a
// 10-layer image beside a plain directory root, first alone (the mounts),
// then as whole containers running `true`. benchmarks/RESULTS.md records a
// run. Needs root.
//
//   bazel run -c opt //benchmarks:overlay_benchmark -- \
//       --rootfs=/var/cache/pycontain-test/busybox [--work=/tmp]
//
// --work is where the store, the upper directories and the plain root go
// (default /tmp): the cost of an overlay root is mostly that of making and
// removing its directories, so it depends on that file system.
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/container/container.h"
#include "lib/container/image_root.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"
#include "lib/overlay/overlay.h"

namespace {

namespace image = pycontain::image;
namespace overlay = pycontain::overlay;

constexpr int kLayers = 10;
constexpr char kImage[] = "overlay-bench:10";

std::string g_rootfs = "/var/cache/pycontain-test/busybox";
std::string g_work;
std::vector<std::string> g_lowers;  // top first

void Shell(const std::string& command) {
  if (system(command.c_str()) != 0) abort();
}

void Check(const absl::Status& status) {
  if (!status.ok()) {
    fprintf(stderr, "overlay_benchmark: %s\n", std::string(status.message()).c_str());
    abort();
  }
}

// The busybox root as the bottom layer and 9 small layers above it, as
// directories: squashfs layers (root's default) would add loop mounts
// that outlive the benchmark.
void MakeImage() {
  setenv("PYCONTAIN_ROOT", (g_work + "/store").c_str(), 1);
  image::StoreOptions store_options;
  store_options.layer_format = image::LayerFormat::kDirectory;
  absl::StatusOr<image::Store> store = image::Store::Open(store_options);
  Check(store.status());
  std::string tarball = g_work + "/busybox.tar";
  Shell(absl::StrCat("tar -C ", g_rootfs, " -cf ", tarball, " ."));
  absl::StatusOr<std::string> id = image::ImportTarball(*store, tarball, {});
  Check(id.status());
  for (int i = 1; i < kLayers; ++i) {
    std::string layer = absl::StrCat(g_work, "/layer", i);
    Shell(absl::StrCat("mkdir -p ", layer, "/etc && echo ", i, " > ", layer, "/etc/layer", i));
    image::CommitOptions options;
    if (i == kLayers - 1) options.names = {kImage};
    id = image::CommitDirectory(*store, *id, layer, options);
    Check(id.status());
  }
  absl::StatusOr<image::Image> made = store->GetImage(kImage);
  Check(made.status());
  const auto& diff_ids = made->config.rootfs().diff_ids();
  for (auto it = diff_ids.rbegin(); it != diff_ids.rend(); ++it) {
    absl::StatusOr<std::string> lower = store->LayerLower(*it);
    Check(lower.status());
    g_lowers.push_back(*lower);
  }
}

// The root part of a plain directory container: the root bound onto
// itself (pivot_root needs a mount point), then unmounted.
void BM_PlainRootMount(benchmark::State& state) {
  std::string root = g_work + "/plain";
  Shell("mkdir -p " + root);
  for (auto _ : state) {
    if (mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) abort();
    if (umount2(root.c_str(), MNT_DETACH) != 0) abort();
  }
}
BENCHMARK(BM_PlainRootMount)->Unit(benchmark::kMicrosecond);

// The same for an overlay root: upper and work directories, the detached
// overlay of 10 lowers, attached and bound as the child does, then
// unmounted, closed and removed.
void BM_OverlayRootMount(benchmark::State& state) {
  std::string root = g_work + "/merged";
  Shell("mkdir -p " + root);
  for (auto _ : state) {
    absl::StatusOr<overlay::WritableLayer> layer =
        overlay::WritableLayer::Create(g_work + "/rw");
    Check(layer.status());
    overlay::OverlayOptions options;
    options.lowers = g_lowers;
    options.upper = layer->upper();
    options.work = layer->work();
    absl::StatusOr<overlay::OverlayMount> merged = overlay::OverlayMount::Create(options);
    Check(merged.status());
    if (move_mount(merged->fd(), "", AT_FDCWD, root.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      abort();
    }
    if (mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) abort();
    if (umount2(root.c_str(), MNT_DETACH) != 0) abort();
    if (umount2(root.c_str(), MNT_DETACH) != 0) abort();
  }
}
BENCHMARK(BM_OverlayRootMount)->Unit(benchmark::kMicrosecond);

// Finding the image in the store and applying its config: the part of a
// start from an image that reads the store.
void BM_ResolveImage(benchmark::State& state) {
  pycontain::spec::ContainerSpec spec;
  spec.set_image(kImage);
  spec.mutable_process()->add_args("true");
  for (auto _ : state) {
    absl::StatusOr<pycontain::container::ImageSpec> resolved =
        pycontain::container::ResolveImage(spec);
    Check(resolved.status());
    benchmark::DoNotOptimize(resolved);
  }
}
BENCHMARK(BM_ResolveImage)->Unit(benchmark::kMicrosecond);

// Whole containers running `true`: the busybox directory as the root, and
// the 10-layer image.
void RunTrue(benchmark::State& state, bool from_image) {
  pycontain::spec::ContainerSpec spec;
  if (from_image) {
    spec.set_image(kImage);
  } else {
    spec.mutable_root()->set_path(g_rootfs);
  }
  spec.mutable_process()->add_args("true");
  for (auto _ : state) {
    absl::StatusOr<pycontain::spec::RunResult> result = pycontain::container::Run(spec);
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      return;
    }
  }
}

void BM_RunDirectoryRoot(benchmark::State& state) { RunTrue(state, false); }
BENCHMARK(BM_RunDirectoryRoot)->Unit(benchmark::kMillisecond);

void BM_RunImageRoot(benchmark::State& state) { RunTrue(state, true); }
BENCHMARK(BM_RunImageRoot)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  std::string work_parent = "/tmp";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--rootfs=", 0) == 0) g_rootfs = arg.substr(9);
    if (arg.rfind("--work=", 0) == 0) work_parent = arg.substr(7);
  }
  // The mount benchmarks mount in a private namespace of their own, never
  // on the host.
  if (unshare(CLONE_NEWNS) != 0 ||
      mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    perror("overlay_benchmark: a private mount namespace (needs root)");
    return 1;
  }
  std::string work = work_parent + "/pycontain-overlay-benchXXXXXX";
  if (mkdtemp(work.data()) == nullptr) return 1;
  g_work = work;
  MakeImage();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  Shell("rm -rf " + g_work);
  return 0;
}
