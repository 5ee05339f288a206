#include "examples/cli/image_command.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "lib/image/image_io.h"
#include "lib/container/image_use.h"
#include "lib/image/store.h"

namespace pycontain::cli {

namespace {

namespace image = pycontain::image;

constexpr int kExitFailed = 125;

constexpr char kImageUsage[] = R"(Usage: pycontain image COMMAND

Manage images in the store ($PYCONTAIN_ROOT, else /var/lib/pycontain as root
and $XDG_DATA_HOME/pycontain otherwise).

Commands:
  load [-q] [--platform OS/ARCH] [-i] PATH
                      load a docker-archive or OCI archive file (plain, gzip
                      or zstd) or an OCI layout directory
  save [--format docker-archive|oci] -o PATH IMAGE...
                      write images as a docker-archive file (default) or an
                      OCI layout directory
  import [-q] [--change INSTRUCTION]... PATH [NAME[:TAG]]
                      import a root filesystem tarball as a one-layer image;
                      --change takes CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,
                      USER, VOLUME, WORKDIR or STOPSIGNAL as in a Dockerfile
                      ('CMD ["sh", "-c", "x"]', 'ENV A=1'), or CMD=WORD,...
                      and ENV=NAME=value
  ls [-q]             list images (-q: ids only)
  inspect IMAGE       print the image's config and manifest as JSON
  history IMAGE       print the image's history, newest first
  rm IMAGE...         remove names, and images left without a name, with
                      the blobs and layers no image uses any more; an
                      image a container was created from stays until the
                      container is removed (`pycontain rm`)
  prune [-a]          remove images without a name (-a: all images) that no
                      container uses, then blobs and layers no image uses
)";

int Fail(const std::string& message) {
  fprintf(stderr, "pycontain: %s\n", message.c_str());
  return kExitFailed;
}

int Fail(const absl::Status& status) { return Fail(std::string(status.message())); }

std::string ShortId(const std::string& id) { return id.substr(7, 12); }

// Progress lines go to stderr, so stdout stays parseable; -q silences them.
std::function<void(absl::string_view)> Progress(bool quiet) {
  if (quiet) return nullptr;
  return [](absl::string_view line) {
    fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  };
}

int Load(const std::vector<std::string>& args, const image::Store& store) {
  image::LoadOptions options;
  bool quiet = false;
  std::string path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-q" || args[i] == "--quiet") {
      quiet = true;
    } else if ((args[i] == "-i" || args[i] == "--input") && i + 1 < args.size()) {
      path = args[++i];
    } else if (args[i] == "--platform" && i + 1 < args.size()) {
      std::vector<std::string> parts = absl::StrSplit(args[++i], '/');
      options.os = parts[0];
      options.architecture = parts.size() > 1 ? parts[1] : "";
      options.variant = parts.size() > 2 ? parts[2] : "";
    } else if (path.empty() && !absl::StartsWith(args[i], "-")) {
      path = args[i];
    } else {
      return Fail(absl::StrCat("image load: unexpected argument ", args[i]));
    }
  }
  if (path.empty()) return Fail("image load: a path is required (see --help)");
  options.progress = Progress(quiet);

  absl::StatusOr<image::LoadResult> result = image::LoadImages(store, path, options);
  if (!result.ok()) return Fail(result.status());
  for (const image::LoadedImage& loaded : result->images) {
    printf("Loaded image: %s\n", loaded.names.empty()
                                     ? loaded.id.c_str()
                                     : absl::StrJoin(loaded.names, " ").c_str());
  }
  if (!quiet) {
    fprintf(stderr, "%d layers unpacked, %d already in the store\n",
            result->layers_unpacked, result->layers_reused);
  }
  return 0;
}

int Save(const std::vector<std::string>& args, const image::Store& store) {
  std::string output, format = "docker-archive";
  std::vector<std::string> references;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "-o" || args[i] == "--output") && i + 1 < args.size()) {
      output = args[++i];
    } else if (args[i] == "--format" && i + 1 < args.size()) {
      format = args[++i];
    } else {
      references.push_back(args[i]);
    }
  }
  if (output.empty() || references.empty()) {
    return Fail("image save: -o PATH and at least one image are required");
  }
  absl::Status saved;
  if (format == "docker-archive") {
    saved = image::SaveDockerArchive(store, references, output);
  } else if (format == "oci") {
    saved = image::SaveOciLayout(store, references, output);
  } else {
    return Fail(absl::StrCat("image save: unknown format \"", format,
                             "\" (use docker-archive or oci)"));
  }
  return saved.ok() ? 0 : Fail(saved);
}

int Import(const std::vector<std::string>& args, const image::Store& store) {
  image::ImportOptions options;
  std::vector<std::string> positional;
  bool quiet = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-q" || args[i] == "--quiet") {
      quiet = true;
    } else if ((args[i] == "-c" || args[i] == "--change") && i + 1 < args.size()) {
      // Dockerfile instructions as `docker import --change` takes them, and
      // the older CMD=word,word and ENV=NAME=value forms of this CLI.
      absl::string_view change = args[++i];
      if (absl::ConsumePrefix(&change, "CMD=") && !absl::StartsWith(change, "[")) {
        options.cmd = absl::StrSplit(change, ',');
      } else if (absl::StartsWith(args[i], "CMD=")) {
        options.changes.push_back(absl::StrCat("CMD ", change));
      } else if (absl::ConsumePrefix(&change, "ENV=")) {
        options.env.push_back(std::string(change));
      } else {
        options.changes.push_back(args[i]);
      }
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.empty() || positional.size() > 2) {
    return Fail("image import: expected PATH [NAME[:TAG]] (see --help)");
  }
  if (positional.size() == 2) options.names.push_back(positional[1]);
  absl::StatusOr<std::string> id =
      image::ImportTarball(store, positional[0], options);
  if (!id.ok()) return Fail(id.status());
  if (!quiet) printf("%s\n", id->c_str());
  return 0;
}

