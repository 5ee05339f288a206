// The C API's managed containers over lib/container/managed.h: containers
// with a name that outlive the calling process, like `docker run -d`.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "capi/internal.h"
#include "capi/waiter.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lib/container/managed.h"
#include "lib/spec/load.h"

namespace pycontain::capi {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;

absl::StatusOr<pycontain_managed_options> ReadManagedOptions(
    const pycontain_managed_options* options, uint64_t known, const char* call,
    bool labels_allowed) {
  pycontain_managed_options read;
  absl::Status status = ReadOptions(options, "pycontain_managed_options", &read);
  if (status.ok()) status = CheckFlags(read.flags, known, "pycontain_managed_options");
  if (!status.ok()) return status;
  if (!labels_allowed && read.label_count != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pycontain_managed_options.labels: ", call, " reads no labels; set label_count to 0"));
  }
  return read;
}

// Parses "KEY=VALUE" (or "KEY" with an empty value, where `key_only`).
absl::StatusOr<std::map<std::string, std::string>> ReadLabels(
    const pycontain_managed_options& read, bool key_only) {
  absl::StatusOr<std::vector<std::string>> labels =
      ReadStrings(read.labels, read.label_count, "pycontain_managed_options.labels");
  if (!labels.ok()) return labels.status();
  std::map<std::string, std::string> parsed;
  for (const std::string& label : *labels) {
    size_t equals = label.find('=');
    if (equals == 0 || label.empty() || (equals == std::string::npos && !key_only)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pycontain_managed_options.labels: \"", label, "\" is not KEY=VALUE"));
    }
    if (equals == std::string::npos) {
      parsed[label] = "";
    } else {
      parsed[label.substr(0, equals)] = label.substr(equals + 1);
    }
  }
  return parsed;
}

// One container of pycontain_managed_list.
absl::Status AppendSummary(const container::ManagedContainer& managed, ListValue& list) {
  Struct object;
  auto& fields = *object.mutable_fields();
  fields["id"].set_string_value(managed.id());
  fields["name"].set_string_value(managed.name());
  fields["image"].set_string_value(managed.config.spec().image());
  fields["status"].set_string_value(managed.state.status());
  Struct* labels = fields["labels"].mutable_struct_value();
  for (const auto& [key, value] : managed.config.labels()) {
    (*labels->mutable_fields())[key].set_string_value(value);
  }
  auto parsed = google::protobuf::util::JsonStringToMessage(
      spec::ToJson(managed.state), fields["state"].mutable_struct_value());
  if (!parsed.ok()) {
    return absl::InternalError(absl::StrCat("state of container ", managed.id(), ": ",
                                            std::string(parsed.message())));
  }
  *list.add_values()->mutable_struct_value() = std::move(object);
  return absl::OkStatus();
}

int Create(const char* spec_json, const pycontain_managed_options* options, char** record_json,
           pycontain_error** error) {
  absl::StatusOr<pycontain_managed_options> read =
      ReadManagedOptions(options, PYCONTAIN_MANAGED_AUTO_REMOVE, "create", true);
  absl::Status status = read.status();
  if (status.ok()) status = RequireNonNull(spec_json, "spec_json");
  if (!status.ok()) return Fail(status, error);
  absl::StatusOr<std::map<std::string, std::string>> labels = ReadLabels(*read, false);
  if (!labels.ok()) return Fail(labels.status(), error);
  absl::StatusOr<spec::ContainerSpec> spec = spec::SpecFromJson(spec_json);
  if (!spec.ok()) return Fail(spec.status(), error);

  container::CreateOptions create;
  create.spec = *std::move(spec);
  create.name = StringOrEmpty(read->name);
  create.labels = *std::move(labels);
  create.auto_remove = (read->flags & PYCONTAIN_MANAGED_AUTO_REMOVE) != 0;
  absl::StatusOr<container::ManagedContainer> created = container::CreateContainer(create);
  if (!created.ok()) return Fail(created.status(), error);
  if (record_json != nullptr) {
    absl::StatusOr<std::string> json = container::InspectContainer(created->id());
    if (!json.ok()) return Fail(json.status(), error);
    *record_json = NewString(*json);
  }
  return PYCONTAIN_OK;
}

