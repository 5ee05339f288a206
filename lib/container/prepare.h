// Turning a ContainerSpec into a ChildPlan: validation, then every decision
// the child needs made (namespaces, id maps, mounts, user, executable path,
// environment), before anything runs in the child.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_CONTAINER_PREPARE_H_
#define PYCONTAIN_LIB_CONTAINER_PREPARE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/container/image_root.h"
#include "lib/container/namespace_join.h"
#include "lib/container/network.h"
#include "lib/container/state_dir.h"
#include "lib/container/volume_mounts.h"
#include "lib/container/working_directory.h"
#include "lib/ns/plan.h"
#include "lib/security/security.h"
#include "lib/spec/container.pb.h"

namespace pycontain::container {

// The search path used when the spec's environment sets no PATH, as Docker.
inline constexpr char kDefaultPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct PreparedContainer {
  std::string id;
  // The volumes the container mounts; before state, so that they are
  // released after the state directory is gone.
  ContainerVolumes volumes;
  StateDir state;
  // The overlay root of a container from an image; after state, so that it
  // goes first.
  std::optional<ImageRoot> image_root;
  ns::ChildPlan plan;
  // The named network to attach to while the child waits; unset for
  // modes NONE, HOST and CONTAINER.
  std::optional<PreparedNetwork> network;
  // CONTAINER mode: the network namespace that plan.join_network_namespace_fd
  // borrows; empty otherwise.
  net::NetNamespace joined_network;
  // The IPC and PID namespaces that plan.join_*_namespace_fd borrow, and
  // the donor's /dev/shm that an attach step of the plan borrows.
  JoinedNamespaces joined_namespaces;
  // Seccomp, capabilities, rlimits and paths; plan.hooks point into it.
  std::unique_ptr<security::PreparedSecurity> security;
  // The hook in plan.hooks that creates a missing working directory
  // borrows it; null for a container without an image.
  std::unique_ptr<WorkingDirectory> working_directory;
};

// Validates `spec` and plans the container. Creates the state directory
// (and so claims the id) and nothing else. Errors: InvalidArgument from
// validation, NotFound for a missing root, user, group or executable,
// AlreadyExists for an id in use, errno-based ones from the file system.
// `layer_directory`: see StartOptions (container.h).
absl::StatusOr<PreparedContainer> PrepareContainer(const spec::ContainerSpec& spec,
                                                   const std::string& layer_directory = "");

// Plans `process` for the root filesystem at host path `root`: user and
// groups from its /etc/passwd and /etc/group, environment defaults, the
// executable found in its PATH, the working directory and stdio. Fills
// those fields of `plan`. Errors: NotFound for an unknown user, group or
// executable; InvalidArgument for groups a rootless plan cannot set.
absl::Status PlanProcess(const spec::Process& process, const std::string& root,
                         const std::string& hostname, ns::ChildPlan& plan);

// Returns 12 random hex digits, the default container id.
std::string RandomId();

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_PREPARE_H_
