#include "lib/compose/loader.h"

#include <errno.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/status.h"
#include "lib/compose/convert.h"
#include "lib/compose/env_file.h"
#include "lib/compose/interpolate.h"
#include "lib/compose/merge.h"
#include "lib/compose/normalize.h"

namespace pycontain::compose {
namespace {

using yaml::Node;

absl::StatusOr<std::string> ReadText(const std::string& path, absl::string_view kind) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoError(errno, absl::StrCat("open ", kind), path);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return ErrnoError(errno, absl::StrCat("read ", kind), path);
  return text.str();
}

Lookup LookupIn(const Environment& environment) {
  return [&environment](absl::string_view name) -> std::optional<std::string> {
    auto it = environment.find(std::string(name));
    if (it == environment.end()) return std::nullopt;
    return it->second;
  };
}

bool FileExists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

absl::Status Invalid(const yaml::Mark& mark, absl::string_view path,
                     absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(yaml::ToString(mark), ": ", path, ": ", problem));
}

// The strings of a scalar or a list of scalars.
std::vector<std::string> Strings(const Node* node) {
  std::vector<std::string> strings;
  if (node == nullptr) return strings;
  if (node->IsScalar()) strings.push_back(node->scalar);
  for (const Node& item : node->items) strings.push_back(item.scalar);
  return strings;
}

// The files, project directory and env files of one `include` entry.
struct IncludeEntry {
  std::vector<std::string> paths;
  std::string project_directory;
  std::vector<std::string> env_files;
};

IncludeEntry ReadIncludeEntry(const Node& item, const std::string& base_dir,
                              const std::string& home) {
  IncludeEntry entry;
  const Node* paths = item.IsScalar() ? &item : item.Find("path");
  for (const std::string& path : Strings(paths)) {
    entry.paths.push_back(ResolvePath(path, base_dir, home));
  }
  const Node* directory = item.Find("project_directory");
  entry.project_directory = directory != nullptr
                                ? ResolvePath(directory->scalar, base_dir, home)
                                : DirectoryOf(entry.paths.front());
  for (const std::string& path : Strings(item.Find("env_file"))) {
    entry.env_files.push_back(ResolvePath(path, base_dir, home));
  }
  if (item.Find("env_file") == nullptr) {
    std::string dot_env = absl::StrCat(entry.project_directory, "/.env");
    if (FileExists(dot_env)) entry.env_files.push_back(dot_env);
  }
  return entry;
}

// Adds the resources of the included model to `root`; a service defined in
// both, or another resource defined differently in both, is an error.
absl::Status AddIncluded(Node* root, const Node& included, const yaml::Mark& mark,
                         const std::string& file) {
  for (absl::string_view kind : {"services", "networks", "volumes", "secrets", "configs"}) {
    const Node* resources = included.Find(kind);
    if (resources == nullptr) continue;
    if (root->Find(kind) == nullptr) root->Set(kind, Node::Mapping(mark));
    Node* target = root->Find(kind);
    for (const yaml::Entry& entry : resources->entries) {
      const Node* existing = target->Find(entry.key);
      bool conflict = existing != nullptr &&
                      (kind == "services" || yaml::Emit(*existing) != yaml::Emit(entry.value));
      if (conflict) {
        return Invalid(mark, "include",
                       absl::StrCat("included file ", file, " defines ", kind, ".", entry.key,
                                    ", which is already defined"));
      }
      if (existing == nullptr) target->Set(entry.key, entry.value);
    }
  }
  return absl::OkStatus();
}

// Adds where a file was referenced ("compose.yaml:3:5: include: ") to an
// error about opening or reading it. Errors inside the file already name
// their own file and line.
absl::Status WithReference(const absl::Status& status, const yaml::Mark& mark,
                           absl::string_view field) {
  if (!ErrnoOf(status).has_value()) return status;
  return Annotate(status, absl::StrCat(yaml::ToString(mark), ": ", field));
}

