#include "examples/cli/compose_command.h"

#include <stdio.h>

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "examples/cli/compose_run_command.h"
#include "lib/compose/project.h"
#include "lib/compose/yaml.h"

namespace pycontain::cli {
namespace {

constexpr int kExitFailed = 125;

constexpr char kComposeUsage[] = R"(Usage: pycontain compose [OPTIONS] COMMAND [ARGS...]

Load a Compose project (the Compose Specification, as docker compose v2
reads it) and act on it.

Options:
  -f, --file FILE            a Compose file (repeatable; later files merge
                             over earlier ones). Default: COMPOSE_FILE, else
                             compose.yaml (or compose.yml, docker-compose.yaml,
                             docker-compose.yml) in the current directory or
                             a parent, plus its *.override.yaml
  -p, --project-name NAME    the project name (default: COMPOSE_PROJECT_NAME,
                             the top-level name, else the project directory's
                             name)
  --project-directory DIR    the directory relative paths start from
                             (default: the first file's directory)
  --env-file FILE            read variables from FILE instead of the project
                             directory's .env (repeatable; the process
                             environment still wins)
  --profile NAME             enable services of profile NAME (repeatable;
                             default: COMPOSE_PROFILES)
  -h, --help                 print this help

Commands:
  config [OPTIONS] [SERVICE...]
                             print the normalized model: interpolated,
                             merged, validated, short syntax expanded.
                             SERVICE limits it to those services and their
                             dependencies.
      --services             print the service names, one a line
      --volumes              print the volume names, one a line
      --networks             print the network names, one a line
      --profiles             print the profile names, one a line
      -q, --quiet            only validate; print nothing but warnings
  up [-d] [--scale SERVICE=N]... [SERVICE...]
                             create networks, volumes and containers and start
                             the services in dependency order, waiting for
                             depends_on conditions; without -d, print their
                             output until they exit (Ctrl-C stops them);
                             --scale sets a service's number of replicas
  down [-v] [--remove-orphans]
                             stop and remove the project's containers and
                             networks; -v also its volumes. down, ps, logs,
                             start, stop and restart also work with -p NAME
                             and no Compose file, from the containers' labels
  ps [-a] [-q] [SERVICE...]  list the project's running (-a: all) containers
  logs [-f] [SERVICE...]     print the services' output (-f: follow)
  exec [-e K=V] [-u USER] [-w DIR] [--index N] SERVICE COMMAND...
                             run a command in a service's running container
  run [--rm] SERVICE [COMMAND...]
                             run a one-off container of a service, after its
                             dependencies, and print its output
  start|stop|restart [SERVICE...]
                             start, stop or restart existing containers
  pull, build                not available: no registry is configured and
                             images cannot be built yet

Warnings (fields that pycontain parses but does not apply, obsolete
fields, unset variables) go to stderr with the file, line and field.
Exit status: 0, or 125 when the project cannot be loaded or the command
failed.
)";

constexpr absl::string_view kNotImplemented[] = {"up",    "down", "ps",      "logs", "exec",
                                                 "run",   "start", "stop",   "restart", "pull",
                                                 "create", "kill", "rm",     "pause", "unpause",
                                                 "top",   "events", "port",  "images", "build",
                                                 "push",  "cp",   "wait",    "watch", "ls"};

int Fail(absl::string_view message) {
  fprintf(stderr, "pycontain: compose: %s\n", std::string(message).c_str());
  return kExitFailed;
}

// Reads one global option at args[*i]; returns false when args[*i] is not
// one. Sets `*error` for a missing value.
bool ParseGlobalOption(const std::vector<std::string>& args, size_t* i,
                       compose::LoadOptions* options, std::string* error) {
  const std::string& arg = args[*i];
  struct Option {
    absl::string_view long_name;
    absl::string_view short_name;
    std::vector<std::string>* list;
    std::string* value;
  };
  const Option table[] = {
      {"--file", "-f", &options->files, nullptr},
      {"--project-name", "-p", nullptr, &options->project_name},
      {"--project-directory", "", nullptr, &options->project_directory},
      {"--env-file", "", &options->env_files, nullptr},
      {"--profile", "", &options->profiles, nullptr},
  };
  for (const Option& option : table) {
    std::string value;
    std::string prefix = absl::StrCat(option.long_name, "=");
    if (absl::StartsWith(arg, prefix)) {
      value = arg.substr(prefix.size());
    } else if (arg == option.long_name || (!option.short_name.empty() && arg == option.short_name)) {
      if (*i + 1 >= args.size()) {
        *error = absl::StrCat(arg, " needs a value (see pycontain compose --help)");
        return true;
      }
      value = args[++*i];
    } else {
      continue;
    }
    if (option.list != nullptr) option.list->push_back(value);
    if (option.value != nullptr) *option.value = value;
    return true;
  }
  return false;
}

void PrintWarnings(const compose::Project& project) {
  for (const compose::Warning& warning : project.warnings) {
    fprintf(stderr, "pycontain: compose: warning: %s\n", compose::ToString(warning).c_str());
  }
}

void PrintKeys(const compose::yaml::Node* mapping) {
  if (mapping == nullptr) return;
  for (const compose::yaml::Entry& entry : mapping->entries) printf("%s\n", entry.key.c_str());
}

// Prints every profile that a service of the project declares.
int PrintProfiles(compose::LoadOptions options) {
  options.profiles = {"*"};
  absl::StatusOr<compose::Project> project = compose::LoadProject(options);
  if (!project.ok()) return Fail(project.status().message());
  std::set<std::string> profiles;
  for (const compose::yaml::Entry& entry : project->services().entries) {
    const compose::yaml::Node* own = entry.value.Find("profiles");
    if (own == nullptr) continue;
    for (const compose::yaml::Node& profile : own->items) profiles.insert(profile.scalar);
  }
  for (const std::string& profile : profiles) printf("%s\n", profile.c_str());
  return 0;
}

// Keeps only `wanted` services and their dependencies in the model.
absl::Status SelectServices(compose::Project* project, const std::vector<std::string>& wanted) {
  absl::StatusOr<std::vector<std::string>> keep = compose::DependencyOrder(*project, wanted);
  if (!keep.ok()) return keep.status();
  compose::yaml::Node* services = project->model.Find("services");
  std::vector<compose::yaml::Entry> kept;
  for (compose::yaml::Entry& entry : services->entries) {
    if (std::find(keep->begin(), keep->end(), entry.key) != keep->end()) {
      kept.push_back(std::move(entry));
    }
  }
  services->entries = std::move(kept);
  return absl::OkStatus();
}

int ConfigCommand(compose::LoadOptions options, const std::vector<std::string>& args) {
  std::string listing;
  bool quiet = false;
  for (const std::string& arg : args) {
    if (arg == "--services" || arg == "--volumes" || arg == "--networks" || arg == "--profiles") {
      listing = arg;
    } else if (arg == "-q" || arg == "--quiet") {
      quiet = true;
    } else if (absl::StartsWith(arg, "-")) {
      return Fail(absl::StrCat("config: unknown option \"", arg, "\" (see pycontain compose --help)"));
    } else {
      options.services.push_back(arg);
    }
  }
  if (listing == "--profiles") return PrintProfiles(options);

  absl::StatusOr<compose::Project> project = compose::LoadProject(options);
  if (!project.ok()) return Fail(project.status().message());
  PrintWarnings(*project);
  if (!options.services.empty()) {
    absl::Status status = SelectServices(&*project, options.services);
    if (!status.ok()) return Fail(status.message());
  }
  if (quiet) return 0;
  if (listing == "--services") {
    PrintKeys(project->model.Find("services"));
  } else if (listing == "--volumes") {
    PrintKeys(project->model.Find("volumes"));
  } else if (listing == "--networks") {
    PrintKeys(project->model.Find("networks"));
  } else {
    fputs(compose::yaml::Emit(project->model).c_str(), stdout);
  }
  return 0;
}

}  // namespace

