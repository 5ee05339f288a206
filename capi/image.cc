// The C API's image calls over lib/image: load, save, import, list and
// remove, and the image records they return.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "capi/internal.h"
#include "capi/waiter.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/container/image_use.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"

struct pycontain_image_records {
  struct Entry {
    std::string id;
    std::vector<std::string> names;
    int64_t loaded = 0;
  };
  std::vector<Entry> images;
  std::string json;
};

namespace pycontain::capi {
namespace {

absl::StatusOr<image::Store> OpenStore(const char* store_root) {
  image::StoreOptions options;
  options.root = StringOrEmpty(store_root);
  return image::Store::Open(options);
}

// Adds `image` to `list` as a JSON object (see pycontain_image_records_json).
absl::Status AppendJson(const image::Image& image, google::protobuf::ListValue& list) {
  google::protobuf::Struct object;
  auto& fields = *object.mutable_fields();
  fields["id"].set_string_value(image.record.id());
  google::protobuf::ListValue* names = fields["names"].mutable_list_value();
  for (const std::string& name : image.record.names()) names->add_values()->set_string_value(name);
  fields["loaded"].set_number_value(static_cast<double>(image.record.loaded()));
  fields["manifest"].set_string_value(image.record.manifest());
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = true;
  auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(image.config_json.data(), image.config_json.size()),
      fields["config"].mutable_struct_value(), parse);
  if (!parsed.ok()) {
    return absl::InternalError(absl::StrCat("config of image ", image.record.id(), ": ",
                                            std::string(parsed.message())));
  }
  *list.add_values()->mutable_struct_value() = std::move(object);
  return absl::OkStatus();
}

// Reads the images `ids` from the store into new records. An image that a
// concurrent remove deleted meanwhile is left out.
absl::StatusOr<pycontain_image_records*> Describe(const image::Store& store,
                                                 const std::vector<std::string>& ids) {
  auto records = std::make_unique<pycontain_image_records>();
  google::protobuf::ListValue list;
  for (const std::string& id : ids) {
    absl::StatusOr<image::Image> found = store.GetImage(id);
    if (absl::IsNotFound(found.status())) continue;
    if (!found.ok()) return found.status();
    pycontain_image_records::Entry entry;
    entry.id = found->record.id();
    entry.names.assign(found->record.names().begin(), found->record.names().end());
    entry.loaded = found->record.loaded();
    records->images.push_back(std::move(entry));
    absl::Status added = AppendJson(*found, list);
    if (!added.ok()) return added;
  }
  auto printed = google::protobuf::util::MessageToJsonString(list, &records->json);
  if (!printed.ok()) return absl::InternalError(std::string(printed.message()));
  return records.release();
}

// Copies all of `path` to `fd` from its current offset.
absl::Status CopyFileToFd(const std::string& path, int fd) {
  UniqueFd in(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return ErrnoError(errno, "open", path);
  std::vector<char> buffer(1 << 16);
  while (true) {
    ssize_t got = read(in.get(), buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoError(errno, "read", path);
    if (got == 0) return absl::OkStatus();
    for (ssize_t done = 0; done < got;) {
      ssize_t put = write(fd, buffer.data() + done, got - done);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0) return ErrnoError(errno, "write", absl::StrCat("descriptor ", fd));
      done += put;
    }
  }
}

// Writes a docker-archive of `references` to `fd`. SaveDockerArchive
// writes a file beside its path and renames it into place, so the archive
// is made in a temporary directory ($TMPDIR, else /var/tmp, which is
// meant for large files) and copied.
absl::Status SaveDockerArchiveToFd(const image::Store& store,
                                   const std::vector<std::string>& references, int fd) {
  const char* tmpdir = getenv("TMPDIR");
  std::string directory =
      absl::StrCat(tmpdir != nullptr && tmpdir[0] != '\0' ? tmpdir : "/var/tmp",
                   "/pycontain-save-XXXXXX");
  if (mkdtemp(directory.data()) == nullptr) {
    return ErrnoError(errno, "create temporary directory", directory);
  }
  std::string archive = directory + "/image.tar";
  absl::Status status = image::SaveDockerArchive(store, references, archive);
  if (status.ok()) status = CopyFileToFd(archive, fd);
  // The directory holds only the archive; a failed removal leaves a file
  // in the temporary directory, which is logged but fails nothing.
  if (unlink(archive.c_str()) != 0 && errno != ENOENT) {
    Logf(LogLevel::kWarning, "", "cannot remove %s: %s", archive, strerror(errno));
  }
  if (rmdir(directory.c_str()) != 0) {
    Logf(LogLevel::kWarning, "", "cannot remove %s: %s", directory, strerror(errno));
  }
  return status;
}

// Parses "os/architecture[/variant]" into `options`.
absl::Status ApplyPlatform(const char* platform, image::LoadOptions& options) {
  if (platform == nullptr || platform[0] == '\0') return absl::OkStatus();
  std::vector<std::string> parts = absl::StrSplit(platform, '/');
  if (parts.size() > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("pycontain_image_load_options.platform: \"", platform,
                     "\" is not os/architecture[/variant]"));
  }
  parts.resize(3);
  options.os = parts[0];
  options.architecture = parts[1];
  options.variant = parts[2];
  return absl::OkStatus();
}

int LoadImages(const char* path, const char* default_repository,
               const pycontain_image_load_options* options,
               pycontain_image_records** images, pycontain_error** error) {
  pycontain_image_load_options read;
  absl::Status status = ReadOptions(options, "pycontain_image_load_options", &read);
  if (status.ok()) status = CheckFlags(read.flags, 0, "pycontain_image_load_options");
  if (status.ok()) status = RequireNonNull(images, "images");
  image::LoadOptions load;
  if (status.ok()) status = ApplyPlatform(read.platform, load);
  if (!status.ok()) return Fail(status, error);
  load.repository = StringOrEmpty(read.repository);
  if (load.repository.empty() && default_repository != nullptr) {
    load.repository = default_repository;
  }

  absl::StatusOr<image::Store> store = OpenStore(read.store_root);
  if (!store.ok()) return Fail(store.status(), error);
  absl::StatusOr<image::LoadResult> loaded = image::LoadImages(*store, path, load);
  if (!loaded.ok()) return Fail(loaded.status(), error);
  std::vector<std::string> ids;
  for (const image::LoadedImage& image : loaded->images) ids.push_back(image.id);
  absl::StatusOr<pycontain_image_records*> records = Describe(*store, ids);
  if (!records.ok()) return Fail(records.status(), error);
  *images = *records;
  return PYCONTAIN_OK;
}

// Saves to `path`, or to `fd` when it is not negative.
int SaveImages(const char* const* references, size_t count, const char* path, int fd,
               const pycontain_image_save_options* options, pycontain_error** error) {
  bool to_fd = fd >= 0;
  pycontain_image_save_options read;
  absl::Status status = ReadOptions(options, "pycontain_image_save_options", &read);
  if (status.ok()) status = CheckFlags(read.flags, 0, "pycontain_image_save_options");
  if (!status.ok()) return Fail(status, error);
  absl::StatusOr<std::vector<std::string>> names = ReadStrings(references, count, "references");
  if (!names.ok()) return Fail(names.status(), error);
  if (names->empty()) {
    return Fail(absl::InvalidArgumentError("references: at least one image is required"), error);
  }
  if (read.format != PYCONTAIN_IMAGE_FORMAT_DOCKER_ARCHIVE &&
      read.format != PYCONTAIN_IMAGE_FORMAT_OCI_LAYOUT) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
                    "pycontain_image_save_options.format: ", read.format,
                    " is not a pycontain_image_format")),
                error);
  }
  if (to_fd && read.format == PYCONTAIN_IMAGE_FORMAT_OCI_LAYOUT) {
    return Fail(absl::InvalidArgumentError(
                    "pycontain_image_save_options.format: an OCI layout is a directory "
                    "and cannot be written to a file descriptor; use pycontain_image_save"),
                error);
  }

  absl::StatusOr<image::Store> store = OpenStore(read.store_root);
  if (!store.ok()) return Fail(store.status(), error);
  absl::Status saved;
  if (to_fd) {
    saved = SaveDockerArchiveToFd(*store, *names, fd);
  } else if (read.format == PYCONTAIN_IMAGE_FORMAT_OCI_LAYOUT) {
    saved = image::SaveOciLayout(*store, *names, path);
  } else {
    saved = image::SaveDockerArchive(*store, *names, path);
  }
  if (!saved.ok()) return Fail(saved, error);
  return PYCONTAIN_OK;
}

