// Image config to container defaults, with `docker run`'s rules.
//
//   RunOverrides overrides;
//   overrides.command = {"echo", "hi"};  // replaces the image's Cmd
//   absl::StatusOr<ContainerDefaults> defaults =
//       ContainerDefaultsFor(image.config, overrides);
//   defaults->spec.process().args();     // Entrypoint + {"echo", "hi"}
//
// A pure function: it reads no files. User and group names stay names;
// lib/container looks them up in the root filesystem's /etc/passwd and
// /etc/group when the container starts.
#ifndef PYCONTAIN_LIB_IMAGE_CONFIG_H_
#define PYCONTAIN_LIB_IMAGE_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/image/formats.pb.h"
#include "lib/spec/container.pb.h"

namespace pycontain::image {

// What the user of `run` gave, each replacing the image's value.
struct RunOverrides {
  // The command after the image name. Non-empty: replaces Cmd.
  std::vector<std::string> command;
  // --entrypoint. Set (even to empty): replaces Entrypoint, and the image's
  // Cmd is dropped, as in Docker.
  std::optional<std::vector<std::string>> entrypoint;
  // "NAME=value" entries that replace or add to the image's Env.
  std::vector<std::string> env;
  // --workdir: replaces WorkingDir.
  std::string working_dir;
  // --user "user[:group]": replaces User.
  std::string user;
};

// Container settings from an image, the spec first.
struct ContainerDefaults {
  // Process args, env, cwd and user. The caller sets the root filesystem.
  spec::ContainerSpec spec;
  // "port/protocol" entries of ExposedPorts, sorted; the protocol defaults
  // to tcp.
  std::vector<std::string> exposed_ports;
  // Volumes: container paths that get an anonymous volume, sorted.
  std::vector<std::string> volumes;
  // StopSignal as given ("SIGTERM", "15"); empty means SIGTERM.
  std::string stop_signal;
  std::map<std::string, std::string> labels;
};

// Applies Docker's rules: args are Entrypoint followed by Cmd, where a
// command given by the user replaces Cmd, and --entrypoint replaces
// Entrypoint and drops Cmd. Env entries with the same name are replaced in
// place. WorkingDir defaults to "/". Errors: FailedPrecondition when
// neither the image nor the overrides give a command; InvalidArgument for a
// relative working directory or an Env entry without "=".
absl::StatusOr<ContainerDefaults> ContainerDefaultsFor(
    const format::ImageConfig& config, const RunOverrides& overrides);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_CONFIG_H_
