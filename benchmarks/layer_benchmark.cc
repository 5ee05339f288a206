// A Debian layer loaded and ready to run, as a squashfs image and as an
// unpacked directory, beside GNU tar extracting the same tarball, in one
// run (benchmarks/RESULTS.md, "images"). Root, for the loop mounts.
//
//   bazel build -c opt //benchmarks:layer_benchmark
//   bazel-bin/benchmarks/layer_benchmark \
//       --rootfs=/var/cache/pycontain-test/debian [--work=/var/tmp]
//
// Each iteration starts from an empty store and flushes dirty pages with
// sync(2) before the clock runs, so that one case's writeback does not
// land in the next case's time. Counters give the disk use of each result
// (allocated blocks) and the tarball's size and entry count.
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/base/unique_fd.h"
#include "lib/image/image_io.h"
#include "lib/image/layer_apply.h"
#include "lib/image/layer_mount.h"
#include "lib/image/layer_stream.h"
#include "lib/image/squashfs_layer.h"
#include "lib/image/store.h"

namespace {

namespace image = pycontain::image;

std::string g_rootfs = "/var/cache/pycontain-test/debian";
std::string g_work;

std::string Tarball() { return g_work + "/layer.tar"; }

void Shell(const std::string& command) {
  if (system(command.c_str()) != 0) {
    fprintf(stderr, "command failed: %s\n", command.c_str());
    abort();
  }
}

uint64_t g_tree_blocks = 0;

int AddBlocks(const char*, const struct stat* st, int, struct FTW*) {
  g_tree_blocks += static_cast<uint64_t>(st->st_blocks);
  return 0;
}

// Bytes allocated on disk for everything under `path`, hard links once.
double DiskBytes(const std::string& path) {
  g_tree_blocks = 0;
  nftw(path.c_str(), AddBlocks, 64, FTW_PHYS | FTW_MOUNT);
  return static_cast<double>(g_tree_blocks) * 512;
}

void ReportTarball(benchmark::State& state) {
  struct stat st;
  if (stat(Tarball().c_str(), &st) == 0) {
    state.counters["tar_MB"] = static_cast<double>(st.st_size) / 1e6;
  }
}

// Imports the tarball into a fresh store with `format` and makes its
// layer ready as an overlay lower (mounted, for squashfs).
void LayerReady(benchmark::State& state, image::LayerFormat format) {
  std::string root = g_work + "/store";
  double disk = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Shell("rm -rf " + root);
    image::StoreOptions options;
    options.root = root;
    options.layer_format = format;
    absl::StatusOr<image::Store> store = image::Store::Open(options);
    if (!store.ok()) abort();
    sync();
    state.ResumeTiming();

    absl::StatusOr<std::string> id = image::ImportTarball(*store, Tarball(), {});
    if (!id.ok()) {
      state.SkipWithError(std::string(id.status().message()).c_str());
      break;
    }
    absl::StatusOr<image::Image> loaded = store->GetImage(*id);
    absl::StatusOr<std::string> lower =
        store->LayerLower(loaded->config.rootfs().diff_ids(0));
    if (!lower.ok()) {
      state.SkipWithError(std::string(lower.status().message()).c_str());
      break;
    }

    state.PauseTiming();
    disk = DiskBytes(root + "/layers");
    if (!store->UnmountLayers().ok()) abort();
    state.ResumeTiming();
  }
  state.counters["layer_disk_MB"] = disk / 1e6;
  ReportTarball(state);
  Shell("rm -rf " + root);
}

void BM_LayerReadySquashfs(benchmark::State& state) {
  LayerReady(state, image::LayerFormat::kSquashfs);
}
BENCHMARK(BM_LayerReadySquashfs)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

void BM_LayerReadyDirectory(benchmark::State& state) {
  LayerReady(state, image::LayerFormat::kDirectory);
}
BENCHMARK(BM_LayerReadyDirectory)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

