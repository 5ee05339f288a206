// Internal to lib/compose: the steps LoadProject runs on the merged model
// (profiles, env files, defaults, reference checks), and service
// dependencies.
#ifndef PYCONTAIN_LIB_COMPOSE_FINALIZE_H_
#define PYCONTAIN_LIB_COMPOSE_FINALIZE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/compose/project.h"
#include "lib/compose/yaml.h"

namespace pycontain::compose {

struct FinalizeOptions {
  std::string project_name;
  // Enabled profiles; "*" enables all.
  std::vector<std::string> profiles;
  // Services named on the command line.
  std::vector<std::string> services;
  // Resolves `KEY`-only environment entries and `${VAR}` in env files.
  const Environment* environment = nullptr;
};

// Turns the merged `model` into the normalized project model described in
// project.h. Appends the names of services left out by profiles to
// `*disabled`.
absl::Status FinalizeModel(yaml::Node* model, const FinalizeOptions& options,
                           std::vector<std::string>* disabled);

// A service that `service` needs started first, with the mark of the
// reference.
struct Dependency {
  std::string service;
  yaml::Mark mark;
  // The field that makes the reference ("depends_on", "ipc", ...).
  std::string field;
};

// The services that normalized `service` depends on: depends_on keys and
// `service:NAME` in ipc, pid and network_mode, and volumes_from services.
std::vector<Dependency> DependenciesOf(const yaml::Node& service);

}  // namespace pycontain::compose

#endif  // PYCONTAIN_LIB_COMPOSE_FINALIZE_H_
