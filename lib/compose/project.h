// Loading a Compose project: files, environment, merge, extends, include,
// profiles, validation and the normalized model that `compose config`
// prints and that `compose up` runs.
//
//   compose::LoadOptions options;
//   options.files = {"compose.yaml"};
//   options.environment = compose::ProcessEnvironment();
//   absl::StatusOr<compose::Project> project = compose::LoadProject(options);
//   if (!project.ok()) return project.status();  // "compose.yaml:4:5: services.web: ..."
//   for (const compose::Warning& w : project->warnings) Report(compose::ToString(w));
//   absl::StatusOr<std::vector<std::string>> order = compose::DependencyOrder(*project);
//   const yaml::Node* web = project->Service("web");  // normalized, long syntax
//
// Loading follows docker compose v2:
//   1. The working directory is --project-directory, else the first -f
//      file's directory, else the current directory. The environment for
//      interpolation is the process environment over the --env-file files,
//      or over `.env` in that directory when no --env-file is given: the
//      process environment wins.
//   2. Without -f, COMPOSE_FILE from that environment names the files,
//      separated by COMPOSE_PATH_SEPARATOR or ':'. Without it, the first of
//      compose.yaml, compose.yml, docker-compose.yaml and docker-compose.yml
//      in the working directory or its nearest parent is used, plus the
//      matching `*.override.yaml|yml` beside it.
//   3. Each file is parsed (yaml.h), interpolated, validated (schema.h),
//      normalized to the long syntax (normalize.h) with relative paths
//      resolved from the project directory, and has its `include` entries
//      and `extends` resolved. Files are then merged in order (merge.h).
//   4. Profiles select the services (COMPOSE_PROFILES when no profile is
//      given; services named in LoadOptions::services are always active,
//      with their dependencies); `env_file` contents and host values of
//      `KEY`-only environment entries are resolved; the default network
//      and resource names are filled in; references are checked.
//   5. The project name is -p, else COMPOSE_PROJECT_NAME, else the
//      top-level `name`, else the project directory's base name; a derived
//      name is lowercased and stripped of characters other than
//      [a-z0-9_-], an explicit one that is not already valid is an error.
//      Interpolation sees that name as ${COMPOSE_PROJECT_NAME} (a `name`
//      that itself uses variables does not count there).
//
// Thread safety: LoadProject is thread-compatible (it reads files and the
// options only); a Project is a plain value.
#ifndef PYCONTAIN_LIB_COMPOSE_PROJECT_H_
#define PYCONTAIN_LIB_COMPOSE_PROJECT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/compose/schema.h"
#include "lib/compose/yaml.h"

namespace pycontain::compose {

// Variables by name.
using Environment = std::map<std::string, std::string>;

struct LoadOptions {
  // Compose files (-f), merged in order. Empty: COMPOSE_FILE or the default
  // file names. Relative paths start from `working_directory`.
  std::vector<std::string> files;
  // --project-directory; empty: the first file's directory.
  std::string project_directory;
  // -p; empty: see the overview.
  std::string project_name;
  // --env-file files, used instead of the project directory's `.env`.
  std::vector<std::string> env_files;
  // --profile values; empty: COMPOSE_PROFILES (comma-separated). "*"
  // enables every profile.
  std::vector<std::string> profiles;
  // Services named on the command line: active whatever their profiles,
  // together with the services they depend on.
  std::vector<std::string> services;
  // The process environment (see ProcessEnvironment); nothing else of the
  // process environment is read.
  Environment environment;
  // The directory that relative -f paths and the default file search start
  // from; empty: the current directory.
  std::string working_directory;
  // When no Compose file is found but a project name is given (-p or
  // COMPOSE_PROJECT_NAME), return a Project with that name, the working
  // directory, no files and an empty model instead of NotFound. The
  // commands that work from the containers' labels set it
  // (ProjectFromContainers in runner.h).
  bool allow_missing_files = false;
};

struct Project {
  std::string name;
  // Absolute project directory.
  std::string directory;
  // Absolute paths of the Compose files merged, in order (not counting
  // files reached through extends or include).
  std::vector<std::string> files;
  // The variables interpolation used: the process environment over the
  // env files.
  Environment environment;
  // The normalized model: `name`, `services` (sorted by name, each with its
  // keys sorted), `networks`, `volumes`, and `secrets`/`configs` when
  // given, in the shapes `docker compose config` prints.
  yaml::Node model;
  // Fields parsed but not applied, and obsolete fields, in load order.
  std::vector<Warning> warnings;
  // Services left out because none of their profiles is enabled.
  std::vector<std::string> disabled_services;

  // The services mapping of `model` (never null after LoadProject).
  const yaml::Node& services() const;
  // The normalized service `name`, or nullptr.
  const yaml::Node* Service(absl::string_view name) const;
  // Active service names, sorted.
  std::vector<std::string> ServiceNames() const;
};

// Loads the project that `options` describes.
// Errors: InvalidArgument naming file, line and field for YAML syntax
// errors, unknown fields, wrong types, unreadable values, missing required
// variables, extends and include cycles, conflicting included services,
// unknown or disabled services in depends_on, dependency cycles and
// undefined networks or volumes; NotFound for a missing Compose file, env
// file or extended service.
absl::StatusOr<Project> LoadProject(const LoadOptions& options);

// Returns the active services in an order that starts every service after
// the services it depends on (depends_on, and `service:NAME` in ipc, pid and
// network_mode), breaking ties by name. A non-empty `services` limits the
// result to those services and their dependencies.
// Errors: NotFound for an unknown service in `services`, InvalidArgument
// for a dependency cycle (LoadProject already rejects those).
absl::StatusOr<std::vector<std::string>> DependencyOrder(
    const Project& project, const std::vector<std::string>& services = {});

// Returns `name` lowercased, without characters other than [a-z0-9_-] and
// without leading '_' or '-', as docker compose derives project names.
std::string NormalizeProjectName(absl::string_view name);

// Returns the environment of the calling process.
Environment ProcessEnvironment();

}  // namespace pycontain::compose

#endif  // PYCONTAIN_LIB_COMPOSE_PROJECT_H_