// The layer step alone, without storing the blob: the tar stream read
// once (hashed for its diff id) into a squashfs image that is then
// mounted, or into a directory.
void LayerStepOnly(benchmark::State& state, bool squashfs) {
  std::string out = g_work + "/step";
  std::string mountpoint = g_work + "/step-mnt";
  for (auto _ : state) {
    state.PauseTiming();
    Shell(absl::StrCat("rm -rf ", out, " && mkdir -p ", out, " ", mountpoint));
    sync();
    state.ResumeTiming();

    int fd = open(Tarball().c_str(), O_RDONLY | O_CLOEXEC);
    absl::StatusOr<std::unique_ptr<image::LayerStream>> stream =
        image::LayerStream::Open(pycontain::UniqueFd(fd), "layer", {});
    if (!stream.ok()) abort();
    absl::Status done;
    if (squashfs) {
      std::string path = out + "/layer.squashfs";
      absl::StatusOr<image::ApplyStats> written =
          image::WriteSquashfsLayer((*stream)->tar(), path, {});
      done = written.ok() ? image::MountSquashfsImage(path, mountpoint) : written.status();
    } else {
      int root = open(out.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      image::ApplyOptions options;
      options.whiteouts = image::WhiteoutMode::kOverlay;
      absl::StatusOr<image::ApplyStats> applied =
          image::ApplyLayer((*stream)->tar(), root, options);
      close(root);
      done = applied.status();
    }
    if (done.ok()) done = (*stream)->Finish();
    if (!done.ok()) {
      state.SkipWithError(std::string(done.message()).c_str());
      break;
    }

    state.PauseTiming();
    if (squashfs && !image::DetachMount(mountpoint).ok()) abort();
    state.ResumeTiming();
  }
  Shell(absl::StrCat("rm -rf ", out, " ", mountpoint));
}

void BM_SquashfsStepOnly(benchmark::State& state) { LayerStepOnly(state, true); }
BENCHMARK(BM_SquashfsStepOnly)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

void BM_DirectoryStepOnly(benchmark::State& state) { LayerStepOnly(state, false); }
BENCHMARK(BM_DirectoryStepOnly)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

// GNU tar extracting the same tarball, keeping owners and modes as root.
void BM_GnuTarExtract(benchmark::State& state) {
  std::string tree = g_work + "/tar";
  double disk = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Shell(absl::StrCat("rm -rf ", tree, " && mkdir ", tree));
    sync();
    state.ResumeTiming();
    Shell(absl::StrCat("tar -C ", tree, " -xpf ", Tarball()));
    state.PauseTiming();
    disk = DiskBytes(tree);
    state.ResumeTiming();
  }
  state.counters["layer_disk_MB"] = disk / 1e6;
  ReportTarball(state);
  Shell("rm -rf " + tree);
}
BENCHMARK(BM_GnuTarExtract)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

// Loading a docker-archive of the image when its layer is already stored:
// the archive is unpacked to staging and hashed, the layer not converted.
void BM_LoadStoredLayer(benchmark::State& state) {
  std::string root = g_work + "/warm";
  Shell("rm -rf " + root);
  image::StoreOptions options;
  options.root = root;
  absl::StatusOr<image::Store> store = image::Store::Open(options);
  image::ImportOptions import;
  import.names = {"debian:bench"};
  if (!store.ok() || !image::ImportTarball(*store, Tarball(), import).ok()) abort();
  std::string archive = g_work + "/docker.tar";
  if (!image::SaveDockerArchive(*store, {"debian:bench"}, archive).ok()) abort();
  for (auto _ : state) {
    state.PauseTiming();
    sync();
    state.ResumeTiming();
    absl::StatusOr<image::LoadResult> loaded = image::LoadImages(*store, archive, {});
    if (!loaded.ok() || loaded->layers_unpacked != 0) {
      state.SkipWithError("load failed or converted the stored layer again");
      break;
    }
  }
  Shell("rm -rf " + root + " " + archive);
}
BENCHMARK(BM_LoadStoredLayer)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

}  // namespace

int main(int argc, char** argv) {
  std::string work_parent = "/var/tmp";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--rootfs=", 0) == 0) g_rootfs = arg.substr(9);
    if (arg.rfind("--work=", 0) == 0) work_parent = arg.substr(7);
  }
  std::string work = work_parent + "/pycontain-layer-benchXXXXXX";
  if (mkdtemp(work.data()) == nullptr) return 1;
  g_work = work;
  Shell(absl::StrCat("tar -C ", g_rootfs, " -cf ", Tarball(), " ."));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  Shell("rm -rf " + g_work);
  return 0;
}
