// The C API's Compose calls over lib/compose: load a project (and print its
// normalized config), then up, down and ps with managed containers.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "capi/internal.h"
#include "capi/waiter.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/log.h"
#include "lib/compose/project.h"
#include "lib/compose/runner.h"
#include "lib/compose/schema.h"
#include "lib/compose/service_spec.h"
#include "lib/compose/yaml.h"
#include "lib/spec/load.h"

struct pycontain_compose_project {
  pycontain::compose::Project project;
  std::string config_yaml;
  std::string json;
};

namespace pycontain::capi {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;

void AddStrings(Struct& object, const char* name, const std::vector<std::string>& items) {
  ListValue* list = (*object.mutable_fields())[name].mutable_list_value();
  for (const std::string& item : items) list->add_values()->set_string_value(item);
}

std::string PrintJson(const google::protobuf::Message& message) {
  std::string json;
  // Printing a Struct built from strings and numbers cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &json);
  return json;
}

// The project's summary (see pycontain_compose_project_json).
std::string ProjectJson(const compose::Project& project) {
  Struct object;
  (*object.mutable_fields())["name"].set_string_value(project.name);
  (*object.mutable_fields())["directory"].set_string_value(project.directory);
  AddStrings(object, "files", project.files);
  AddStrings(object, "services", project.ServiceNames());
  AddStrings(object, "disabledServices", project.disabled_services);
  std::vector<std::string> warnings;
  for (const compose::Warning& warning : project.warnings) {
    warnings.push_back(compose::ToString(warning));
  }
  AddStrings(object, "warnings", warnings);
  return PrintJson(object);
}

// Adds "KEY=VALUE" entries to `environment`.
absl::Status AddEnvironment(const std::vector<std::string>& entries,
                            compose::Environment& environment) {
  for (const std::string& entry : entries) {
    size_t equals = entry.find('=');
    if (equals == 0 || equals == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pycontain_compose_options.environment: \"", entry, "\" is not KEY=VALUE"));
    }
    environment[entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  return absl::OkStatus();
}

absl::StatusOr<compose::LoadOptions> LoadOptionsOf(const pycontain_compose_options& read) {
  compose::LoadOptions load;
  absl::StatusOr<std::vector<std::string>> files =
      ReadStrings(read.files, read.file_count, "pycontain_compose_options.files");
  if (!files.ok()) return files.status();
  load.files = *std::move(files);
  absl::StatusOr<std::vector<std::string>> env_files =
      ReadStrings(read.env_files, read.env_file_count, "pycontain_compose_options.env_files");
  if (!env_files.ok()) return env_files.status();
  load.env_files = *std::move(env_files);
  absl::StatusOr<std::vector<std::string>> profiles =
      ReadStrings(read.profiles, read.profile_count, "pycontain_compose_options.profiles");
  if (!profiles.ok()) return profiles.status();
  load.profiles = *std::move(profiles);
  absl::StatusOr<std::vector<std::string>> environment = ReadStrings(
      read.environment, read.environment_count, "pycontain_compose_options.environment");
  if (!environment.ok()) return environment.status();
  if ((read.flags & PYCONTAIN_COMPOSE_ONLY_GIVEN_ENVIRONMENT) == 0) {
    load.environment = compose::ProcessEnvironment();
  }
  absl::Status added = AddEnvironment(*environment, load.environment);
  if (!added.ok()) return added;
  load.project_directory = StringOrEmpty(read.project_directory);
  load.project_name = StringOrEmpty(read.project_name);
  load.working_directory = StringOrEmpty(read.working_directory);
  return load;
}

int LoadProject(const pycontain_compose_options* options, pycontain_compose_project** out,
                pycontain_error** error) {
  pycontain_compose_options read;
  absl::Status status = ReadOptions(options, "pycontain_compose_options", &read);
  if (status.ok()) {
    status = CheckFlags(read.flags, PYCONTAIN_COMPOSE_ONLY_GIVEN_ENVIRONMENT,
                        "pycontain_compose_options");
  }
  if (status.ok()) status = RequireNonNull(out, "project");
  if (!status.ok()) return Fail(status, error);
  absl::StatusOr<compose::LoadOptions> load = LoadOptionsOf(read);
  if (!load.ok()) return Fail(load.status(), error);

  absl::StatusOr<compose::Project> project = compose::LoadProject(*load);
  if (!project.ok()) return Fail(project.status(), error);
  auto loaded = std::make_unique<pycontain_compose_project>();
  loaded->config_yaml = compose::yaml::Emit(project->model);
  loaded->json = ProjectJson(*project);
  loaded->project = *std::move(project);
  *out = loaded.release();
  return PYCONTAIN_OK;
}

// Reads the options of up, down and ps; `known` are the call's flags.
absl::StatusOr<std::pair<pycontain_compose_run_options, std::vector<std::string>>>
ReadRunOptions(const pycontain_compose_run_options* options, uint64_t known) {
  pycontain_compose_run_options read;
  absl::Status status = ReadOptions(options, "pycontain_compose_run_options", &read);
  if (status.ok()) status = CheckFlags(read.flags, known, "pycontain_compose_run_options");
  if (!status.ok()) return status;
  absl::StatusOr<std::vector<std::string>> services = ReadStrings(
      read.services, read.service_count, "pycontain_compose_run_options.services");
  if (!services.ok()) return services.status();
  return std::make_pair(read, *std::move(services));
}

// Sends Compose's progress lines to the log, under the project's name.
compose::Printer LogPrinter(const std::string& project) {
  return [project](absl::string_view line) {
    Logf(LogLevel::kInfo, project, "%s", line);
  };
}

int Up(pycontain_compose_project* project, const pycontain_compose_run_options* options,
       pycontain_error** error) {
  auto read = ReadRunOptions(options, 0);
  if (!read.ok()) return Fail(read.status(), error);
  compose::UpOptions up;
  up.detach = true;
  up.services = read->second;
  absl::Status status =
      compose::Up(project->project, up, LogPrinter(project->project.name));
  if (!status.ok()) return Fail(status, error);
  return PYCONTAIN_OK;
}

int Down(pycontain_compose_project* project, const pycontain_compose_run_options* options,
         pycontain_error** error) {
  auto read = ReadRunOptions(
      options, PYCONTAIN_COMPOSE_VOLUMES | PYCONTAIN_COMPOSE_REMOVE_ORPHANS);
  absl::Status status = read.status();
  if (status.ok() && !read->second.empty()) {
    status = absl::InvalidArgumentError(
        "pycontain_compose_run_options.services: down takes no services; set "
        "service_count to 0");
  }
  if (!status.ok()) return Fail(status, error);
  compose::DownOptions down;
  down.volumes = (read->first.flags & PYCONTAIN_COMPOSE_VOLUMES) != 0;
  down.remove_orphans = (read->first.flags & PYCONTAIN_COMPOSE_REMOVE_ORPHANS) != 0;
  status = compose::Down(project->project, down, LogPrinter(project->project.name));
  if (!status.ok()) return Fail(status, error);
  return PYCONTAIN_OK;
}

// One container of `ps` (see pycontain_compose_ps).
absl::Status AppendContainer(const container::ManagedContainer& managed, ListValue& list) {
  Struct object;
  auto& fields = *object.mutable_fields();
  fields["id"].set_string_value(managed.id());
  fields["name"].set_string_value(managed.name());
  auto service = managed.config.labels().find(compose::kServiceLabel);
  fields["service"].set_string_value(
      service == managed.config.labels().end() ? "" : service->second);
  fields["image"].set_string_value(managed.config.spec().image());
  fields["status"].set_string_value(compose::DescribeStatus(managed));
  google::protobuf::util::JsonParseOptions parse;
  auto parsed = google::protobuf::util::JsonStringToMessage(
      spec::ToJson(managed.state), fields["state"].mutable_struct_value(), parse);
  if (!parsed.ok()) {
    return absl::InternalError(absl::StrCat("state of container ", managed.id(), ": ",
                                            std::string(parsed.message())));
  }
  *list.add_values()->mutable_struct_value() = std::move(object);
  return absl::OkStatus();
}

int Ps(pycontain_compose_project* project, const pycontain_compose_run_options* options,
       char** containers_json, pycontain_error** error) {
  auto read = ReadRunOptions(options, PYCONTAIN_COMPOSE_ALL);
  absl::Status status = read.status();
  if (status.ok()) status = RequireNonNull(containers_json, "containers_json");
  if (!status.ok()) return Fail(status, error);

  absl::StatusOr<std::vector<container::ManagedContainer>> containers =
      compose::ProjectContainers(project->project, read->second,
                                 (read->first.flags & PYCONTAIN_COMPOSE_ALL) != 0);
  if (!containers.ok()) return Fail(containers.status(), error);
  ListValue list;
  for (const container::ManagedContainer& managed : *containers) {
    status = AppendContainer(managed, list);
    if (!status.ok()) return Fail(status, error);
  }
  *containers_json = NewString(PrintJson(list));
  return PYCONTAIN_OK;
}

}  // namespace
}  // namespace pycontain::capi