// Removes dangling images (without a name), or every image with -a, as
// `docker image prune` does. Images that a managed container uses stay.
// Then removes the blobs and layers that no image uses.
int Prune(const std::vector<std::string>& args, const image::Store& store) {
  bool all = false;
  for (const std::string& arg : args) {
    if (arg != "-a" && arg != "--all") {
      return Fail(absl::StrCat("image prune: unexpected argument \"", arg, "\""));
    }
    all = true;
  }
  absl::StatusOr<std::vector<image::format::ImageRecord>> records = store.ListImages();
  if (!records.ok()) return Fail(records.status());
  for (const image::format::ImageRecord& record : *records) {
    if (!all && !record.names().empty()) continue;
    absl::StatusOr<std::vector<std::string>> users =
        container::ContainersUsingImage(record.id());
    if (!users.ok()) return Fail(users.status());
    if (!users->empty()) continue;
    absl::Status removed = store.RemoveImage(record.id());
    if (!removed.ok()) return Fail(removed);
    printf("Deleted: %s\n", record.id().c_str());
  }
  absl::StatusOr<image::PruneStats> pruned = store.Prune();
  if (!pruned.ok()) return Fail(pruned.status());
  printf("Removed %d blobs and %d layers\n", pruned->blobs, pruned->layers);
  return 0;
}

int List(const std::vector<std::string>& args, const image::Store& store) {
  bool quiet = !args.empty() && (args[0] == "-q" || args[0] == "--quiet");
  absl::StatusOr<std::vector<image::format::ImageRecord>> records = store.ListImages();
  if (!records.ok()) return Fail(records.status());
  if (!quiet) printf("%-40s %-14s %s\n", "NAME", "IMAGE ID", "LOADED");
  for (const image::format::ImageRecord& record : *records) {
    if (quiet) {
      printf("%s\n", record.id().c_str());
      continue;
    }
    std::string loaded = absl::FormatTime("%Y-%m-%d %H:%M", absl::FromTimeT(record.loaded()),
                                          absl::LocalTimeZone());
    std::vector<std::string> names(record.names().begin(), record.names().end());
    if (names.empty()) names.push_back("<none>");
    for (const std::string& name : names) {
      printf("%-40s %-14s %s\n", name.c_str(), ShortId(record.id()).c_str(),
             loaded.c_str());
    }
  }
  return 0;
}

int Inspect(const std::vector<std::string>& args, const image::Store& store,
            bool history) {
  if (args.size() != 1) return Fail("image inspect: expected one IMAGE");
  absl::StatusOr<image::Image> found = store.GetImage(args[0]);
  if (!found.ok()) return Fail(found.status());
  if (history) {
    printf("%-32s %s\n", "CREATED", "CREATED BY");
    for (int i = found->config.history_size() - 1; i >= 0; --i) {
      const image::format::History& entry = found->config.history(i);
      printf("%-32s %s\n", entry.created().c_str(), entry.created_by().c_str());
    }
    return 0;
  }
  absl::StatusOr<std::string> manifest = store.ReadBlob(found->record.manifest());
  if (!manifest.ok()) return Fail(manifest.status());
  std::vector<std::string> names(found->record.names().begin(),
                                 found->record.names().end());
  printf("{\"Id\":\"%s\",\"RepoTags\":[%s],\"Manifest\":%s,\"Config\":%s}\n",
         found->record.id().c_str(),
         absl::StrJoin(names, ",", [](std::string* out, const std::string& name) {
           absl::StrAppend(out, "\"", name, "\"");
         }).c_str(),
         manifest->c_str(), found->config_json.c_str());
  return 0;
}

}  // namespace

int ImageCommand(const std::vector<std::string>& args) {
  // Help wins wherever it is asked for, so that `image prune --help` only
  // prints this text.
  bool help = std::find(args.begin(), args.end(), "--help") != args.end() ||
              std::find(args.begin(), args.end(), "-h") != args.end();
  if (args.empty() || help) {
    fputs(kImageUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitFailed : 0;
  }
  absl::StatusOr<image::Store> store = image::Store::Open({});
  if (!store.ok()) return Fail(store.status());
  std::vector<std::string> rest(args.begin() + 1, args.end());
  const std::string& command = args[0];

  if (command == "load") return Load(rest, *store);
  if (command == "save") return Save(rest, *store);
  if (command == "import") return Import(rest, *store);
  if (command == "ls" || command == "list") return List(rest, *store);
  if (command == "inspect") return Inspect(rest, *store, false);
  if (command == "history") return Inspect(rest, *store, true);
  if (command == "rm") {
    if (rest.empty()) return Fail("image rm: at least one IMAGE is required");
    for (const std::string& reference : rest) {
      absl::Status removed = container::RemoveImageUnlessUsed(*store, reference);
      if (!removed.ok()) return Fail(removed);
      printf("Untagged: %s\n", reference.c_str());
    }
    // As `docker image rm` does, the blobs and layers that no image uses
    // any more go too.
    absl::StatusOr<image::PruneStats> pruned = store->Prune();
    if (!pruned.ok()) return Fail(pruned.status());
    if (pruned->blobs > 0 || pruned->layers > 0) {
      printf("Deleted: %d blobs and %d layers\n", pruned->blobs, pruned->layers);
    }
    return 0;
  }
  if (command == "prune") return Prune(rest, *store);
  return Fail(absl::StrCat("image: unknown command \"", command, "\" (see --help)"));
}

}  // namespace pycontain::cli