// Fails when `chain` (entries "PATH:SERVICE") already contains the service
// `name` of `path`; the message lists the services, with their files when
// the cycle crosses files.
absl::Status CheckExtendsCycle(const std::vector<std::string>& chain, const std::string& path,
                               const std::string& name, const yaml::Mark& mark,
                               const std::string& field) {
  std::string link = absl::StrCat(path, ":", name);
  auto start = std::find(chain.begin(), chain.end(), link);
  if (start == chain.end()) return absl::OkStatus();
  std::vector<std::string> cycle(start, chain.end());
  cycle.push_back(link);
  bool one_file = std::all_of(cycle.begin(), cycle.end(), [&path](const std::string& entry) {
    return entry.compare(0, path.size() + 1, path + ":") == 0;
  });
  if (one_file) {
    for (std::string& entry : cycle) entry = entry.substr(path.size() + 1);
  }
  return Invalid(mark, field, absl::StrCat("extends cycle: ", absl::StrJoin(cycle, " -> ")));
}

}  // namespace

absl::StatusOr<Environment> ReadEnvironmentFile(const std::string& path,
                                                const Environment& lookup,
                                                EnvFileFormat format) {
  absl::StatusOr<std::vector<EnvVar>> variables = ReadEnvFile(path, LookupIn(lookup), format);
  if (!variables.ok()) return variables.status();
  Environment environment;
  for (EnvVar& variable : *variables) environment[variable.name] = std::move(variable.value);
  return environment;
}

absl::StatusOr<Environment> BuildEnvironment(const std::vector<std::string>& env_files,
                                             const Environment& process) {
  Environment environment;
  for (const std::string& path : env_files) {
    // Later files and the process environment resolve `${VAR}` in values.
    Environment lookup = environment;
    for (const auto& [name, value] : process) lookup[name] = value;
    absl::StatusOr<Environment> variables = ReadEnvironmentFile(path, lookup);
    if (!variables.ok()) return variables.status();
    for (auto& [name, value] : *variables) environment[name] = std::move(value);
  }
  for (const auto& [name, value] : process) environment[name] = value;
  return environment;
}

FileLoader::FileLoader(Environment environment, Environment process, std::string home,
                       std::vector<Warning>* warnings)
    : environment_(std::move(environment)),
      process_(std::move(process)),
      home_(std::move(home)),
      warnings_(warnings) {}

absl::StatusOr<const Node*> FileLoader::ReadTree(const std::string& path,
                                                 const std::string& base_dir) {
  std::string key = absl::StrCat(path, "\n", base_dir);
  auto cached = trees_.find(key);
  if (cached != trees_.end()) return &cached->second;

  absl::StatusOr<std::string> text = ReadText(path, "Compose file");
  if (!text.ok()) return text.status();

  absl::StatusOr<Node> tree = yaml::Parse(*text, path);
  if (!tree.ok()) return tree.status();

  std::vector<UnsetVariable> unset;
  absl::Status status = InterpolateTree(*tree, LookupIn(environment_), &unset);
  if (!status.ok()) return status;
  for (const UnsetVariable& variable : unset) {
    warnings_->push_back({variable.mark, "interpolation",
                          absl::StrCat("variable \"", variable.name,
                                       "\" is not set; it is replaced by an empty string")});
  }

  status = ValidateFile(*tree, warnings_);
  if (!status.ok()) return status;

  status = NormalizeFile(&*tree, FileContext{.base_dir = base_dir, .home = home_});
  if (!status.ok()) return status;

  return &trees_.emplace(key, *std::move(tree)).first->second;
}

absl::StatusOr<Node> FileLoader::Load(const std::string& path, const std::string& base_dir) {
  absl::StatusOr<const Node*> tree = ReadTree(path, base_dir);
  if (!tree.ok()) return tree.status();
  Node root = **tree;

  include_chain_.push_back(path);
  absl::Status status = ApplyIncludes(&root, base_dir);
  include_chain_.pop_back();
  if (!status.ok()) return status;

  status = ResolveAllExtends(&root, path, base_dir);
  if (!status.ok()) return status;
  return root;
}