int ImportImage(const char* path, const pycontain_image_import_options* options,
                pycontain_image_records** image, pycontain_error** error) {
  pycontain_image_import_options read;
  absl::Status status = ReadOptions(options, "pycontain_image_import_options", &read);
  if (status.ok()) status = CheckFlags(read.flags, 0, "pycontain_image_import_options");
  if (status.ok()) status = RequireNonNull(path, "path");
  if (status.ok()) status = RequireNonNull(image, "image");
  if (!status.ok()) return Fail(status, error);

  image::ImportOptions import;
  absl::StatusOr<std::vector<std::string>> names =
      ReadStrings(read.names, read.name_count, "pycontain_image_import_options.names");
  if (!names.ok()) return Fail(names.status(), error);
  for (const std::string& name : *names) {
    if (name.empty()) {
      return Fail(absl::InvalidArgumentError(
                      "pycontain_image_import_options.names: a name must not be empty"),
                  error);
    }
  }
  import.names = *std::move(names);
  absl::StatusOr<std::vector<std::string>> cmd =
      ReadStrings(read.cmd, read.cmd_count, "pycontain_image_import_options.cmd");
  if (!cmd.ok()) return Fail(cmd.status(), error);
  import.cmd = *std::move(cmd);
  absl::StatusOr<std::vector<std::string>> env =
      ReadStrings(read.env, read.env_count, "pycontain_image_import_options.env");
  if (!env.ok()) return Fail(env.status(), error);
  import.env = *std::move(env);
  import.comment = StringOrEmpty(read.comment);

  absl::StatusOr<image::Store> store = OpenStore(read.store_root);
  if (!store.ok()) return Fail(store.status(), error);
  absl::StatusOr<std::string> id = image::ImportTarball(*store, path, import);
  if (!id.ok()) return Fail(id.status(), error);
  absl::StatusOr<pycontain_image_records*> records = Describe(*store, {*id});
  if (!records.ok()) return Fail(records.status(), error);
  *image = *records;
  return PYCONTAIN_OK;
}