// Checks the options of a call that reads only `known` flags, and the name.
absl::StatusOr<pycontain_managed_options> ReadNamed(const char* name_or_id,
                                                    const pycontain_managed_options* options,
                                                    uint64_t known, const char* call) {
  absl::StatusOr<pycontain_managed_options> read =
      ReadManagedOptions(options, known, call, false);
  if (!read.ok()) return read.status();
  absl::Status status = RequireNonNull(name_or_id, "name_or_id");
  if (!status.ok()) return status;
  return read;
}

int Stop(const char* name_or_id, const pycontain_managed_options* options,
         pycontain_error** error) {
  absl::StatusOr<pycontain_managed_options> read =
      ReadNamed(name_or_id, options, PYCONTAIN_MANAGED_GRACE, "stop");
  absl::Status status = read.status();
  if (status.ok() && read->grace_ns < 0) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "pycontain_managed_options.grace_ns: ", read->grace_ns, " is negative"));
  }
  if (!status.ok()) return Fail(status, error);
  // Docker's default grace period.
  absl::Duration grace = (read->flags & PYCONTAIN_MANAGED_GRACE) != 0
                             ? absl::Nanoseconds(read->grace_ns)
                             : absl::Seconds(10);
  status = container::StopContainer(name_or_id, grace);
  if (!status.ok()) return Fail(status, error);
  return PYCONTAIN_OK;
}

int Remove(const char* name_or_id, const pycontain_managed_options* options,
           pycontain_error** error) {
  absl::StatusOr<pycontain_managed_options> read = ReadNamed(
      name_or_id, options, PYCONTAIN_MANAGED_FORCE | PYCONTAIN_MANAGED_VOLUMES, "remove");
  if (!read.ok()) return Fail(read.status(), error);
  container::RemoveOptions remove;
  remove.force = (read->flags & PYCONTAIN_MANAGED_FORCE) != 0;
  remove.volumes = (read->flags & PYCONTAIN_MANAGED_VOLUMES) != 0;
  absl::Status status = container::RemoveContainer(name_or_id, remove);
  if (!status.ok()) return Fail(status, error);
  return PYCONTAIN_OK;
}

int List(const pycontain_managed_options* options, char** containers_json,
         pycontain_error** error) {
  absl::StatusOr<pycontain_managed_options> read =
      ReadManagedOptions(options, PYCONTAIN_MANAGED_ALL, "list", true);
  absl::Status status = read.status();
  if (status.ok()) status = RequireNonNull(containers_json, "containers_json");
  if (!status.ok()) return Fail(status, error);
  absl::StatusOr<std::map<std::string, std::string>> labels = ReadLabels(*read, true);
  if (!labels.ok()) return Fail(labels.status(), error);

  container::ListOptions list;
  list.all = (read->flags & PYCONTAIN_MANAGED_ALL) != 0;
  list.labels = *std::move(labels);
  absl::StatusOr<std::vector<container::ManagedContainer>> containers =
      container::ListContainers(list);
  if (!containers.ok()) return Fail(containers.status(), error);
  ListValue summaries;
  for (const container::ManagedContainer& managed : *containers) {
    status = AppendSummary(managed, summaries);
    if (!status.ok()) return Fail(status, error);
  }
  std::string json;
  // Printing a ListValue of plain values cannot fail.
  (void)google::protobuf::util::MessageToJsonString(summaries, &json);
  *containers_json = NewString(json);
  return PYCONTAIN_OK;
}

int Logs(const char* name_or_id, const pycontain_managed_options* options, char** logs_json,
         pycontain_error** error) {
  absl::StatusOr<pycontain_managed_options> read =
      ReadNamed(name_or_id, options, PYCONTAIN_MANAGED_TAIL, "logs");
  absl::Status status = read.status();
  if (status.ok()) status = RequireNonNull(logs_json, "logs_json");
  if (!status.ok()) return Fail(status, error);

  container::LogOptions logs;
  if ((read->flags & PYCONTAIN_MANAGED_TAIL) != 0) {
    logs.tail = static_cast<int>(std::min<int64_t>(read->tail, INT32_MAX));
  }
  std::string json = "[";
  status = container::ReadContainerLogs(name_or_id, logs,
                                        [&json](const container::LogRecord& record) {
                                          if (json.size() > 1) json += ",";
                                          json += spec::ToJson(record);
                                          return true;
                                        });
  if (!status.ok()) return Fail(status, error);
  *logs_json = NewString(json + "]");
  return PYCONTAIN_OK;
}

}  // namespace
}  // namespace pycontain::capi

