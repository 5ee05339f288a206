#include "lib/compose/project.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/status.h"
#include "lib/compose/convert.h"
#include "lib/compose/finalize.h"
#include "lib/compose/loader.h"
#include "lib/compose/merge.h"

extern char** environ;

namespace pycontain::compose {
namespace {

using yaml::Node;

constexpr absl::string_view kDefaultFiles[] = {"compose.yaml", "compose.yml",
                                               "docker-compose.yaml", "docker-compose.yml"};

bool IsFile(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

absl::StatusOr<std::string> CurrentDirectory() {
  char buffer[4096];
  if (getcwd(buffer, sizeof(buffer)) == nullptr) {
    return ErrnoError(errno, "get the current directory");
  }
  return std::string(buffer);
}

std::string ValueOf(const Environment& environment, const std::string& name) {
  auto it = environment.find(name);
  return it == environment.end() ? "" : it->second;
}

// Searches `directory` and its parents for a default Compose file; returns
// it and the matching override file when that exists.
absl::StatusOr<std::vector<std::string>> FindDefaultFiles(const std::string& directory) {
  for (std::string dir = directory;; dir = DirectoryOf(dir)) {
    for (absl::string_view name : kDefaultFiles) {
      std::string path = CleanPath(absl::StrCat(dir, "/", name));
      if (!IsFile(path)) continue;
      std::vector<std::string> files = {path};
      std::string stem = path.substr(0, path.rfind('.'));
      for (absl::string_view extension : {".override.yaml", ".override.yml"}) {
        std::string override_path = absl::StrCat(stem, extension);
        if (IsFile(override_path)) {
          files.push_back(override_path);
          break;
        }
      }
      return files;
    }
    if (dir == "/") break;
  }
  return absl::NotFoundError(absl::StrCat("no Compose file found in ", directory,
                                          " or its parents (looked for ",
                                          absl::StrJoin(kDefaultFiles, ", "), "); use -f FILE"));
}

absl::StatusOr<std::vector<std::string>> ComposeFiles(const LoadOptions& options,
                                                      const std::string& cwd,
                                                      const std::string& workdir,
                                                      const Environment& environment) {
  std::vector<std::string> files;
  for (const std::string& file : options.files) files.push_back(ResolvePath(file, cwd, ""));
  if (!files.empty()) return files;

  std::string from_environment = ValueOf(environment, "COMPOSE_FILE");
  if (!from_environment.empty()) {
    std::string configured = ValueOf(environment, "COMPOSE_PATH_SEPARATOR");
    absl::string_view separator = configured.empty() ? absl::string_view(":") : configured;
    for (absl::string_view file :
         absl::StrSplit(from_environment, separator, absl::SkipEmpty())) {
      files.push_back(ResolvePath(file, workdir, ""));
    }
    return files;
  }
  return FindDefaultFiles(workdir);
}

std::vector<std::string> EnvFiles(const LoadOptions& options, const std::string& cwd,
                                  const std::string& directory) {
  std::vector<std::string> env_files;
  for (const std::string& file : options.env_files) {
    env_files.push_back(ResolvePath(file, cwd, ""));
  }
  std::string dot_env = absl::StrCat(directory, "/.env");
  if (env_files.empty() && IsFile(dot_env)) env_files.push_back(dot_env);
  return env_files;
}

absl::StatusOr<std::string> ProjectName(const LoadOptions& options,
                                        const Environment& environment, const Node& model,
                                        const std::string& directory) {
  if (!options.project_name.empty()) {
    if (NormalizeProjectName(options.project_name) != options.project_name) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid project name \"", options.project_name,
          "\": use lowercase letters, digits, '_' and '-', starting with a letter or digit"));
    }
    return options.project_name;
  }
  std::string source = ValueOf(environment, "COMPOSE_PROJECT_NAME");
  const Node* name = model.Find("name");
  if (source.empty() && name != nullptr && name->IsScalar()) source = name->scalar;
  if (source.empty()) source = directory.substr(directory.rfind('/') + 1);
  std::string normalized = NormalizeProjectName(source);
  if (normalized.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot derive a project name from \"", source, "\"; use -p NAME"));
  }
  return normalized;
}

std::vector<std::string> Profiles(const LoadOptions& options, const Environment& environment) {
  if (!options.profiles.empty()) return options.profiles;
  return absl::StrSplit(ValueOf(environment, "COMPOSE_PROFILES"), ',', absl::SkipEmpty());
}

// Returns `environment` with COMPOSE_PROJECT_NAME set for interpolation,
// as docker compose v2 does: -p, else the variable itself, else the last
// literal top-level `name` among the files, else the directory's name.
// NOTE: -p wins over the variable here so that the name in use and the
// interpolated one agree; some docker compose v2 releases keep the
// variable's value.
Environment WithProjectName(Environment environment, const LoadOptions& options,
                            const Project& project) {
  if (!options.project_name.empty()) {
    environment["COMPOSE_PROJECT_NAME"] = options.project_name;
    return environment;
  }
  if (environment.count("COMPOSE_PROJECT_NAME")) return environment;
  std::string name;
  for (const std::string& file : project.files) {
    // A peek only: errors are reported when the file is loaded.
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<Node> root = yaml::Parse(text.str(), file);
    const Node* value = root.ok() ? root->Find("name") : nullptr;
    if (value != nullptr && value->IsScalar() && value->scalar.find('$') == std::string::npos) {
      name = value->scalar;
    }
  }
  if (name.empty()) name = project.directory.substr(project.directory.rfind('/') + 1);
  environment["COMPOSE_PROJECT_NAME"] = NormalizeProjectName(name);
  return environment;
}