// Reads pycontain_image_options for list and remove.
absl::Status ReadImageOptions(const pycontain_image_options* options,
                              pycontain_image_options* read) {
  absl::Status status = ReadOptions(options, "pycontain_image_options", read);
  if (status.ok()) status = CheckFlags(read->flags, 0, "pycontain_image_options");
  return status;
}

int ListImages(const pycontain_image_options* options, pycontain_image_records** images,
               pycontain_error** error) {
  pycontain_image_options read;
  absl::Status status = ReadImageOptions(options, &read);
  if (status.ok()) status = RequireNonNull(images, "images");
  if (!status.ok()) return Fail(status, error);

  absl::StatusOr<image::Store> store = OpenStore(read.store_root);
  if (!store.ok()) return Fail(store.status(), error);
  absl::StatusOr<std::vector<image::format::ImageRecord>> all = store->ListImages();
  if (!all.ok()) return Fail(all.status(), error);
  std::vector<std::string> ids;
  for (const image::format::ImageRecord& record : *all) ids.push_back(record.id());
  absl::StatusOr<pycontain_image_records*> records = Describe(*store, ids);
  if (!records.ok()) return Fail(records.status(), error);
  *images = *records;
  return PYCONTAIN_OK;
}

int RemoveImage(const char* reference, const pycontain_image_options* options,
                pycontain_error** error) {
  pycontain_image_options read;
  absl::Status status = ReadImageOptions(options, &read);
  if (status.ok()) status = RequireNonNull(reference, "reference");
  if (!status.ok()) return Fail(status, error);

  absl::StatusOr<image::Store> store = OpenStore(read.store_root);
  if (!store.ok()) return Fail(store.status(), error);
  absl::Status removed = container::RemoveImageUnlessUsed(*store, reference);
  if (!removed.ok()) return Fail(removed, error);
  return PYCONTAIN_OK;
}

const pycontain_image_records::Entry* EntryAt(const pycontain_image_records* records,
                                              size_t index) {
  if (records == nullptr || index >= records->images.size()) return nullptr;
  return &records->images[index];
}

}  // namespace
}  // namespace pycontain::capi