using pycontain::capi::Fail;
using pycontain::capi::Guard;
using pycontain::capi::ReadNamed;

extern "C" {

PYCONTAIN_API int pycontain_managed_create(const char* spec_json,
                                           const pycontain_managed_options* options,
                                           char** record_json, pycontain_error** error) {
  return Guard(error, [&] {
    return pycontain::capi::Create(spec_json, options, record_json, error);
  });
}

PYCONTAIN_API int pycontain_managed_start(const char* name_or_id,
                                          const pycontain_managed_options* options,
                                          pycontain_error** error) {
  return Guard(error, [&]() -> int {
    auto read = ReadNamed(name_or_id, options, 0, "start");
    if (!read.ok()) return Fail(read.status(), error);
    absl::Status status = pycontain::container::StartContainer(name_or_id);
    if (!status.ok()) return Fail(status, error);
    return PYCONTAIN_OK;
  });
}

PYCONTAIN_API int pycontain_managed_stop(const char* name_or_id,
                                         const pycontain_managed_options* options,
                                         pycontain_error** error) {
  return Guard(error, [&] { return pycontain::capi::Stop(name_or_id, options, error); });
}

PYCONTAIN_API int pycontain_managed_kill(const char* name_or_id, int signal,
                                         const pycontain_managed_options* options,
                                         pycontain_error** error) {
  return Guard(error, [&]() -> int {
    auto read = ReadNamed(name_or_id, options, 0, "kill");
    if (!read.ok()) return Fail(read.status(), error);
    if (signal < 1 || signal > 64) {
      return Fail(absl::InvalidArgumentError(
                      absl::StrCat("signal: ", signal, " is not a signal number (1 to 64)")),
                  error);
    }
    absl::Status status = pycontain::container::KillContainer(name_or_id, signal);
    if (!status.ok()) return Fail(status, error);
    return PYCONTAIN_OK;
  });
}

PYCONTAIN_API int pycontain_managed_wait(const char* name_or_id,
                                         const pycontain_managed_options* options,
                                         int* exit_code, pycontain_error** error) {
  return Guard(error, [&]() -> int {
    auto read = ReadNamed(name_or_id, options, 0, "wait");
    if (!read.ok()) return Fail(read.status(), error);
    absl::StatusOr<pycontain::container::ManagedState> state =
        pycontain::container::WaitContainer(name_or_id);
    if (!state.ok()) return Fail(state.status(), error);
    if (exit_code != nullptr) *exit_code = state->exit_code();
    return PYCONTAIN_OK;
  });
}

PYCONTAIN_API int pycontain_managed_list(const pycontain_managed_options* options,
                                         char** containers_json, pycontain_error** error) {
  return Guard(error,
               [&] { return pycontain::capi::List(options, containers_json, error); });
}

PYCONTAIN_API int pycontain_managed_inspect(const char* name_or_id,
                                            const pycontain_managed_options* options,
                                            char** record_json, pycontain_error** error) {
  return Guard(error, [&]() -> int {
    auto read = ReadNamed(name_or_id, options, 0, "inspect");
    absl::Status status = read.status();
    if (status.ok()) status = pycontain::capi::RequireNonNull(record_json, "record_json");
    if (!status.ok()) return Fail(status, error);
    absl::StatusOr<std::string> json = pycontain::container::InspectContainer(name_or_id);
    if (!json.ok()) return Fail(json.status(), error);
    *record_json = pycontain::capi::NewString(*json);
    return PYCONTAIN_OK;
  });
}

PYCONTAIN_API int pycontain_managed_remove(const char* name_or_id,
                                           const pycontain_managed_options* options,
                                           pycontain_error** error) {
  return Guard(error, [&] { return pycontain::capi::Remove(name_or_id, options, error); });
}

PYCONTAIN_API int pycontain_managed_logs(const char* name_or_id,
                                         const pycontain_managed_options* options,
                                         char** logs_json, pycontain_error** error) {
  return Guard(error,
               [&] { return pycontain::capi::Logs(name_or_id, options, logs_json, error); });
}

}  // extern "C"
