// The C API's volume calls over lib/container's VolumeStore: create,
// inspect, list, remove and prune named and anonymous volumes.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "capi/internal.h"
#include "capi/waiter.h"
#include "lib/container/volume.h"

namespace pycontain::capi {
namespace {

// Reads the options, allowing the flags in `known`.
absl::StatusOr<pycontain_volume_options> ReadVolumeOptions(
    const pycontain_volume_options* options, uint64_t known, bool labels_allowed) {
  pycontain_volume_options read;
  absl::Status status = ReadOptions(options, "pycontain_volume_options", &read);
  if (status.ok()) status = CheckFlags(read.flags, known, "pycontain_volume_options");
  if (!status.ok()) return status;
  if (!labels_allowed && read.label_count != 0) {
    return absl::InvalidArgumentError(
        "pycontain_volume_options.labels: read only by pycontain_volume_create; set "
        "label_count to 0");
  }
  return read;
}

absl::StatusOr<container::VolumeStore> OpenVolumes(const pycontain_volume_options& options) {
  return container::VolumeStore::Open(StringOrEmpty(options.store_root));
}

std::string JsonArray(const std::vector<std::string>& elements) {
  std::string json = "[";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) json += ",";
    json += elements[i];
  }
  return json + "]";
}

int CreateVolume(const char* name, const pycontain_volume_options* options,
                 char** record_json, pycontain_error** error) {
  absl::StatusOr<pycontain_volume_options> read = ReadVolumeOptions(options, 0, true);
  if (!read.ok()) return Fail(read.status(), error);
  container::VolumeOptions create;
  create.name = StringOrEmpty(name);
  absl::StatusOr<std::vector<std::string>> labels =
      ReadStrings(read->labels, read->label_count, "pycontain_volume_options.labels");
  if (!labels.ok()) return Fail(labels.status(), error);
  for (const std::string& label : *labels) {
    size_t equals = label.find('=');
    if (equals == 0 || equals == std::string::npos) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
                      "pycontain_volume_options.labels: \"", label, "\" is not KEY=VALUE")),
                  error);
    }
    create.labels[label.substr(0, equals)] = label.substr(equals + 1);
  }

  absl::StatusOr<container::VolumeStore> store = OpenVolumes(*read);
  if (!store.ok()) return Fail(store.status(), error);
  absl::StatusOr<container::VolumeRecord> record = store->Create(create);
  if (!record.ok()) return Fail(record.status(), error);
  if (record_json != nullptr) *record_json = NewString(container::VolumeToJson(*record));
  return PYCONTAIN_OK;
}

int InspectVolume(const char* name, const pycontain_volume_options* options,
                  char** record_json, pycontain_error** error) {
  absl::StatusOr<pycontain_volume_options> read = ReadVolumeOptions(options, 0, false);
  absl::Status status = read.status();
  if (status.ok()) status = RequireNonNull(name, "name");
  if (status.ok()) status = RequireNonNull(record_json, "record_json");
  if (!status.ok()) return Fail(status, error);

  absl::StatusOr<container::VolumeStore> store = OpenVolumes(*read);
  if (!store.ok()) return Fail(store.status(), error);
  absl::StatusOr<container::VolumeRecord> record = store->Inspect(name);
  if (!record.ok()) return Fail(record.status(), error);
  *record_json = NewString(container::VolumeToJson(*record));
  return PYCONTAIN_OK;
}

int ListVolumes(const pycontain_volume_options* options, char** records_json,
                pycontain_error** error) {
  absl::StatusOr<pycontain_volume_options> read = ReadVolumeOptions(options, 0, false);
  absl::Status status = read.status();
  if (status.ok()) status = RequireNonNull(records_json, "records_json");
  if (!status.ok()) return Fail(status, error);

  absl::StatusOr<container::VolumeStore> store = OpenVolumes(*read);
  if (!store.ok()) return Fail(store.status(), error);
  absl::StatusOr<std::vector<container::VolumeRecord>> records = store->List();
  if (!records.ok()) return Fail(records.status(), error);
  std::vector<std::string> elements;
  for (const container::VolumeRecord& record : *records) {
    elements.push_back(container::VolumeToJson(record));
  }
  *records_json = NewString(JsonArray(elements));
  return PYCONTAIN_OK;
}

int RemoveVolume(const char* name, const pycontain_volume_options* options,
                 pycontain_error** error) {
  absl::StatusOr<pycontain_volume_options> read =
      ReadVolumeOptions(options, PYCONTAIN_VOLUME_FORCE, false);
  absl::Status status = read.status();
  if (status.ok()) status = RequireNonNull(name, "name");
  if (!status.ok()) return Fail(status, error);

  absl::StatusOr<container::VolumeStore> store = OpenVolumes(*read);
  if (!store.ok()) return Fail(store.status(), error);
  absl::Status removed = store->Remove(name, (read->flags & PYCONTAIN_VOLUME_FORCE) != 0);
  if (!removed.ok()) return Fail(removed, error);
  return PYCONTAIN_OK;
}

int PruneVolumes(const pycontain_volume_options* options, char** removed_json,
                 pycontain_error** error) {
  absl::StatusOr<pycontain_volume_options> read =
      ReadVolumeOptions(options, PYCONTAIN_VOLUME_PRUNE_ALL, false);
  if (!read.ok()) return Fail(read.status(), error);

  absl::StatusOr<container::VolumeStore> store = OpenVolumes(*read);
  if (!store.ok()) return Fail(store.status(), error);
  absl::StatusOr<std::vector<std::string>> removed =
      store->Prune((read->flags & PYCONTAIN_VOLUME_PRUNE_ALL) != 0);
  if (!removed.ok()) return Fail(removed.status(), error);
  std::vector<std::string> elements;
  for (const std::string& name : *removed) elements.push_back(absl::StrCat("\"", name, "\""));
  if (removed_json != nullptr) *removed_json = NewString(JsonArray(elements));
  return PYCONTAIN_OK;
}

}  // namespace
}  // namespace pycontain::capi

using pycontain::capi::Guard;

extern "C" {

PYCONTAIN_API int pycontain_volume_create(const char* name,
                                          const pycontain_volume_options* options,
                                          char** record_json, pycontain_error** error) {
  return Guard(error, [&] {
    return pycontain::capi::CreateVolume(name, options, record_json, error);
  });
}

PYCONTAIN_API int pycontain_volume_inspect(const char* name,
                                           const pycontain_volume_options* options,
                                           char** record_json, pycontain_error** error) {
  return Guard(error, [&] {
    return pycontain::capi::InspectVolume(name, options, record_json, error);
  });
}

PYCONTAIN_API int pycontain_volume_list(const pycontain_volume_options* options,
                                        char** records_json, pycontain_error** error) {
  return Guard(error,
               [&] { return pycontain::capi::ListVolumes(options, records_json, error); });
}

PYCONTAIN_API int pycontain_volume_remove(const char* name,
                                          const pycontain_volume_options* options,
                                          pycontain_error** error) {
  return Guard(error, [&] { return pycontain::capi::RemoveVolume(name, options, error); });
}

PYCONTAIN_API int pycontain_volume_prune(const pycontain_volume_options* options,
                                         char** removed_json, pycontain_error** error) {
  return Guard(error,
               [&] { return pycontain::capi::PruneVolumes(options, removed_json, error); });
}

}  // extern "C"