using pycontain::capi::EntryAt;
using pycontain::capi::Fail;
using pycontain::capi::Guard;
using pycontain::capi::RequireNonNull;

extern "C" {

PYCONTAIN_API void pycontain_image_records_destroy(pycontain_image_records* records) {
  delete records;
}

PYCONTAIN_API size_t pycontain_image_records_count(const pycontain_image_records* records) {
  return records == nullptr ? 0 : records->images.size();
}

PYCONTAIN_API const char* pycontain_image_records_id(const pycontain_image_records* records,
                                                     size_t index) {
  const pycontain_image_records::Entry* entry = EntryAt(records, index);
  return entry == nullptr ? nullptr : entry->id.c_str();
}

PYCONTAIN_API size_t pycontain_image_records_name_count(
    const pycontain_image_records* records, size_t index) {
  const pycontain_image_records::Entry* entry = EntryAt(records, index);
  return entry == nullptr ? 0 : entry->names.size();
}

PYCONTAIN_API const char* pycontain_image_records_name(const pycontain_image_records* records,
                                                       size_t index, size_t name_index) {
  const pycontain_image_records::Entry* entry = EntryAt(records, index);
  if (entry == nullptr || name_index >= entry->names.size()) return nullptr;
  return entry->names[name_index].c_str();
}

PYCONTAIN_API int64_t pycontain_image_records_loaded(const pycontain_image_records* records,
                                                     size_t index) {
  const pycontain_image_records::Entry* entry = EntryAt(records, index);
  return entry == nullptr ? -1 : entry->loaded;
}

PYCONTAIN_API const char* pycontain_image_records_json(
    const pycontain_image_records* records) {
  return records == nullptr ? "[]" : records->json.c_str();
}

PYCONTAIN_API int pycontain_image_load(const char* path,
                                       const pycontain_image_load_options* options,
                                       pycontain_image_records** images,
                                       pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = RequireNonNull(path, "path");
    if (!status.ok()) return Fail(status, error);
    return pycontain::capi::LoadImages(path, nullptr, options, images, error);
  });
}

PYCONTAIN_API int pycontain_image_load_fd(int fd, const pycontain_image_load_options* options,
                                          pycontain_image_records** images,
                                          pycontain_error** error) {
  return Guard(error, [&] {
    absl::StatusOr<std::string> path = pycontain::capi::PathOfFd(fd, "fd");
    if (!path.ok()) return Fail(path.status(), error);
    return pycontain::capi::LoadImages(path->c_str(), "image", options, images, error);
  });
}

PYCONTAIN_API int pycontain_image_save(const char* const* references, size_t count,
                                       const char* path,
                                       const pycontain_image_save_options* options,
                                       pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = RequireNonNull(path, "path");
    if (!status.ok()) return Fail(status, error);
    return pycontain::capi::SaveImages(references, count, path, -1, options, error);
  });
}

PYCONTAIN_API int pycontain_image_save_fd(const char* const* references, size_t count, int fd,
                                          const pycontain_image_save_options* options,
                                          pycontain_error** error) {
  return Guard(error, [&] {
    // Checks the descriptor's kind; the path itself is not needed.
    absl::StatusOr<std::string> path = pycontain::capi::PathOfFd(fd, "fd");
    if (!path.ok()) return Fail(path.status(), error);
    return pycontain::capi::SaveImages(references, count, nullptr, fd, options, error);
  });
}

PYCONTAIN_API int pycontain_image_import(const char* path,
                                         const pycontain_image_import_options* options,
                                         pycontain_image_records** image,
                                         pycontain_error** error) {
  return Guard(error,
               [&] { return pycontain::capi::ImportImage(path, options, image, error); });
}

PYCONTAIN_API int pycontain_image_list(const pycontain_image_options* options,
                                       pycontain_image_records** images,
                                       pycontain_error** error) {
  return Guard(error, [&] { return pycontain::capi::ListImages(options, images, error); });
}

PYCONTAIN_API int pycontain_image_remove(const char* reference,
                                         const pycontain_image_options* options,
                                         pycontain_error** error) {
  return Guard(error,
               [&] { return pycontain::capi::RemoveImage(reference, options, error); });
}

}  // extern "C"
