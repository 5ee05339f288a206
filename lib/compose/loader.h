// Internal to lib/compose: loading one Compose file with everything it
// pulls in (include, extends), for LoadProject.
#ifndef PYCONTAIN_LIB_COMPOSE_LOADER_H_
#define PYCONTAIN_LIB_COMPOSE_LOADER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/compose/env_file.h"
#include "lib/compose/project.h"
#include "lib/compose/schema.h"
#include "lib/compose/yaml.h"

namespace pycontain::compose {

// Reads the env file at `path` in `format` (see env_file.h); `${VAR}` in
// values of the Compose format resolves from `lookup` and the file's
// earlier variables.
// Errors: NotFound for a missing file, InvalidArgument "FILE:LINE: what"
// for a malformed line.
absl::StatusOr<Environment> ReadEnvironmentFile(
    const std::string& path, const Environment& lookup,
    EnvFileFormat format = EnvFileFormat::kCompose);

// Reads the env files in order, later files overriding earlier ones, and
// lays `process` over the result (the process environment wins).
absl::StatusOr<Environment> BuildEnvironment(const std::vector<std::string>& env_files,
                                             const Environment& process);

// Loads Compose files of one project. Not thread-safe; one per LoadProject.
class FileLoader {
 public:
  // `environment` interpolates the files; `process` is the process
  // environment, which included projects lay over their own env files.
  // Warnings are appended to `*warnings`, which must outlive the loader.
  FileLoader(Environment environment, Environment process, std::string home,
             std::vector<Warning>* warnings);

  // Loads `path` with relative paths resolved from `base_dir`: parses,
  // interpolates, validates and normalizes it, merges its `include`s in and
  // resolves every `extends`. The result has no `include` and no `extends`.
  absl::StatusOr<yaml::Node> Load(const std::string& path, const std::string& base_dir);

 private:
  // Parsed, interpolated, validated and normalized, without includes or
  // extends resolved; cached per (path, base_dir).
  absl::StatusOr<const yaml::Node*> ReadTree(const std::string& path,
                                             const std::string& base_dir);
  absl::Status ApplyIncludes(yaml::Node* root, const std::string& base_dir);
  absl::Status ResolveAllExtends(yaml::Node* root, const std::string& path,
                                 const std::string& base_dir);
  absl::StatusOr<yaml::Node> ResolveService(const std::string& path,
                                            const std::string& base_dir,
                                            const std::string& name, const yaml::Mark& mark,
                                            std::vector<std::string>* chain);

  Environment environment_;
  Environment process_;
  std::string home_;
  std::vector<Warning>* warnings_;
  std::map<std::string, yaml::Node> trees_;
  // Files being included, outermost first, to report include cycles.
  std::vector<std::string> include_chain_;
};

}  // namespace pycontain::compose

#endif  // PYCONTAIN_LIB_COMPOSE_LOADER_H_
