#include "lib/ns/rootfs_plan.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/path.h"
#include "lib/base/status.h"

namespace pycontain::ns {
namespace {

struct Device {
  const char* name;
  unsigned int major;
  unsigned int minor;
};

// The minimal /dev of runc and Docker, all with mode 0666.
constexpr Device kDevices[] = {
    {"null", 1, 3}, {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

constexpr std::pair<const char*, const char*> kDevSymlinks[] = {
    {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
    {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
    {"pts/ptmx", "ptmx"},
};

class Planner {
 public:
  explicit Planner(const RootfsOptions& options) : options_(options) {}

  absl::StatusOr<RootfsPlan> Plan();

 private:
  // Returns the host path of `path` inside the root.
  absl::StatusOr<std::string> Resolve(absl::string_view path) {
    if (!options_.lookup_root.empty()) {
      absl::StatusOr<std::string> found = ResolveInRoot(options_.lookup_root, path);
      if (!found.ok()) return found.status();
      // ResolveInRoot's result starts with its root (less trailing slashes).
      return absl::StrCat(options_.root,
                          absl::string_view(*found).substr(options_.lookup_root.size()));
    }
    if (!options_.host_root) return ResolveInRoot(options_.root, path);
    // The host's root is bound onto options_.root only in the child, so
    // paths are resolved on the host and then moved under the mount point.
    absl::StatusOr<std::string> host = ResolveInRoot("/", path);
    if (!host.ok()) return host.status();
    return *host == "/" ? options_.root : absl::StrCat(options_.root, *host);
  }

  void Add(RootfsStep::Kind kind, std::string target) {
    RootfsStep step;
    step.kind = kind;
    step.target = std::move(target);
    plan_.steps.push_back(std::move(step));
  }

  void AddDirectory(const std::string& target, mode_t mode) {
    Add(RootfsStep::Kind::kMakeDirectory, target);
    plan_.steps.back().mode = mode;
  }

  void AddMount(std::string source, std::string target, std::string fstype,
                unsigned long flags, std::string data) {
    RootfsStep step;
    step.kind = RootfsStep::Kind::kMount;
    step.source = std::move(source);
    step.target = std::move(target);
    step.fstype = std::move(fstype);
    step.flags = flags;
    step.data = std::move(data);
    plan_.steps.push_back(std::move(step));
  }

  // Adds a kMakeDirectory step for each directory between the root and
  // `target` (a result of Resolve), so that a destination whose parents do
  // not exist yet is made inside the root. An earlier mount may hide what
  // exists now, so existing directories get a step too.
  void AddParentDirectories(const std::string& target) {
    size_t start = options_.root.size();
    for (size_t slash = target.find('/', start + 1); slash != std::string::npos;
         slash = target.find('/', slash + 1)) {
      AddDirectory(target.substr(0, slash), 0755);
    }
  }

  // With root_slave, the root is made private again at once, so that the
  // host's later mounts below it stay out of the container.
  void AddPrivateIfSlave(const std::string& target) {
    if (plan_.root_slave) AddMount("", target, "", MS_REC | MS_PRIVATE, "");
  }

  void PlanRootMount();
  absl::Status PlanProc();
  absl::Status PlanDev();
  absl::Status PlanSys();
  absl::Status PlanHostTmp();
  absl::Status PlanMount(int index, const spec::Mount& mount);

  const RootfsOptions& options_;
  RootfsPlan plan_;
};

void Planner::PlanRootMount() {
  plan_.new_root = options_.root;
  plan_.steps = options_.before_root_steps;
  if (options_.host_root) {
    AddMount("/", options_.root, "", MS_BIND | MS_REC, "");
    AddPrivateIfSlave(options_.root);
    // The host's /proc, /dev and /sys are replaced below. Detaching them
    // first keeps the host's instances out of the container's mount table;
    // in a user namespace they are locked and get covered instead.
    for (const char* path : {"/proc", "/dev", "/sys"}) {
      Add(RootfsStep::Kind::kDetach, absl::StrCat(options_.root, path));
      plan_.steps.back().ignore_failure = true;
    }
    Add(RootfsStep::Kind::kReadOnlyRecursive, options_.root);
    return;
  }
  AddMount(options_.root, options_.root, "", MS_BIND | MS_REC, "");
  AddPrivateIfSlave(options_.root);
  plan_.readonly_root = options_.readonly;
}

absl::Status Planner::PlanProc() {
  absl::StatusOr<std::string> proc = Resolve("/proc");
  if (!proc.ok()) return proc.status();
  AddDirectory(*proc, 0555);
  AddMount("proc", *proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
  return absl::OkStatus();
}

absl::Status Planner::PlanDev() {
  absl::StatusOr<std::string> dev = Resolve("/dev");
  if (!dev.ok()) return dev.status();
  AddDirectory(*dev, 0755);
  AddMount("tmpfs", *dev, "tmpfs", MS_NOSUID | MS_STRICTATIME,
           "mode=755,size=65536k");

  for (const Device& device : kDevices) {
    std::string target = absl::StrCat(*dev, "/", device.name);
    if (options_.user_namespace) {
      Add(RootfsStep::Kind::kMakeFile, target);
      AddMount(absl::StrCat("/dev/", device.name), target, "", MS_BIND, "");
    } else {
      Add(RootfsStep::Kind::kMakeDevice, target);
      plan_.steps.back().mode = 0666;
      plan_.steps.back().device = makedev(device.major, device.minor);
    }
  }
  for (const auto& [link_target, name] : kDevSymlinks) {
    Add(RootfsStep::Kind::kSymlink, absl::StrCat(*dev, "/", name));
    plan_.steps.back().source = link_target;
  }

  std::string pts = absl::StrCat(*dev, "/pts");
  AddDirectory(pts, 0755);
  // gid 5 is "tty" in Debian and most images. A user namespace may not map
  // it, and the kernel then rejects the option.
  AddMount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC,
           options_.user_namespace ? "newinstance,ptmxmode=0666,mode=0620"
                                   : "newinstance,ptmxmode=0666,mode=0620,gid=5");

  std::string shm = absl::StrCat(*dev, "/shm");
  AddDirectory(shm, 01777);
  AddMount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
           "mode=1777,size=65536k");
  return absl::OkStatus();
}

absl::Status Planner::PlanSys() {
  absl::StatusOr<std::string> sys = Resolve("/sys");
  if (!sys.ok()) return sys.status();
  AddDirectory(*sys, 0555);
  if (options_.user_namespace && !options_.new_network_namespace) {
    AddMount("/sys", *sys, "", MS_BIND | MS_REC, "");
    Add(RootfsStep::Kind::kReadOnlyRecursive, *sys);
    return absl::OkStatus();
  }
  AddMount("sysfs", *sys, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
  return absl::OkStatus();
}

absl::Status Planner::PlanHostTmp() {
  AddMount("tmpfs", absl::StrCat(options_.root, "/tmp"), "tmpfs",
           MS_NOSUID | MS_NODEV, "mode=1777");
  return absl::OkStatus();
}

struct ParsedOptions {
  unsigned long flags = 0;
  unsigned long propagation = 0;
  bool readonly = false;
  std::vector<std::string> data;
};

ParsedOptions ParseMountOptions(const spec::Mount& mount) {
  static constexpr std::pair<const char*, unsigned long> kFlags[] = {
      {"nosuid", MS_NOSUID}, {"nodev", MS_NODEV},   {"noexec", MS_NOEXEC},
      {"bind", MS_BIND},     {"rbind", MS_BIND | MS_REC},
      {"noatime", MS_NOATIME}, {"relatime", MS_RELATIME},
      {"strictatime", MS_STRICTATIME},
  };
  static constexpr std::pair<const char*, unsigned long> kPropagation[] = {
      {"private", MS_PRIVATE}, {"rprivate", MS_PRIVATE | MS_REC},
      {"slave", MS_SLAVE},     {"rslave", MS_SLAVE | MS_REC},
      {"shared", MS_SHARED},   {"rshared", MS_SHARED | MS_REC},
  };
  ParsedOptions parsed;
  for (const std::string& option : mount.options()) {
    bool known = false;
    if (option == "ro") {
      parsed.readonly = known = true;
    } else if (option == "rw") {
      known = true;
    }
    for (const auto& [name, flag] : kFlags) {
      if (option == name) {
        parsed.flags |= flag;
        known = true;
      }
    }
    for (const auto& [name, flag] : kPropagation) {
      if (option == name) {
        parsed.propagation = flag;
        known = true;
      }
    }
    if (!known) parsed.data.push_back(option);
  }
  return parsed;
}

absl::Status Planner::PlanMount(int index, const spec::Mount& mount) {
  absl::StatusOr<std::string> target = Resolve(mount.destination());
  if (!target.ok()) return Annotate(target.status(), absl::StrCat("mounts[", index, "]"));
  if (options_.host_root) {
    // The host's root is bound read-only, so a missing destination cannot
    // be made there (and must never be made on the host itself).
    std::string on_host = target->substr(options_.root.size());
    struct stat existing;
    if (!on_host.empty() && lstat(on_host.c_str(), &existing) != 0 && errno == ENOENT) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mounts[", index, "].destination: ", on_host,
          " does not exist on the host's root, which containers without a root "
          "filesystem see read-only; mount onto an existing directory or give the "
          "container a root filesystem or an image"));
    }
  }
  AddParentDirectories(*target);

  ParsedOptions options = ParseMountOptions(mount);
  bool bind = mount.type() == "bind" || (options.flags & MS_BIND);
  if (bind) {
    options.flags |= MS_BIND;
    struct stat source;
    if (stat(mount.source().c_str(), &source) != 0) {
      return Annotate(ErrnoError(errno, "bind mount source", mount.source()),
                      absl::StrCat("mounts[", index, "]"));
    }
    if (S_ISDIR(source.st_mode)) {
      AddDirectory(*target, 0755);
    } else {
      Add(RootfsStep::Kind::kMakeFile, *target);
    }
    if (!options.data.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mounts[", index, "].options: unknown option for a bind mount: ",
          absl::StrJoin(options.data, ", ")));
    }
    AddMount(mount.source(), *target, "", options.flags, "");
    // A bind mount takes the source's flags, so others need a remount.
    unsigned long remount_flags = options.flags & ~(MS_BIND | MS_REC);
    if (remount_flags != 0) {
      AddMount("", *target, "", MS_REMOUNT | MS_BIND | remount_flags, "");
    }
    // mount_setattr changes only the read-only flag, also on every mount
    // that rbind copied from below the source, which a remount would leave
    // writable.
    if (options.readonly) Add(RootfsStep::Kind::kReadOnlyRecursive, *target);
  } else {
    AddDirectory(*target, 0755);
    std::string source = mount.source().empty() ? mount.type() : mount.source();
    AddMount(source, *target, mount.type(),
             options.flags | (options.readonly ? MS_RDONLY : 0),
             absl::StrJoin(options.data, ","));
  }
  // A bind mount copies the source's propagation. When the copies are
  // slaves (root_slave), one without an option is made private, as it
  // would be otherwise and as Docker's default "rprivate" makes it.
  if (bind && options.propagation == 0 && plan_.root_slave) {
    options.propagation = MS_REC | MS_PRIVATE;
  }
  if (options.propagation != 0) AddMount("", *target, "", options.propagation, "");
  return absl::OkStatus();
}

absl::StatusOr<RootfsPlan> Planner::Plan() {
  // Slave and shared propagation need the copied mounts to stay slaves of
  // the host's, which making them private first would cut off.
  for (const spec::Mount& mount : options_.mounts) {
    unsigned long propagation = ParseMountOptions(mount).propagation;
    if (propagation & (MS_SLAVE | MS_SHARED)) plan_.root_slave = true;
  }
  PlanRootMount();
  absl::Status status = PlanProc();
  if (status.ok()) status = PlanDev();
  if (status.ok()) status = PlanSys();
  if (status.ok() && options_.host_root) status = PlanHostTmp();
  for (size_t i = 0; status.ok() && i < options_.mounts.size(); ++i) {
    status = PlanMount(static_cast<int>(i), options_.mounts[i]);
  }
  if (!status.ok()) return status;
  return std::move(plan_);
}

}  // namespace

absl::StatusOr<RootfsPlan> PlanRootfs(const RootfsOptions& options) {
  return Planner(options).Plan();
}

bool IsMountFlagOption(absl::string_view option) {
  spec::Mount mount;
  mount.add_options(std::string(option));
  return ParseMountOptions(mount).data.empty();
}

}  // namespace pycontain::ns