using pycontain::capi::Fail;
using pycontain::capi::Guard;
using pycontain::capi::RequireNonNull;

extern "C" {

PYCONTAIN_API int pycontain_compose_load(const pycontain_compose_options* options,
                                         pycontain_compose_project** project,
                                         pycontain_error** error) {
  return Guard(error, [&] { return pycontain::capi::LoadProject(options, project, error); });
}

PYCONTAIN_API void pycontain_compose_project_destroy(pycontain_compose_project* project) {
  delete project;
}

PYCONTAIN_API const char* pycontain_compose_project_name(
    const pycontain_compose_project* project) {
  return project == nullptr ? "" : project->project.name.c_str();
}

PYCONTAIN_API const char* pycontain_compose_project_config(
    const pycontain_compose_project* project) {
  return project == nullptr ? "" : project->config_yaml.c_str();
}

PYCONTAIN_API const char* pycontain_compose_project_json(
    const pycontain_compose_project* project) {
  return project == nullptr ? "{}" : project->json.c_str();
}

PYCONTAIN_API int pycontain_compose_up(pycontain_compose_project* project,
                                       const pycontain_compose_run_options* options,
                                       pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = RequireNonNull(project, "project");
    if (!status.ok()) return Fail(status, error);
    return pycontain::capi::Up(project, options, error);
  });
}

PYCONTAIN_API int pycontain_compose_down(pycontain_compose_project* project,
                                         const pycontain_compose_run_options* options,
                                         pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = RequireNonNull(project, "project");
    if (!status.ok()) return Fail(status, error);
    return pycontain::capi::Down(project, options, error);
  });
}

PYCONTAIN_API int pycontain_compose_ps(pycontain_compose_project* project,
                                       const pycontain_compose_run_options* options,
                                       char** containers_json, pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = RequireNonNull(project, "project");
    if (!status.ok()) return Fail(status, error);
    return pycontain::capi::Ps(project, options, containers_json, error);
  });
}

}  // extern "C"