// The directory whose `.env` applies before the files are known:
// --project-directory, else the first -f file's directory, else `cwd`.
std::string DotEnvDirectory(const LoadOptions& options, const std::string& cwd) {
  if (!options.project_directory.empty()) return ResolvePath(options.project_directory, cwd, "");
  if (!options.files.empty()) return DirectoryOf(ResolvePath(options.files[0], cwd, ""));
  return cwd;
}

}  // namespace

absl::StatusOr<Project> LoadProject(const LoadOptions& options) {
  absl::StatusOr<std::string> current = CurrentDirectory();
  if (!current.ok()) return current.status();
  std::string cwd = ResolvePath(options.working_directory, *current, "");

  // The directory of `.env` comes before the files, which COMPOSE_FILE in
  // `.env` may name.
  std::string workdir = DotEnvDirectory(options, cwd);
  absl::StatusOr<Environment> environment =
      BuildEnvironment(EnvFiles(options, cwd, workdir), options.environment);
  if (!environment.ok()) return environment.status();

  absl::StatusOr<std::vector<std::string>> files =
      ComposeFiles(options, cwd, workdir, *environment);
  // Only the search for a default file returns NotFound here.
  if (!files.ok() && files.status().code() == absl::StatusCode::kNotFound &&
      options.allow_missing_files) {
    Project named;
    named.directory = workdir;
    named.model = Node::Mapping();
    absl::StatusOr<std::string> name = ProjectName(options, *environment, named.model, workdir);
    bool given = !options.project_name.empty() ||
                 !ValueOf(*environment, "COMPOSE_PROJECT_NAME").empty();
    if (!given || !name.ok()) return files.status();
    named.name = *name;
    named.environment = *std::move(environment);
    return named;
  }
  if (!files.ok()) return files.status();

  Project project;
  project.directory = options.project_directory.empty() ? DirectoryOf(files->front()) : workdir;
  project.files = *files;
  if (project.directory != workdir) {
    // A default file found in a parent directory: its `.env` applies.
    environment = BuildEnvironment(EnvFiles(options, cwd, project.directory), options.environment);
    if (!environment.ok()) return environment.status();
  }

  FileLoader loader(WithProjectName(*environment, options, project),
                    options.environment, ValueOf(options.environment, "HOME"), &project.warnings);
  Node model = Node::Mapping();
  for (const std::string& file : project.files) {
    absl::StatusOr<Node> tree = loader.Load(file, project.directory);
    if (!tree.ok()) return tree.status();
    MergeFiles(&model, *std::move(tree));
  }

  absl::StatusOr<std::string> name = ProjectName(options, *environment, model, project.directory);
  if (!name.ok()) return name.status();
  project.name = *name;

  FinalizeOptions finalize{.project_name = project.name,
                           .profiles = Profiles(options, *environment),
                           .services = options.services,
                           .environment = &*environment};
  absl::Status status = FinalizeModel(&model, finalize, &project.disabled_services);
  if (!status.ok()) return status;

  project.model = std::move(model);
  project.environment = *std::move(environment);
  return project;
}

const Node& Project::services() const {
  static const Node* const kEmpty = new Node(Node::Mapping());
  const Node* services = model.Find("services");
  return services != nullptr ? *services : *kEmpty;
}

const Node* Project::Service(absl::string_view name) const { return services().Find(name); }

std::vector<std::string> Project::ServiceNames() const {
  std::vector<std::string> names;
  for (const yaml::Entry& entry : services().entries) names.push_back(entry.key);
  return names;
}

absl::StatusOr<std::vector<std::string>> DependencyOrder(
    const Project& project, const std::vector<std::string>& services) {
  const Node& all = project.services();
  std::set<std::string> wanted;
  std::vector<std::string> pending = services.empty() ? project.ServiceNames() : services;
  while (!pending.empty()) {
    std::string name = pending.back();
    pending.pop_back();
    const Node* service = all.Find(name);
    if (service == nullptr) return absl::NotFoundError(absl::StrCat("no such service: \"", name, "\""));
    if (!wanted.insert(name).second) continue;
    for (const Dependency& dependency : DependenciesOf(*service)) {
      if (all.Find(dependency.service) != nullptr) pending.push_back(dependency.service);
    }
  }

  // Kahn's algorithm; the ready set is ordered, so ties go by name.
  std::map<std::string, int> waiting_on;
  std::map<std::string, std::vector<std::string>> dependents;
  for (const std::string& name : wanted) {
    waiting_on[name];
    for (const Dependency& dependency : DependenciesOf(*all.Find(name))) {
      if (!wanted.count(dependency.service)) continue;
      ++waiting_on[name];
      dependents[dependency.service].push_back(name);
    }
  }
  std::set<std::string> ready;
  for (const auto& [name, count] : waiting_on) {
    if (count == 0) ready.insert(name);
  }
  std::vector<std::string> order;
  while (!ready.empty()) {
    std::string name = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(name);
    for (const std::string& dependent : dependents[name]) {
      if (--waiting_on[dependent] == 0) ready.insert(dependent);
    }
  }
  if (order.size() != wanted.size()) {
    return absl::InvalidArgumentError("dependency cycle among services");
  }
  return order;
}

std::string NormalizeProjectName(absl::string_view name) {
  std::string normalized;
  for (char c : absl::AsciiStrToLower(name)) {
    if (absl::ascii_isalnum(c) || c == '_' || c == '-') normalized += c;
  }
  size_t start = normalized.find_first_not_of("_-");
  return start == std::string::npos ? "" : normalized.substr(start);
}

Environment ProcessEnvironment() {
  Environment environment;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    absl::string_view text(*variable);
    size_t equals = text.find('=');
    if (equals == absl::string_view::npos) continue;
    environment[std::string(text.substr(0, equals))] = std::string(text.substr(equals + 1));
  }
  return environment;
}

}  // namespace pycontain::compose