absl::Status FileLoader::ApplyIncludes(Node* root, const std::string& base_dir) {
  const Node* includes = root->Find("include");
  if (includes == nullptr) return absl::OkStatus();
  Node entries = *includes;
  root->Erase("include");

  for (const Node& item : entries.items) {
    IncludeEntry entry = ReadIncludeEntry(item, base_dir, home_);
    absl::StatusOr<Environment> environment = BuildEnvironment(entry.env_files, process_);
    if (!environment.ok()) return Annotate(environment.status(), yaml::ToString(item.mark));

    FileLoader included_loader(*std::move(environment), process_, home_, warnings_);
    included_loader.include_chain_ = include_chain_;
    Node included = Node::Mapping(item.mark);
    for (const std::string& path : entry.paths) {
      for (const std::string& outer : include_chain_) {
        if (outer != path) continue;
        std::vector<std::string> cycle = include_chain_;
        cycle.push_back(path);
        return Invalid(item.mark, "include",
                       absl::StrCat("include cycle: ", absl::StrJoin(cycle, " -> ")));
      }
      absl::StatusOr<Node> model = included_loader.Load(path, entry.project_directory);
      if (!model.ok()) return WithReference(model.status(), item.mark, "include");
      MergeFiles(&included, *std::move(model));
    }
    ResolveMergeTags(&included);
    absl::Status status = AddIncluded(root, included, item.mark, entry.paths.front());
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status FileLoader::ResolveAllExtends(Node* root, const std::string& path,
                                           const std::string& base_dir) {
  Node* services = root->Find("services");
  if (services == nullptr) return absl::OkStatus();
  for (yaml::Entry& entry : services->entries) {
    if (entry.value.Find("extends") == nullptr) continue;
    std::vector<std::string> chain;
    absl::StatusOr<Node> resolved =
        ResolveService(path, base_dir, entry.key, entry.key_mark, &chain);
    if (!resolved.ok()) return resolved.status();
    entry.value = *std::move(resolved);
  }
  return absl::OkStatus();
}

absl::StatusOr<Node> FileLoader::ResolveService(const std::string& path,
                                                const std::string& base_dir,
                                                const std::string& name, const yaml::Mark& mark,
                                                std::vector<std::string>* chain) {
  chain->push_back(absl::StrCat(path, ":", name));

  absl::StatusOr<const Node*> tree = ReadTree(path, base_dir);
  if (!tree.ok()) return WithReference(tree.status(), mark, "extends");
  const Node* services = (*tree)->Find("services");
  const Node* service = services != nullptr ? services->Find(name) : nullptr;
  if (service == nullptr) {
    return absl::NotFoundError(absl::StrCat(yaml::ToString(mark), ": extends: service \"", name,
                                            "\" not found in ", path));
  }
  Node result = *service;
  const Node* extends = service->Find("extends");
  if (extends == nullptr) return result;

  const Node* file = extends->Find("file");
  std::string base_path = file != nullptr ? file->scalar : path;
  std::string base_base_dir = file != nullptr ? DirectoryOf(file->scalar) : base_dir;
  const std::string& base_name = extends->Find("service")->scalar;
  absl::Status cycle = CheckExtendsCycle(*chain, base_path, base_name, extends->mark,
                                         absl::StrCat("services.", name, ".extends"));
  if (!cycle.ok()) return cycle;
  absl::StatusOr<Node> base =
      ResolveService(base_path, base_base_dir, base_name, extends->mark, chain);
  if (!base.ok()) return base.status();

  result.Erase("extends");
  MergeService(&*base, result);
  return *std::move(base);
}

}  // namespace pycontain::compose