int ComposeCommand(const std::vector<std::string>& args) {
  compose::LoadOptions options;
  options.environment = compose::ProcessEnvironment();
  size_t i = 0;
  for (; i < args.size(); ++i) {
    if (args[i] == "-h" || args[i] == "--help") {
      fputs(kComposeUsage, stdout);
      return 0;
    }
    std::string error;
    if (ParseGlobalOption(args, &i, &options, &error)) {
      if (!error.empty()) return Fail(error);
      continue;
    }
    if (absl::StartsWith(args[i], "-")) {
      return Fail(absl::StrCat("unknown option \"", args[i], "\" (see pycontain compose --help)"));
    }
    break;
  }
  if (i >= args.size()) {
    fputs(kComposeUsage, stderr);
    return kExitFailed;
  }
  const std::string& command = args[i];
  std::vector<std::string> rest(args.begin() + i + 1, args.end());
  if (command == "config") return ConfigCommand(std::move(options), rest);
  if (IsComposeRunCommand(command)) return ComposeRunCommand(std::move(options), command, rest);
  for (absl::string_view name : kNotImplemented) {
    if (command == name) {
      return Fail(absl::StrCat("\"", command,
                               "\" is not implemented yet (see pycontain compose --help)"));
    }
  }
  return Fail(absl::StrCat("unknown command \"", command, "\" (see pycontain compose --help)"));
}

}  // namespace pycontain::cli
