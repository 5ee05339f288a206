#include "lib/security/security.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/security/default_profile.h"
#include "lib/security/paths.h"
#include "lib/security/receipt.h"
#include "lib/security/seccomp_listener.h"

namespace pycontain::security {
namespace {

using Point = ns::ChildHook::Point;

constexpr absl::Duration kListenerTimeout = absl::Seconds(30);

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status ValidateSeccomp(const spec::Seccomp& seccomp) {
  bool profile = seccomp.mode() == spec::Seccomp::PROFILE;
  bool learn = seccomp.mode() == spec::Seccomp::LEARN;
  if (profile && seccomp.profile_json().empty()) {
    return FieldError("security.seccomp.profile_json", "required for mode PROFILE");
  }
  if (!profile && !seccomp.profile_json().empty()) {
    return FieldError("security.seccomp.profile_json", "only used with mode PROFILE");
  }
  if (learn && seccomp.learn_output_path().empty()) {
    return FieldError("security.seccomp.learn_output_path", "required for mode LEARN");
  }
  if (!learn && !seccomp.learn_output_path().empty()) {
    return FieldError("security.seccomp.learn_output_path", "only used with mode LEARN");
  }
  if (profile) {
    absl::StatusOr<SeccompProfileJson> parsed = ParseSeccompProfile(seccomp.profile_json());
    if (!parsed.ok()) return Annotate(parsed.status(), "security.seccomp.profile_json");
    // Capabilities and kernel change which entries apply, not whether the
    // profile is well-formed.
    absl::StatusOr<SeccompPolicy> policy = ResolveSeccompProfile(*parsed, {});
    if (!policy.ok()) return Annotate(policy.status(), "security.seccomp.profile_json");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SeccompProgram>> CompileFor(const SeccompProfileJson& profile,
                                                           const spec::Seccomp& seccomp,
                                                           uint64_t capabilities,
                                                           const std::string& id,
                                                           SeccompPolicy& policy) {
  absl::StatusOr<SeccompPolicy> resolved =
      ResolveSeccompProfile(profile, {.capabilities = capabilities});
  if (!resolved.ok()) return Annotate(resolved.status(), "security.seccomp");
  policy = std::move(*resolved);
  absl::StatusOr<SeccompProgram> program =
      CompileSeccompPolicy(policy, {seccomp.strict(), id});
  if (!program.ok()) return Annotate(program.status(), "security.seccomp");
  return std::make_unique<SeccompProgram>(std::move(*program));
}

// Compiling the default profile for three architectures takes several
// milliseconds, longer than the rest of a container's start, and the result
// depends only on the profile, the capability set and strictness. So each
// compiled filter is kept for the life of the process. Warnings about
// unknown system call names are therefore logged on the first compile only.
class FilterCache {
 public:
  using Key = std::tuple<int, std::string, uint64_t, bool>;
  struct Entry {
    SeccompPolicy policy;
    SeccompProgram program;
  };

  static FilterCache& Get() {
    static FilterCache* cache = new FilterCache;
    return *cache;
  }

  std::optional<Entry> Find(const Key& key) {
    absl::MutexLock lock(&mutex_);
    auto found = entries_.find(key);
    if (found == entries_.end()) return std::nullopt;
    return found->second;
  }

  void Add(const Key& key, Entry entry) {
    absl::MutexLock lock(&mutex_);
    // Profiles given as text could grow the cache without bound, so it
    // starts over once it has this many.
    if (entries_.size() >= 32) entries_.clear();
    entries_.emplace(key, std::move(entry));
  }

 private:
  absl::Mutex mutex_;
  std::map<Key, Entry> entries_ ABSL_GUARDED_BY(mutex_);
};

// Compiled filters kept as files, so that short-lived callers such as the
// CLI, which start one container per process, compile once per host. A file
// starts with its whole key, compared on load, so a hash collision only
// costs a compile.
class FilterFiles {
 public:
  FilterFiles(std::string directory, const FilterCache::Key& key) : directory_(std::move(directory)) {
    struct utsname host = {};
    uname(&host);
    const scmp_version* version = seccomp_version();
    key_ = absl::StrCat("pycontain seccomp filter 1\n", std::get<0>(key), " ", std::get<2>(key), " ",
                        std::get<3>(key), " ", host.release, " ", version->major, ".",
                        version->minor, ".", version->micro, "\n", std::get<1>(key));
    key_.push_back('\0');
    // FNV-1a: stable across processes, unlike absl::Hash.
    uint64_t hash = 14695981039346656037ull;
    for (char c : key_) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    path_ = absl::StrCat(directory_, "/", absl::Hex(hash, absl::kZeroPad16), ".bpf");
  }

  // Fills `program` from the file; false when there is none or it does not
  // match.
  bool Load(SeccompProgram& program) const {
    if (directory_.empty()) return false;
    UniqueFd fd(open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return false;
    std::string data;
    char buffer[16384];
    ssize_t n;
    while ((n = read(fd.get(), buffer, sizeof(buffer))) > 0) data.append(buffer, n);
    size_t header = key_.size() + 2 * sizeof(uint32_t);
    if (n < 0 || data.size() < header || data.compare(0, key_.size(), key_) != 0 ||
        (data.size() - header) % sizeof(sock_filter) != 0) {
      return false;
    }
    uint32_t fields[2];
    memcpy(fields, data.data() + key_.size(), sizeof(fields));
    program.flags = fields[0];
    program.rule_count = static_cast<int>(fields[1]);
    program.instructions.resize((data.size() - header) / sizeof(sock_filter));
    memcpy(program.instructions.data(), data.data() + header, data.size() - header);
    return !program.instructions.empty();
  }

  // Writes `program` to the file through a temporary one, so readers never
  // see half a filter. Failures only cost later compiles, so they are
  // logged at debug level.
  void Store(const SeccompProgram& program, const std::string& id) const {
    if (directory_.empty()) return;
    if (mkdir(directory_.c_str(), 0700) != 0 && errno != EEXIST) {
      Logf(LogLevel::kDebug, id, "seccomp: cannot create %s: %s", directory_, strerror(errno));
      return;
    }
    std::string temporary = absl::StrCat(path_, ".XXXXXX");
    UniqueFd fd(mkostemp(temporary.data(), O_CLOEXEC));
    if (!fd.valid()) return;
    uint32_t fields[2] = {program.flags, static_cast<uint32_t>(program.rule_count)};
    std::string data = key_;
    data.append(reinterpret_cast<const char*>(fields), sizeof(fields));
    data.append(reinterpret_cast<const char*>(program.instructions.data()),
                program.instructions.size() * sizeof(sock_filter));
    bool written = write(fd.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size());
    if (!written || rename(temporary.c_str(), path_.c_str()) != 0) {
      Logf(LogLevel::kDebug, id, "seccomp: cannot store the compiled filter at %s", path_);
      unlink(temporary.c_str());
    }
  }

 private:
  std::string directory_;
  std::string key_;
  std::string path_;
};

// Returns the compiled filter for `seccomp` (DEFAULT or PROFILE mode) and
// fills `policy`, from the cache when the same filter was compiled before.
absl::StatusOr<std::unique_ptr<SeccompProgram>> CompiledFilterFor(const spec::Seccomp& seccomp,
                                                                  uint64_t capabilities,
                                                                  const std::string& id,
                                                                  const std::string& cache_directory,
                                                                  SeccompPolicy& policy) {
  FilterCache::Key key{seccomp.mode(), seccomp.profile_json(), capabilities, seccomp.strict()};
  if (std::optional<FilterCache::Entry> cached = FilterCache::Get().Find(key)) {
    policy = std::move(cached->policy);
    Log(LogLevel::kDebug, id, "seccomp: filter compiled before, reused");
    return std::make_unique<SeccompProgram>(std::move(cached->program));
  }
  absl::StatusOr<SeccompProfileJson> parsed =
      seccomp.mode() == spec::Seccomp::DEFAULT
          ? absl::StatusOr<SeccompProfileJson>(DefaultSeccompProfile())
          : ParseSeccompProfile(seccomp.profile_json());
  if (!parsed.ok()) return Annotate(parsed.status(), "security.seccomp.profile_json");

  FilterFiles files(cache_directory, key);
  auto stored = std::make_unique<SeccompProgram>();
  if (files.Load(*stored)) {
    absl::StatusOr<SeccompPolicy> resolved =
        ResolveSeccompProfile(*parsed, {.capabilities = capabilities});
    if (!resolved.ok()) return Annotate(resolved.status(), "security.seccomp");
    policy = std::move(*resolved);
    Log(LogLevel::kDebug, id, "seccomp: compiled filter loaded from the cache directory");
    FilterCache::Get().Add(key, {policy, *stored});
    return stored;
  }
  absl::StatusOr<std::unique_ptr<SeccompProgram>> program =
      CompileFor(*parsed, seccomp, capabilities, id, policy);
  if (!program.ok()) return program.status();
  FilterCache::Get().Add(key, {policy, **program});
  files.Store(**program, id);
  return program;
}

std::vector<std::string> Concatenate(const std::vector<std::string>& defaults, bool use_defaults,
                                     const google::protobuf::RepeatedPtrField<std::string>& more) {
  std::vector<std::string> paths;
  if (use_defaults) paths = defaults;
  paths.insert(paths.end(), more.begin(), more.end());
  return paths;
}

}  // namespace

absl::Status ValidateSecurity(const spec::Security& security) {
  absl::Status status = ValidateSeccomp(security.seccomp());
  if (!status.ok()) return status;
  absl::StatusOr<CapabilitySets> sets =
      PlanCapabilities(security.capabilities(), ~uint64_t{0});
  if (!sets.ok()) return sets.status();
  status = ValidateRlimits(security.rlimits());
  if (!status.ok()) return status;
  return ValidatePaths(security);
}

PreparedSecurity::~PreparedSecurity() {
  if (listener_thread_.joinable()) listener_thread_.join();
}

absl::StatusOr<std::unique_ptr<PreparedSecurity>> PrepareSecurity(
    const spec::Security& spec, const SecurityContext& context) {
  absl::Status status = ValidateSecurity(spec);
  if (!status.ok()) return status;
  std::unique_ptr<PreparedSecurity> prepared(new PreparedSecurity());
  prepared->id_ = context.container_id;
  prepared->no_new_privileges_ = !spec.has_no_new_privileges() || spec.no_new_privileges();

  absl::StatusOr<CapabilitySets> sets = PlanCapabilities(spec.capabilities(), HostBoundingSet());
  if (!sets.ok()) return sets.status();
  prepared->capabilities_.sets = *sets;
  prepared->capabilities_.last_capability = LastCapability();

  absl::StatusOr<RlimitChildData> rlimits = PlanRlimits(spec.rlimits());
  if (!rlimits.ok()) return rlimits.status();
  prepared->rlimits_ = *rlimits;

  const spec::Seccomp& seccomp = spec.seccomp();
  switch (seccomp.mode()) {
    case spec::Seccomp::DEFAULT:
    case spec::Seccomp::PROFILE: {
      absl::StatusOr<std::unique_ptr<SeccompProgram>> program =
          CompiledFilterFor(seccomp, sets->bounding, context.container_id,
                            context.filter_cache_directory, prepared->policy_);
      if (!program.ok()) return program.status();
      prepared->seccomp_ = std::move(*program);
      break;
    }
    case spec::Seccomp::UNCONFINED:
      Log(LogLevel::kDebug, context.container_id, "seccomp: unconfined, no filter");
      break;
    case spec::Seccomp::LEARN: {
      absl::StatusOr<std::unique_ptr<SyscallLearner>> learner =
          SyscallLearner::Create(context.container_id);
      if (!learner.ok()) return learner.status();
      prepared->learner_ = std::move(*learner);
      prepared->learn_output_path_ = seccomp.learn_output_path();
      break;
    }
    default:
      return FieldError("security.seccomp.mode", absl::StrCat("unknown mode ", seccomp.mode()));
  }
  if (prepared->seccomp_ != nullptr && prepared->policy_.uses_notify) {
    absl::StatusOr<SharedListenerSlot> slot = SharedListenerSlot::Create();
    if (!slot.ok()) return slot.status();
    prepared->listener_slot_ = std::make_unique<SharedListenerSlot>(std::move(*slot));
    prepared->seccomp_->listener = prepared->listener_slot_->get();
  }

  PathOptions paths;
  paths.lookup_root = context.lookup_root;
  paths.new_root = context.new_root;
  paths.masked = Concatenate(DefaultMaskedPaths(), !spec.no_default_paths(), spec.masked_paths());
  paths.readonly =
      Concatenate(DefaultReadonlyPaths(), !spec.no_default_paths(), spec.readonly_paths());
  absl::StatusOr<std::vector<ns::RootfsStep>> steps = PlanPaths(paths);
  if (!steps.ok()) return steps.status();
  prepared->rootfs_steps_ = std::move(*steps);

  // Hooks, in the order the child runs them (see security.h).
  SeccompProgram* program =
      prepared->learner_ != nullptr ? prepared->learner_->program() : prepared->seccomp_.get();
  Point seccomp_point = prepared->no_new_privileges_ ? Point::kBeforeExec : Point::kAfterUserSwitch;
  std::vector<ns::ChildHook>& hooks = prepared->hooks_;
  if (prepared->rlimits_.count > 0) hooks.push_back(RlimitHook(&prepared->rlimits_));
  hooks.push_back(BoundingHook(&prepared->capabilities_));
  if (program != nullptr && !prepared->no_new_privileges_) {
    hooks.push_back(RaiseEffectiveHook());
    hooks.push_back(SeccompInstallHook(program, seccomp_point));
  }
  hooks.push_back(FinalSetsHook(&prepared->capabilities_));
  if (prepared->no_new_privileges_) hooks.push_back(NoNewPrivilegesHook(Point::kBeforeExec));
  if (program != nullptr && prepared->no_new_privileges_) {
    hooks.push_back(SeccompInstallHook(program, seccomp_point));
  }
  Logf(LogLevel::kDebug, context.container_id,
       "security: capabilities %s, no_new_privs %d, %d rlimits, %d path steps",
       DescribeCapabilities(sets->bounding), prepared->no_new_privileges_,
       prepared->rlimits_.count, static_cast<int>(prepared->rootfs_steps_.size()));
  return prepared;
}

absl::Status PreparedSecurity::ParentSetup(pid_t pid) {
  if (learner_ != nullptr) return learner_->Start(pid);
  if (listener_slot_ != nullptr) {
    listener_thread_ = std::thread([this, pid] { ForwardListener(pid); });
  }
  return absl::OkStatus();
}

void PreparedSecurity::ForwardListener(pid_t pid) {
  absl::StatusOr<UniqueFd> listener = listener_slot_->Take(pid, kListenerTimeout);
  absl::Status status = listener.status();
  if (listener.ok()) {
    status = SendListener(policy_.listener_path, listener->get(), pid, id_,
                          policy_.listener_metadata);
  }
  // The container has started by now or is failing for its own reason;
  // without the listener its notified calls fail with ENOSYS.
  if (!status.ok()) {
    Log(LogLevel::kError, id_,
        absl::StrCat("seccomp: handing the notification listener to listenerPath: ",
                     status.message()));
  }
}

void PreparedSecurity::AfterStart(pid_t pid) {
  absl::Status status = ReadSecurityReceipt(pid, receipt_);
  if (!status.ok()) {
    Log(LogLevel::kWarning, id_,
        absl::StrCat("security receipt not read: ", status.message()));
  }
}

absl::Status PreparedSecurity::AfterExit() {
  if (listener_thread_.joinable()) listener_thread_.join();
  if (learner_ == nullptr) return absl::OkStatus();
  absl::StatusOr<std::vector<std::string>> names = learner_->Finish();
  if (!names.ok()) return names.status();
  std::string json = LearnedProfileJson(*names, learner_->architectures());

  UniqueFd file(open(learn_output_path_.c_str(),
                     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!file.valid()) return ErrnoError(errno, "create", learn_output_path_);
  if (write(file.get(), json.data(), json.size()) != static_cast<ssize_t>(json.size())) {
    return ErrnoError(errno, "write", learn_output_path_);
  }
  Logf(LogLevel::kInfo, id_, "seccomp learning: %d system calls written to %s",
       static_cast<int>(names->size()), learn_output_path_);
  learner_.reset();
  return absl::OkStatus();
}

}  // namespace pycontain::security
