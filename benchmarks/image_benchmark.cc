// Loading and unpacking the busybox test image with lib/image, beside GNU
// tar extracting the same tarball. benchmarks/RESULTS.md records a run.
//
//   bazel run -c opt //benchmarks:image_benchmark -- \
//       --rootfs=/var/cache/pycontain-test/busybox
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/image/fs_util.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"

namespace {

namespace image = pycontain::image;

std::string g_rootfs = "/var/cache/pycontain-test/busybox";
std::string g_work;

std::string Tarball() { return g_work + "/busybox.tar"; }

void Shell(const std::string& command) {
  if (system(command.c_str()) != 0) abort();
}

// Import of a fresh store: hash, store the blob, unpack the layer.
void BM_ImportCold(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    std::string root = g_work + "/store";
    Shell("rm -rf " + root);
    absl::StatusOr<image::Store> store = image::Store::Open({root});
    state.ResumeTiming();
    absl::StatusOr<std::string> id = image::ImportTarball(*store, Tarball(), {});
    if (!id.ok()) state.SkipWithError(std::string(id.status().message()).c_str());
  }
}
BENCHMARK(BM_ImportCold)->Unit(benchmark::kMillisecond);

// Loading a docker-archive whose layer is already in the store.
void BM_LoadWarm(benchmark::State& state) {
  std::string root = g_work + "/warm";
  Shell("rm -rf " + root);
  absl::StatusOr<image::Store> store = image::Store::Open({root});
  image::ImportOptions options;
  options.names = {"busybox:bench"};
  if (!image::ImportTarball(*store, Tarball(), options).ok()) abort();
  std::string archive = g_work + "/docker.tar";
  if (!image::SaveDockerArchive(*store, {"busybox:bench"}, archive).ok()) abort();
  for (auto _ : state) {
    absl::StatusOr<image::LoadResult> loaded = image::LoadImages(*store, archive, {});
    if (!loaded.ok()) state.SkipWithError(std::string(loaded.status().message()).c_str());
  }
}
BENCHMARK(BM_LoadWarm)->Unit(benchmark::kMillisecond);

// GNU tar extracting the same tarball, for comparison.
void BM_GnuTarExtract(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Shell("rm -rf " + g_work + "/tar && mkdir " + g_work + "/tar");
    state.ResumeTiming();
    Shell(absl::StrCat("tar -C ", g_work, "/tar -xpf ", Tarball()));
  }
}
BENCHMARK(BM_GnuTarExtract)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--rootfs=", 0) == 0) g_rootfs = arg.substr(9);
  }
  char work[] = "/tmp/pycontain-image-benchXXXXXX";
  if (mkdtemp(work) == nullptr) return 1;
  g_work = work;
  Shell(absl::StrCat("tar -C ", g_rootfs, " -cf ", Tarball(), " ."));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  Shell("rm -rf " + g_work);
  return 0;
}
