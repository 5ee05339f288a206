// libFuzzer target for the Compose model steps above parsing: schema
// validation, normalization to the long syntax, the merge rules (a file
// merged over itself) and the project finalization (profiles, references,
// dependency cycles), then the dependency order and Emit.
//
// Built and run by scripts/fuzz-compose-model; every step must either
// succeed or return an error, never crash or read freed memory.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/compose/finalize.h"
#include "lib/compose/interpolate.h"
#include "lib/compose/merge.h"
#include "lib/compose/normalize.h"
#include "lib/compose/project.h"
#include "lib/compose/schema.h"
#include "lib/compose/yaml.h"

namespace {

using namespace pycontain::compose;

// Sets one variable, so that interpolated values reach the conversions.
std::optional<std::string> FuzzLookup(absl::string_view name) {
  if (name == "SIZE") return std::string("16m");
  return std::nullopt;
}

void LoadModel(absl::string_view text) {
  absl::StatusOr<yaml::Node> root = yaml::Parse(text, "fuzz.yaml");
  if (!root.ok() || !InterpolateTree(*root, FuzzLookup).ok()) return;

  std::vector<Warning> warnings;
  if (!ValidateFile(*root, &warnings).ok()) return;
  // The directories do not exist, so env files and binds are never read.
  FileContext context{.base_dir = "/nonexistent/project", .home = "/nonexistent/home"};
  if (!NormalizeFile(&*root, context).ok()) return;

  yaml::Node merged = *root;
  MergeFiles(&merged, *root);
  Environment environment;
  FinalizeOptions options{.project_name = "fuzz", .profiles = {"*"}, .environment = &environment};
  std::vector<std::string> disabled;
  if (!FinalizeModel(&merged, options, &disabled).ok()) return;

  Project project;
  project.model = std::move(merged);
  (void)DependencyOrder(project);
  (void)yaml::Emit(project.model);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  LoadModel(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
