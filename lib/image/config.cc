#include "lib/image/config.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace pycontain::image {

namespace {

absl::Status MergeEnv(const std::vector<std::string>& additions,
                      std::vector<std::string>& env) {
  for (const std::string& entry : additions) {
    size_t equals = entry.find('=');
    if (equals == std::string::npos || equals == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid environment entry \"", entry, "\": expected NAME=value"));
    }
    std::string prefix = entry.substr(0, equals + 1);
    auto same = std::find_if(env.begin(), env.end(), [&](const std::string& old) {
      return absl::StartsWith(old, prefix);
    });
    if (same != env.end()) {
      *same = entry;
    } else {
      env.push_back(entry);
    }
  }
  return absl::OkStatus();
}

template <typename Map>
std::vector<std::string> SortedKeys(const Map& map) {
  std::vector<std::string> keys;
  for (const auto& [key, unused] : map) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

absl::StatusOr<ContainerDefaults> ContainerDefaultsFor(
    const format::ImageConfig& config, const RunOverrides& overrides) {
  const format::RunConfig& image = config.config();
  ContainerDefaults defaults;
  spec::Process* process = defaults.spec.mutable_process();

  std::vector<std::string> entrypoint(image.entrypoint().begin(),
                                      image.entrypoint().end());
  std::vector<std::string> cmd(image.cmd().begin(), image.cmd().end());
  if (overrides.entrypoint.has_value()) {
    entrypoint = *overrides.entrypoint;
    cmd.clear();
  }
  if (!overrides.command.empty()) cmd = overrides.command;
  for (const std::string& word : entrypoint) process->add_args(word);
  for (const std::string& word : cmd) process->add_args(word);
  if (process->args().empty()) {
    return absl::FailedPreconditionError(
        "the image has no Entrypoint or Cmd; give a command to run");
  }

  std::vector<std::string> env;
  absl::Status merged = MergeEnv({image.env().begin(), image.env().end()}, env);
  if (merged.ok()) merged = MergeEnv(overrides.env, env);
  if (!merged.ok()) return merged;
  for (const std::string& entry : env) process->add_env(entry);

  std::string working_dir =
      !overrides.working_dir.empty() ? overrides.working_dir : image.working_dir();
  // A std::string, not a literal: GCC 12 warns falsely (-Wrestrict) on
  // assigning this literal.
  if (working_dir.empty()) working_dir = std::string(1, '/');
  if (working_dir[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "working directory \"", working_dir, "\" is not an absolute path"));
  }
  process->set_cwd(working_dir);

  std::string user = !overrides.user.empty() ? overrides.user : image.user();
  if (!user.empty()) {
    size_t colon = user.find(':');
    process->mutable_user()->set_user(user.substr(0, colon));
    if (colon != std::string::npos) {
      process->mutable_user()->set_group(user.substr(colon + 1));
    }
  }

  for (const std::string& port : SortedKeys(image.exposed_ports())) {
    defaults.exposed_ports.push_back(
        port.find('/') == std::string::npos ? port + "/tcp" : port);
  }
  defaults.volumes = SortedKeys(image.volumes());
  defaults.stop_signal = image.stop_signal();
  defaults.labels.insert(image.labels().begin(), image.labels().end());
  return defaults;
}

}  // namespace pycontain::image
