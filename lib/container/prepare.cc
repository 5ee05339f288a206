#include "lib/container/prepare.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/sched.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/base/log.h"
#include "lib/base/path.h"
#include "lib/base/status.h"
#include "lib/container/image_root.h"
#include "lib/container/mount_check.h"
#include "lib/container/namespace_join.h"
#include "lib/container/user.h"
#include "lib/ns/rootfs_plan.h"
#include "lib/spec/validate.h"

namespace pycontain::container {
namespace {

bool Enabled(bool has, bool value, bool default_value) {
  return has ? value : default_value;
}

uint64_t NamespaceFlags(const spec::ContainerSpec& spec, bool user) {
  const spec::Namespaces& ns = spec.namespaces();
  // HOST keeps the caller's network namespace; CONTAINER joins another
  // container's in the child.
  bool shared_network = spec.network().mode() == spec::Network::HOST ||
                        spec.network().mode() == spec::Network::CONTAINER;
  uint64_t flags = CLONE_NEWNS;
  if (user) flags |= CLONE_NEWUSER;
  // A joined namespace replaces a new one (namespace_join.h).
  if (Enabled(ns.has_pid(), ns.pid(), !ns.has_join_pid())) flags |= CLONE_NEWPID;
  if (Enabled(ns.has_uts(), ns.uts(), true)) flags |= CLONE_NEWUTS;
  if (Enabled(ns.has_ipc(), ns.ipc(), !ns.has_join_ipc())) flags |= CLONE_NEWIPC;
  if (Enabled(ns.has_net(), ns.net(), !shared_network)) flags |= CLONE_NEWNET;
  if (Enabled(ns.has_cgroup(), ns.cgroup(), true)) flags |= CLONE_NEWCGROUP;
  if (Enabled(ns.has_time(), ns.time(), false)) flags |= CLONE_NEWTIME;
  return flags;
}

std::string FormatIdMap(const google::protobuf::RepeatedPtrField<spec::IdMapping>& mappings) {
  std::string text;
  for (const spec::IdMapping& mapping : mappings) {
    absl::StrAppend(&text, mapping.container_id(), " ", mapping.host_id(), " ",
                    mapping.size(), "\n");
  }
  return text;
}

absl::Status PlanIdMaps(const spec::ContainerSpec& spec, ns::ChildPlan& plan) {
  const spec::Namespaces& ns = spec.namespaces();
  bool root = geteuid() == 0;
  if (ns.uid_mappings_size() > 0 || ns.gid_mappings_size() > 0) {
    plan.uid_map = FormatIdMap(ns.uid_mappings());
    plan.gid_map = FormatIdMap(ns.gid_mappings());
    // An unprivileged caller may map only its own ids, and then only
    // after denying setgroups; the kernel rejects anything else.
    plan.deny_setgroups = !root;
    plan.set_groups = root;
    return absl::OkStatus();
  }
  if (root) {
    plan.uid_map = "0 0 4294967295\n";
    plan.gid_map = "0 0 4294967295\n";
    return absl::OkStatus();
  }
  // Rootless: the caller becomes root inside, and no other id exists.
  plan.uid_map = absl::StrCat("0 ", geteuid(), " 1\n");
  plan.gid_map = absl::StrCat("0 ", getegid(), " 1\n");
  plan.deny_setgroups = true;
  plan.set_groups = false;
  return absl::OkStatus();
}

// Returns the contents of `path` inside the root, or "" when it is missing.
absl::StatusOr<std::string> ReadInRoot(int root_fd, absl::string_view path) {
  absl::StatusOr<UniqueFd> fd = OpenInRoot(root_fd, path, O_RDONLY);
  if (!fd.ok()) {
    if (ErrnoOf(fd.status()) == ENOENT) return std::string();
    return fd.status();
  }
  std::string text;
  char buffer[8192];
  ssize_t n;
  while ((n = read(fd->get(), buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  if (n < 0) return ErrnoError(errno, "read", path);
  return text;
}

std::string EnvValue(const std::vector<std::string>& env, absl::string_view name) {
  for (const std::string& entry : env) {
    if (absl::StartsWith(entry, name) && entry.size() > name.size() &&
        entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return "";
}

void AddDefaultEnv(std::vector<std::string>& env, absl::string_view name,
                   absl::string_view value) {
  for (const std::string& entry : env) {
    if (absl::StartsWith(entry, absl::StrCat(name, "="))) return;
  }
  env.push_back(absl::StrCat(name, "=", value));
}

bool IsExecutableFile(const std::string& host_path) {
  struct stat info;
  return stat(host_path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         (info.st_mode & 0111) != 0;
}

// Finds args[0] inside the root as a shell would: names with a slash are
// taken as they are (relative to cwd), others are searched in PATH.
absl::StatusOr<std::string> FindExecutable(const std::string& root,
                                           const std::string& name,
                                           const std::string& cwd,
                                           const std::string& path) {
  if (absl::StrContains(name, '/')) {
    std::string inside = absl::StartsWith(name, "/") ? name : absl::StrCat(cwd, "/", name);
    absl::StatusOr<std::string> host = ResolveInRoot(root, inside);
    if (!host.ok()) return host.status();
    struct stat info;
    if (stat(host->c_str(), &info) != 0) {
      return ErrnoError(errno, "executable", absl::StrCat("\"", name, "\""));
    }
    return inside;
  }
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string inside = absl::StrCat(dir, "/", name);
    absl::StatusOr<std::string> host = ResolveInRoot(root, inside);
    if (host.ok() && IsExecutableFile(*host)) return inside;
  }
  return absl::NotFoundError(absl::StrFormat(
      "executable file \"%s\" not found in $PATH (%s) inside the container", name,
      path));
}

}  // namespace

absl::Status PlanProcess(const spec::Process& process, const std::string& root,
                         const std::string& hostname, ns::ChildPlan& plan) {
  UniqueFd root_fd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return ErrnoError(errno, "open root filesystem", root);

  absl::StatusOr<std::string> passwd = ReadInRoot(root_fd.get(), "/etc/passwd");
  if (!passwd.ok()) return passwd.status();
  absl::StatusOr<std::string> group = ReadInRoot(root_fd.get(), "/etc/group");
  if (!group.ok()) return group.status();
  absl::StatusOr<ResolvedUser> user =
      ResolveUser(process.user().user(), process.user().group(), *passwd, *group);
  if (!user.ok()) return user.status();
  plan.uid = user->uid;
  plan.gid = user->gid;
  plan.additional_gids = user->additional_gids;
  plan.additional_gids.insert(plan.additional_gids.end(),
                              process.user().additional_gids().begin(),
                              process.user().additional_gids().end());
  if (!plan.set_groups && !process.user().additional_gids().empty()) {
    return absl::InvalidArgumentError(
        "process.user.additional_gids: a rootless container has no other groups "
        "to add");
  }

  plan.env.assign(process.env().begin(), process.env().end());
  AddDefaultEnv(plan.env, "PATH", kDefaultPath);
  if (!hostname.empty()) AddDefaultEnv(plan.env, "HOSTNAME", hostname);
  AddDefaultEnv(plan.env, "HOME", user->home);

  plan.cwd = process.cwd().empty() ? "/" : process.cwd();
  plan.args.assign(process.args().begin(), process.args().end());
  absl::StatusOr<std::string> executable =
      FindExecutable(root, plan.args[0], plan.cwd, EnvValue(plan.env, "PATH"));
  if (!executable.ok()) return executable.status();
  plan.executable = *executable;

  const spec::Stdio& stdio = process.stdio();
  plan.stdin_fd = stdio.has_stdin_fd() ? stdio.stdin_fd() : -1;
  plan.stdout_fd = stdio.has_stdout_fd() ? stdio.stdout_fd() : -1;
  plan.stderr_fd = stdio.has_stderr_fd() ? stdio.stderr_fd() : -1;
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::string> CheckRoot(const std::string& path) {
  char* real = realpath(path.c_str(), nullptr);
  if (real == nullptr) return ErrnoError(errno, "root filesystem", path);
  std::string resolved(real);
  free(real);
  struct stat info;
  if (stat(resolved.c_str(), &info) != 0) {
    return ErrnoError(errno, "root filesystem", path);
  }
  if (!S_ISDIR(info.st_mode)) return ErrnoError(ENOTDIR, "root filesystem", path);
  return resolved;
}

void LogPlan(const std::string& id, const ns::ChildPlan& plan) {
  if (!LogEnabled(LogLevel::kDebug)) return;
  for (const ns::RootfsStep& step : plan.rootfs_steps) {
    if (step.kind == ns::RootfsStep::Kind::kMount) {
      Logf(LogLevel::kDebug, id, "%s (flags %s%s%s)", ns::DescribeRootfsStep(step),
           ns::DescribeMountFlags(step.flags), step.data.empty() ? "" : ", data ",
           step.data);
    } else {
      Log(LogLevel::kDebug, id, ns::DescribeRootfsStep(step));
    }
  }
  Logf(LogLevel::kDebug, id, "pivot_root into %s%s", plan.new_root,
       plan.readonly_root ? ", then remount it read-only" : "");
  Logf(LogLevel::kDebug, id, "exec %s as %d:%d in %s", plan.executable, plan.uid,
       plan.gid, plan.cwd);
}

}  // namespace

std::string RandomId() {
  unsigned char bytes[6];
  if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes)) {
    // getrandom on a booted kernel does not fail for 6 bytes; fall back to
    // the clock and pid rather than stop.
    uint64_t value = static_cast<uint64_t>(getpid()) ^
                     static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
    memcpy(bytes, &value, sizeof(bytes));
  }
  std::string id;
  for (unsigned char byte : bytes) absl::StrAppendFormat(&id, "%02x", byte);
  return id;
}

absl::StatusOr<PreparedContainer> PrepareContainer(const spec::ContainerSpec& requested,
                                                   const std::string& layer_directory) {
  // With an image, its config fills in what the spec leaves unset.
  std::optional<ImageSpec> image;
  if (!requested.image().empty()) {
    absl::StatusOr<ImageSpec> resolved = ResolveImage(requested);
    if (!resolved.ok()) return resolved.status();
    image = std::move(*resolved);
    image->layer_directory = layer_directory;
  }
  const spec::ContainerSpec& spec = image.has_value() ? image->spec : requested;

  absl::Status status = spec::ValidateSpec(spec);
  if (!status.ok()) return status;
  status = security::ValidateSecurity(spec.security());
  if (!status.ok()) return status;
  // The caller's mounts, so that "mounts[i]" in an error counts theirs and
  // not the tmpfs mounts an image adds before them.
  status = CheckFilesystemOptions({requested.mounts().begin(), requested.mounts().end()});
  if (!status.ok()) return status;

  PreparedContainer prepared;
  prepared.id = spec.id().empty() ? RandomId() : spec.id();
  ns::ChildPlan& plan = prepared.plan;

  const spec::Namespaces& ns = spec.namespaces();
  bool user = ns.has_user() ? ns.user() : geteuid() != 0;
  plan.namespace_flags = NamespaceFlags(spec, user);
  plan.user_namespace = user;
  if (user) {
    status = PlanIdMaps(spec, plan);
    if (!status.ok()) return status;
  }

  bool host_root = spec.root().path().empty() && !image.has_value();
  std::string root = "/";
  if (image.has_value()) {
    // The overlay exists before planning, so the id is claimed first.
    absl::StatusOr<StateDir> state = StateDir::Create(prepared.id);
    if (!state.ok()) return state.status();
    prepared.state = std::move(*state);
    absl::StatusOr<std::string> mountpoint = prepared.state.MakeSubdirectory("rootfs");
    if (!mountpoint.ok()) return mountpoint.status();
    absl::StatusOr<ImageRoot> mounted = MountImageRoot(*image, prepared.id, *mountpoint);
    if (!mounted.ok()) return mounted.status();
    prepared.image_root = std::move(*mounted);
    root = prepared.image_root->lookup_path();
  } else if (!host_root) {
    absl::StatusOr<std::string> checked = CheckRoot(spec.root().path());
    if (!checked.ok()) return checked.status();
    root = *checked;
  }
  if (plan.namespace_flags & CLONE_NEWUTS) {
    plan.hostname = spec.hostname().empty() ? prepared.id : spec.hostname();
  }
  status = PlanProcess(spec.process(), root, plan.hostname, plan);
  if (!status.ok()) return status;
  // As `docker run -w`, a missing working directory is created in the
  // container's writable layer. A root directory (root.path) is the
  // caller's own tree and is not written to: there the start fails in
  // chdir, as exec does everywhere.
  if (image.has_value()) {
    absl::StatusOr<std::unique_ptr<WorkingDirectory>> working_directory =
        WorkingDirectory::Create(plan.cwd, plan.uid, plan.gid);
    if (!working_directory.ok()) return working_directory.status();
    prepared.working_directory = std::move(*working_directory);
    plan.hooks.push_back(prepared.working_directory->Hook());
  }

  // The last check before the first side effect: claiming the id.
  if (!image.has_value()) {
    absl::StatusOr<StateDir> state = StateDir::Create(prepared.id);
    if (!state.ok()) return state.status();
    prepared.state = std::move(*state);
  }

  ns::RootfsOptions rootfs;
  rootfs.root = root;
  rootfs.host_root = host_root;
  rootfs.readonly = host_root || spec.root().readonly();
  rootfs.user_namespace = user;
  rootfs.new_network_namespace = (plan.namespace_flags & CLONE_NEWNET) != 0;
  rootfs.mounts.assign(spec.mounts().begin(), spec.mounts().end());
  absl::StatusOr<std::optional<PreparedNetwork>> network =
      PrepareNetwork(spec, prepared.id, plan.hostname, prepared.state, rootfs.mounts);
  if (!network.ok()) return network.status();
  prepared.network = std::move(*network);
  absl::StatusOr<net::NetNamespace> joined = OpenJoinedNetwork(spec);
  if (!joined.ok()) return joined.status();
  prepared.joined_network = std::move(*joined);
  plan.join_network_namespace_fd = prepared.joined_network.fd();
  absl::StatusOr<JoinedNamespaces> joined_namespaces =
      OpenJoinedNamespaces(spec, prepared.id, user);
  if (!joined_namespaces.ok()) return joined_namespaces.status();
  prepared.joined_namespaces = std::move(*joined_namespaces);
  plan.join_ipc_namespace_fd = prepared.joined_namespaces.ipc.get();
  plan.join_pid_namespace_fd = prepared.joined_namespaces.pid.get();
  if (host_root) {
    absl::StatusOr<std::string> mountpoint = prepared.state.MakeSubdirectory("rootfs");
    if (!mountpoint.ok()) return mountpoint.status();
    rootfs.root = *mountpoint;
  }
  if (prepared.image_root.has_value()) {
    rootfs.lookup_root = root;
    rootfs.before_root_steps.push_back(prepared.image_root->AttachStep());
    rootfs.root = prepared.image_root->AttachStep().target;
  }
  // Volumes become bind mounts of their directories in the store. An empty
  // one is seeded from the root, but not from the host's (embedded) root.
  absl::StatusOr<ContainerVolumes> volumes =
      AttachVolumes(prepared.id, host_root ? "" : root, rootfs.mounts,
                    spec.remove_anonymous_volumes());
  if (!volumes.ok()) return volumes.status();
  prepared.volumes = std::move(*volumes);
  absl::StatusOr<ns::RootfsPlan> rootfs_plan = ns::PlanRootfs(rootfs);
  if (!rootfs_plan.ok()) return rootfs_plan.status();
  plan.rootfs_steps = std::move(rootfs_plan->steps);
  plan.new_root = std::move(rootfs_plan->new_root);
  plan.readonly_root = rootfs_plan->readonly_root;
  plan.root_slave = rootfs_plan->root_slave;
  if (prepared.joined_namespaces.shm.valid()) {
    plan.rootfs_steps.push_back(
        SharedShmStep(prepared.joined_namespaces.shm.get(), plan.new_root));
  }
  plan.loopback_up = (plan.namespace_flags & CLONE_NEWNET) != 0;

  // Masked and read-only paths go last, over /proc, /sys and the mounts.
  absl::StatusOr<std::unique_ptr<security::PreparedSecurity>> hardening =
      security::PrepareSecurity(spec.security(), {prepared.id, root, plan.new_root,
                                                  absl::StrCat(StateRoot(), "/_seccomp")});
  if (!hardening.ok()) return hardening.status();
  prepared.security = std::move(*hardening);
  plan.rootfs_steps.insert(plan.rootfs_steps.end(), prepared.security->rootfs_steps().begin(),
                           prepared.security->rootfs_steps().end());
  plan.hooks.insert(plan.hooks.end(), prepared.security->hooks().begin(),
                    prepared.security->hooks().end());

  LogPlan(prepared.id, plan);
  return prepared;
}

}  // namespace pycontain::container
