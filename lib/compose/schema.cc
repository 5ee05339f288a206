#include "lib/compose/schema.h"

#include <cmath>
#include <span>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/units.h"

namespace pycontain::compose {
namespace {

using yaml::Node;

// The content a scalar must have. kNone rejects scalars.
enum class ScalarType { kNone, kString, kBool, kInteger, kNumber, kByteSize, kDuration };

struct Field;

// One node of the schema: the shapes a value may take. A value may be a
// scalar (when `scalar` is not kNone), null (`null_ok`), a list (`items`),
// a mapping with fixed fields (`fields`) or a mapping whose keys are names
// (`values`). These are the schema's oneOf alternatives.
struct Type {
  ScalarType scalar = ScalarType::kNone;
  bool null_ok = false;
  const Type* items = nullptr;
  std::span<const Field> fields = {};
  const Type* values = nullptr;
  // `values` keys must be resource names ([a-zA-Z0-9._-]+).
  bool name_keys = false;
  // Accept anything (driver-specific or free-form content).
  bool any = false;
  // List items must differ from each other (the schema's uniqueItems);
  // only scalar items are compared.
  bool unique = false;
  // When not empty, a scalar must be one of these.
  std::span<const absl::string_view> choices = {};
};

struct Field {
  absl::string_view name;
  const Type* type;
  Support support = Support::kApplied;
  // Why the field is not applied (kNotApplied and kObsolete only).
  absl::string_view reason = {};
  bool required = false;
};

// ---- Leaf types ----

constexpr Type kString{.scalar = ScalarType::kString};
constexpr Type kStringOrNull{.scalar = ScalarType::kString, .null_ok = true};
constexpr Type kBool{.scalar = ScalarType::kBool};
constexpr Type kInteger{.scalar = ScalarType::kInteger};
constexpr Type kNumber{.scalar = ScalarType::kNumber};
constexpr Type kByteSize{.scalar = ScalarType::kByteSize};
constexpr Type kDuration{.scalar = ScalarType::kDuration};
constexpr Type kAnything{.any = true};
constexpr Type kStringList{.items = &kString, .unique = true};
constexpr Type kStringOrList{.scalar = ScalarType::kString, .items = &kString, .unique = true};
constexpr Type kScalarMap{.values = &kStringOrNull};
constexpr Type kListOrDict{.items = &kString, .values = &kStringOrNull, .unique = true};
constexpr Type kCommand{.scalar = ScalarType::kString, .null_ok = true, .items = &kString};

// ---- Service parts ----

constexpr absl::string_view kNotBuilt =
    "building images is not supported yet; compose up reports an error for this service";
constexpr absl::string_view kNoSwarm = "it only has effect on a Swarm cluster";

constexpr Field kBuildFields[] = {
    {"context", &kString},          {"dockerfile", &kString},   {"dockerfile_inline", &kString},
    {"entitlements", &kStringList}, {"args", &kListOrDict},     {"ssh", &kListOrDict},
    {"labels", &kListOrDict},       {"cache_from", &kStringList}, {"cache_to", &kStringList},
    {"no_cache", &kBool},           {"additional_contexts", &kListOrDict},
    {"network", &kString},          {"pull", &kBool},           {"target", &kString},
    {"shm_size", &kByteSize},       {"extra_hosts", &kAnything}, {"isolation", &kString},
    {"privileged", &kBool},         {"secrets", &kAnything},    {"tags", &kStringList},
    {"ulimits", &kAnything},        {"platforms", &kStringList},
};
constexpr Type kBuild{.scalar = ScalarType::kString, .fields = kBuildFields};

constexpr absl::string_view kConditions[] = {"service_started", "service_healthy",
                                             "service_completed_successfully"};
constexpr Type kCondition{.scalar = ScalarType::kString, .choices = kConditions};
constexpr Field kDependencyFields[] = {
    {"condition", &kCondition, Support::kApplied, {}, true},
    {"required", &kBool},
    {"restart", &kBool},
};
constexpr Type kDependency{.fields = kDependencyFields};
constexpr Type kDependsOn{
    .items = &kString, .values = &kDependency, .name_keys = true, .unique = true};

constexpr Field kDeviceFields[] = {
    {"source", &kString, Support::kApplied, {}, true},
    {"target", &kString},
    {"permissions", &kString},
};
constexpr Type kDevice{.scalar = ScalarType::kString, .fields = kDeviceFields};
constexpr Type kDevices{.items = &kDevice};

constexpr Field kEnvFileFields[] = {
    {"path", &kString, Support::kApplied, {}, true},
    {"format", &kString},
    {"required", &kBool},
};
constexpr Type kEnvFileItem{.scalar = ScalarType::kString, .fields = kEnvFileFields};
constexpr Type kEnvFile{.scalar = ScalarType::kString, .items = &kEnvFileItem};

constexpr Field kExtendsFields[] = {
    {"service", &kString, Support::kApplied, {}, true},
    {"file", &kString},
};
constexpr Type kExtends{.scalar = ScalarType::kString, .fields = kExtendsFields};

constexpr Type kExtraHosts{.items = &kString, .values = &kStringOrList, .unique = true};

constexpr Field kHealthcheckFields[] = {
    {"disable", &kBool},
    {"interval", &kDuration},
    {"retries", &kInteger},
    {"test", &kStringOrList},
    {"timeout", &kDuration},
    {"start_period", &kDuration},
    {"start_interval", &kDuration, Support::kNotApplied,
     "health checks run every interval, also during the start period"},
};
constexpr Type kHealthcheck{.fields = kHealthcheckFields};

constexpr Field kLoggingFields[] = {
    {"driver", &kString},
    {"options", &kScalarMap},
};
constexpr Type kLogging{.fields = kLoggingFields};

constexpr absl::string_view kNetworkOptionReason = "pycontain networks do not support it yet";
constexpr Field kServiceNetworkFields[] = {
    {"aliases", &kStringList},
    {"ipv4_address", &kString},
    {"ipv6_address", &kString, Support::kNotApplied, kNetworkOptionReason},
    {"interface_name", &kString, Support::kNotApplied, kNetworkOptionReason},
    {"link_local_ips", &kStringList, Support::kNotApplied, kNetworkOptionReason},
    {"mac_address", &kString, Support::kNotApplied, kNetworkOptionReason},
    {"driver_opts", &kScalarMap, Support::kNotApplied, kNetworkOptionReason},
    {"priority", &kNumber, Support::kNotApplied, kNetworkOptionReason},
    {"gw_priority", &kNumber, Support::kNotApplied, kNetworkOptionReason},
};
constexpr Type kServiceNetwork{.null_ok = true, .fields = kServiceNetworkFields};
constexpr Type kServiceNetworks{
    .items = &kString, .values = &kServiceNetwork, .name_keys = true, .unique = true};

constexpr Field kPortFields[] = {
    {"name", &kString},
    {"mode", &kString},
    {"host_ip", &kString},
    {"target", &kInteger},
    {"published", &kString},
    {"protocol", &kString},
    {"app_protocol", &kString, Support::kNotApplied, "ports are forwarded without a protocol hint"},
};
constexpr Type kPort{.scalar = ScalarType::kString, .fields = kPortFields};
constexpr Type kPorts{.items = &kPort, .unique = true};

constexpr Field kServiceRefFields[] = {
    {"source", &kString}, {"target", &kString}, {"uid", &kString},
    {"gid", &kString},    {"mode", &kString},
};
constexpr Type kServiceRef{.scalar = ScalarType::kString, .fields = kServiceRefFields};
constexpr Type kServiceRefs{.items = &kServiceRef};

constexpr Field kUlimitFields[] = {
    {"soft", &kInteger, Support::kApplied, {}, true},
    {"hard", &kInteger, Support::kApplied, {}, true},
};
constexpr Type kUlimit{.scalar = ScalarType::kInteger, .fields = kUlimitFields};
constexpr Type kUlimits{.values = &kUlimit};

constexpr absl::string_view kMountOptionReason = "pycontain mounts do not support it yet";
constexpr Field kBindFields[] = {
    {"propagation", &kString, Support::kNotApplied, kMountOptionReason},
    {"create_host_path", &kBool},
    {"recursive", &kString, Support::kNotApplied, kMountOptionReason},
    {"selinux", &kString, Support::kNotApplied, "pycontain does not relabel for SELinux"},
};
constexpr Field kVolumeOptionFields[] = {
    {"labels", &kListOrDict, Support::kNotApplied, kMountOptionReason},
    {"nocopy", &kBool},
    {"subpath", &kString, Support::kNotApplied, kMountOptionReason},
};
constexpr Field kTmpfsFields[] = {
    {"size", &kByteSize},
    {"mode", &kString, Support::kNotApplied, kMountOptionReason},
};
constexpr Field kImageMountFields[] = {{"subpath", &kString}};
constexpr Type kBind{.fields = kBindFields};
constexpr Type kVolumeOptions{.fields = kVolumeOptionFields};
constexpr Type kTmpfsOptions{.fields = kTmpfsFields};
constexpr Type kImageMount{.fields = kImageMountFields};
constexpr absl::string_view kMountTypes[] = {"bind", "volume", "tmpfs", "cluster", "npipe", "image"};
constexpr Type kMountType{.scalar = ScalarType::kString, .choices = kMountTypes};
constexpr Field kMountFields[] = {
    {"type", &kMountType, Support::kApplied, {}, true},
    {"source", &kString},
    {"target", &kString},
    {"read_only", &kBool},
    {"consistency", &kString, Support::kNotApplied, "it only has effect on Docker Desktop"},
    {"bind", &kBind},
    {"volume", &kVolumeOptions},
    {"tmpfs", &kTmpfsOptions},
    {"image", &kImageMount, Support::kNotApplied, kMountOptionReason},
};
constexpr Type kMount{.scalar = ScalarType::kString, .fields = kMountFields};
constexpr Type kMounts{.items = &kMount, .unique = true};

// ---- deploy ----

constexpr Field kLimitFields[] = {
    {"cpus", &kNumber},
    {"memory", &kByteSize},
    {"pids", &kInteger},
};
constexpr Field kReservationFields[] = {
    {"cpus", &kNumber, Support::kNotApplied, "cgroups have no CPU reservation; use cpu_shares"},
    {"memory", &kByteSize},
    {"generic_resources", &kAnything, Support::kNotApplied, kNoSwarm},
    {"devices", &kAnything, Support::kNotApplied, "pycontain does not pass devices through"},
};
constexpr Type kLimits{.fields = kLimitFields};
constexpr Type kReservations{.fields = kReservationFields};
constexpr Field kResourceFields[] = {
    {"limits", &kLimits},
    {"reservations", &kReservations},
};
constexpr Type kResources{.fields = kResourceFields};
constexpr Field kDeployFields[] = {
    {"mode", &kString, Support::kNotApplied, kNoSwarm},
    {"endpoint_mode", &kString, Support::kNotApplied, kNoSwarm},
    {"replicas", &kInteger},
    {"labels", &kListOrDict, Support::kNotApplied, kNoSwarm},
    {"rollback_config", &kAnything, Support::kNotApplied, kNoSwarm},
    {"update_config", &kAnything, Support::kNotApplied, kNoSwarm},
    {"resources", &kResources},
    {"restart_policy", &kAnything, Support::kNotApplied, "use the service's restart field"},
    {"placement", &kAnything, Support::kNotApplied, kNoSwarm},
};
constexpr Type kDeploy{.null_ok = true, .fields = kDeployFields};

// ---- service ----

constexpr absl::string_view kNoDevices = "pycontain does not pass devices through";
constexpr absl::string_view kNoCpuTuning = "use cpus, cpu_shares or cpuset";
constexpr absl::string_view kNoSecrets = "secrets and configs are not mounted yet";
constexpr absl::string_view kNoTty = "compose services run without a terminal";
constexpr absl::string_view kNoLinks = "services on one network find each other by name";

constexpr Field kServiceFields[] = {
    {"annotations", &kListOrDict, Support::kNotApplied, "OCI annotations are not recorded"},
    {"attach", &kBool, Support::kNotApplied, "compose logs shows every service"},
    {"blkio_config", &kAnything, Support::kNotApplied, "block I/O limits are not applied yet"},
    {"build", &kBuild, Support::kNotApplied, kNotBuilt},
    {"cap_add", &kStringList},
    {"cap_drop", &kStringList},
    {"cgroup", &kString, Support::kNotApplied, "containers always get a cgroup namespace"},
    {"cgroup_parent", &kString, Support::kNotApplied, "cgroups are created under pycontain's own"},
    {"command", &kCommand},
    {"configs", &kServiceRefs, Support::kNotApplied, kNoSecrets},
    {"container_name", &kString},
    {"cpu_count", &kInteger, Support::kNotApplied, kNoCpuTuning},
    {"cpu_percent", &kInteger, Support::kNotApplied, kNoCpuTuning},
    {"cpu_period", &kInteger, Support::kNotApplied, kNoCpuTuning},
    {"cpu_quota", &kInteger, Support::kNotApplied, kNoCpuTuning},
    {"cpu_rt_period", &kString, Support::kNotApplied, kNoCpuTuning},
    {"cpu_rt_runtime", &kString, Support::kNotApplied, kNoCpuTuning},
    {"cpu_shares", &kInteger},
    {"cpus", &kNumber},
    {"cpuset", &kString},
    {"credential_spec", &kAnything, Support::kNotApplied, "it only has effect on Windows"},
    {"depends_on", &kDependsOn},
    {"deploy", &kDeploy},
    {"develop", &kAnything, Support::kNotApplied, "compose watch is not implemented"},
    {"device_cgroup_rules", &kStringList, Support::kNotApplied, kNoDevices},
    {"devices", &kDevices, Support::kNotApplied, kNoDevices},
    {"dns", &kStringOrList},
    {"dns_opt", &kStringList},
    {"dns_search", &kStringOrList},
    {"domainname", &kString, Support::kNotApplied, "only the hostname is set"},
    {"entrypoint", &kCommand},
    {"env_file", &kEnvFile},
    {"environment", &kListOrDict},
    {"expose", &kStringList},
    {"extends", &kExtends},
    {"external_links", &kStringList, Support::kNotApplied, kNoLinks},
    {"extra_hosts", &kExtraHosts},
    {"gpus", &kAnything, Support::kNotApplied, kNoDevices},
    {"group_add", &kStringList, Support::kNotApplied, "supplementary groups are not set yet"},
    {"healthcheck", &kHealthcheck},
    {"hostname", &kString},
    {"image", &kString},
    {"init", &kBool},
    {"ipc", &kString},
    {"isolation", &kString, Support::kNotApplied, "it only has effect on Windows"},
    {"label_file", &kStringOrList, Support::kNotApplied, "labels are read from labels only"},
    {"labels", &kListOrDict},
    {"links", &kStringList, Support::kNotApplied, kNoLinks},
    {"logging", &kLogging, Support::kNotApplied,
     "logging drivers are not supported; compose logs reads each container's output"},
    {"mac_address", &kString, Support::kNotApplied, kNetworkOptionReason},
    {"mem_limit", &kByteSize},
    {"mem_reservation", &kByteSize},
    {"mem_swappiness", &kInteger, Support::kNotApplied, "swappiness is not set yet"},
    {"memswap_limit", &kByteSize},
    {"models", &kAnything, Support::kNotApplied, "models are not supported"},
    {"network_mode", &kString, Support::kNotApplied, "use networks; network_mode is not applied yet"},
    {"networks", &kServiceNetworks},
    {"oom_kill_disable", &kBool, Support::kNotApplied, "the OOM killer always applies"},
    {"oom_score_adj", &kInteger, Support::kNotApplied, "oom_score_adj is not set yet"},
    {"pid", &kStringOrNull},
    {"pids_limit", &kInteger},
    {"platform", &kString, Support::kNotApplied, "images run on the host's platform"},
    {"ports", &kPorts},
    {"post_start", &kAnything, Support::kNotApplied, "lifecycle hooks are not run yet"},
    {"pre_stop", &kAnything, Support::kNotApplied, "lifecycle hooks are not run yet"},
    {"privileged", &kBool, Support::kNotApplied, "containers never run privileged"},
    {"profiles", &kStringList},
    {"provider", &kAnything, Support::kNotApplied, "providers are not supported"},
    {"pull_policy", &kString, Support::kNotApplied, "images come from the local store"},
    {"pull_refresh_after", &kString, Support::kNotApplied, "images come from the local store"},
    {"read_only", &kBool},
    {"restart", &kString},
    {"runtime", &kString, Support::kNotApplied, "pycontain is the runtime"},
    {"scale", &kInteger},
    {"secrets", &kServiceRefs, Support::kNotApplied, kNoSecrets},
    {"security_opt", &kStringList},
    {"shm_size", &kByteSize},
    {"stdin_open", &kBool, Support::kNotApplied, kNoTty},
    {"stop_grace_period", &kDuration},
    {"stop_signal", &kString},
    {"storage_opt", &kAnything, Support::kNotApplied, "overlay roots have no size options"},
    {"sysctls", &kListOrDict},
    {"tmpfs", &kStringOrList},
    {"tty", &kBool, Support::kNotApplied, kNoTty},
    {"ulimits", &kUlimits},
    {"use_api_socket", &kBool, Support::kNotApplied, "there is no Docker API socket"},
    {"user", &kString},
    {"userns_mode", &kString, Support::kNotApplied, "user namespaces follow pycontain's mode"},
    {"uts", &kString, Support::kNotApplied, "containers always get a UTS namespace"},
    {"volumes", &kMounts},
    {"volumes_from", &kStringList, Support::kNotApplied, "share a named volume instead"},
    {"working_dir", &kString},
};
constexpr Type kService{.fields = kServiceFields};

// ---- top-level resources ----

constexpr Field kExternalFields[] = {{"name", &kString}};
constexpr Type kExternal{.scalar = ScalarType::kBool, .fields = kExternalFields};

constexpr Field kIpamConfigFields[] = {
    {"subnet", &kString},
    {"gateway", &kString},
    {"ip_range", &kString, Support::kNotApplied,
     "containers get addresses from the whole subnet"},
    {"aux_addresses", &kScalarMap, Support::kNotApplied,
     "pycontain reserves no addresses beside the gateway"},
};
constexpr Type kIpamConfig{.fields = kIpamConfigFields};
constexpr Type kIpamConfigList{.items = &kIpamConfig};
constexpr Field kIpamFields[] = {
    {"driver", &kString},
    {"config", &kIpamConfigList},
    {"options", &kScalarMap, Support::kNotApplied, "the default IPAM driver takes no options"},
};
constexpr Type kIpam{.fields = kIpamFields};

constexpr absl::string_view kNetworkReason = "pycontain networks do not support it yet";
constexpr Field kNetworkFields[] = {
    {"name", &kString},
    {"driver", &kString},
    {"driver_opts", &kScalarMap},
    {"ipam", &kIpam},
    {"external", &kExternal},
    {"internal", &kBool},
    {"enable_ipv4", &kBool, Support::kNotApplied, kNetworkReason},
    {"enable_ipv6", &kBool},
    {"attachable", &kBool, Support::kNotApplied, kNetworkReason},
    {"labels", &kListOrDict, Support::kNotApplied, kNetworkReason},
};
constexpr Type kNetwork{.null_ok = true, .fields = kNetworkFields};

constexpr absl::string_view kVolumeReason = "volumes are local directories";
constexpr Field kVolumeFields[] = {
    {"name", &kString},
    {"driver", &kString, Support::kNotApplied, kVolumeReason},
    {"driver_opts", &kScalarMap, Support::kNotApplied, kVolumeReason},
    {"external", &kExternal},
    {"labels", &kListOrDict, Support::kNotApplied, kVolumeReason},
};
constexpr Type kVolume{.null_ok = true, .fields = kVolumeFields};

constexpr Field kSecretFields[] = {
    {"name", &kString},     {"environment", &kString}, {"file", &kString},
    {"external", &kExternal}, {"labels", &kListOrDict}, {"driver", &kString},
    {"driver_opts", &kScalarMap}, {"template_driver", &kString}, {"content", &kString},
};
constexpr Type kSecret{.fields = kSecretFields};

constexpr Field kIncludeFields[] = {
    {"path", &kStringOrList, Support::kApplied, {}, true},
    {"env_file", &kStringOrList},
    {"project_directory", &kString},
};
constexpr Type kIncludeItem{.scalar = ScalarType::kString, .fields = kIncludeFields};
constexpr Type kInclude{.items = &kIncludeItem};

constexpr Type kServices{.values = &kService, .name_keys = true};
constexpr Type kNetworks{.values = &kNetwork, .name_keys = true};
constexpr Type kVolumes{.values = &kVolume, .name_keys = true};
constexpr Type kSecrets{.values = &kSecret, .name_keys = true};
constexpr Type kModels{.values = &kAnything, .name_keys = true};

constexpr Field kTopFields[] = {
    {"version", &kString, Support::kObsolete,
     "the version field is obsolete and ignored; remove it"},
    {"name", &kString},
    {"include", &kInclude},
    {"services", &kServices},
    {"networks", &kNetworks},
    {"volumes", &kVolumes},
    {"secrets", &kSecrets, Support::kNotApplied, kNoSecrets},
    {"configs", &kSecrets, Support::kNotApplied, kNoSecrets},
    {"models", &kModels, Support::kNotApplied, "models are not supported"},
};
constexpr Type kTop{.null_ok = true, .fields = kTopFields};

// ---- the walk ----

std::string Join(absl::string_view path, absl::string_view key) {
  if (path.empty()) return std::string(key);
  return absl::StrCat(path, ".", key);
}

absl::Status Invalid(const yaml::Mark& mark, absl::string_view path,
                     absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(yaml::ToString(mark), ": ", path, ": ", problem));
}

absl::string_view ScalarName(ScalarType scalar) {
  switch (scalar) {
    case ScalarType::kNone:
      return "";
    case ScalarType::kString:
      return "a string";
    case ScalarType::kBool:
      return "a boolean";
    case ScalarType::kInteger:
      return "an integer";
    case ScalarType::kNumber:
      return "a number";
    case ScalarType::kByteSize:
      return "a byte size";
    case ScalarType::kDuration:
      return "a duration";
  }
  return "";
}

// "must be a string or a list", from the shapes `type` accepts.
std::string ExpectedShapes(const Type& type) {
  std::vector<std::string> shapes;
  if (type.scalar != ScalarType::kNone) shapes.emplace_back(ScalarName(type.scalar));
  if (type.items != nullptr) shapes.emplace_back("a list");
  if (!type.fields.empty() || type.values != nullptr) shapes.emplace_back("a mapping");
  if (type.null_ok) shapes.emplace_back("null");
  return absl::StrCat("must be ", absl::StrJoin(shapes, " or "));
}

absl::Status CheckScalar(const Node& node, const Type& type, absl::string_view path) {
  const std::string& text = node.scalar;
  bool ok = true;
  std::string problem;
  switch (type.scalar) {
    case ScalarType::kNone:
      return Invalid(node.mark, path, ExpectedShapes(type));
    case ScalarType::kString:
      break;
    case ScalarType::kBool:
      ParseComposeBool(text, &ok);
      if (!ok) problem = absl::StrCat("invalid boolean \"", text, "\" (use true or false)");
      break;
    case ScalarType::kInteger:
      if (!IsInteger(text)) problem = absl::StrCat("invalid integer \"", text, "\"");
      break;
    case ScalarType::kNumber:
      if (!IsNumber(text)) problem = absl::StrCat("invalid number \"", text, "\"");
      break;
    case ScalarType::kByteSize:
      // -1 means "unlimited" for memswap_limit, as in Docker.
      if (text != "-1") {
        absl::StatusOr<int64_t> size = ParseByteSize(text);
        if (!size.ok()) problem = std::string(size.status().message());
      }
      break;
    case ScalarType::kDuration: {
      absl::StatusOr<absl::Duration> duration = ParseDuration(text);
      if (!duration.ok()) problem = std::string(duration.status().message());
      break;
    }
  }
  if (problem.empty() && !type.choices.empty()) {
    bool found = false;
    for (absl::string_view choice : type.choices) found = found || choice == text;
    if (!found) {
      problem = absl::StrCat("invalid value \"", text, "\" (use ",
                             absl::StrJoin(type.choices, ", "), ")");
    }
  }
  if (!problem.empty()) return Invalid(node.mark, path, problem);
  return absl::OkStatus();
}

absl::Status Check(const Node& node, const Type& type, const std::string& path,
                   std::vector<Warning>* warnings);

absl::Status CheckUnique(const Node& list, const std::string& path) {
  for (size_t i = 0; i < list.items.size(); ++i) {
    const Node& item = list.items[i];
    if (!item.IsScalar()) continue;
    for (size_t j = 0; j < i; ++j) {
      if (!list.items[j].IsScalar() || list.items[j].scalar != item.scalar) continue;
      return Invalid(item.mark, absl::StrCat(path, "[", i, "]"),
                     absl::StrCat("duplicate item \"", item.scalar, "\" (also at [", j, "])"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckFields(const Node& node, const Type& type, const std::string& path,
                         std::vector<Warning>* warnings) {
  for (const yaml::Entry& entry : node.entries) {
    if (absl::StartsWith(entry.key, "x-")) continue;
    const Field* field = nullptr;
    for (const Field& candidate : type.fields) {
      if (candidate.name == entry.key) field = &candidate;
    }
    if (field == nullptr) {
      return Invalid(entry.key_mark, path.empty() ? "top level" : path,
                     absl::StrCat("unknown field \"", entry.key, "\""));
    }
    std::string child = Join(path, entry.key);
    if (field->support != Support::kApplied) {
      std::string message = field->support == Support::kObsolete
                                ? std::string(field->reason)
                                : absl::StrCat("parsed but not applied by pycontain (",
                                               field->reason, ")");
      warnings->push_back({entry.key_mark, child, std::move(message)});
    }
    absl::Status status = Check(entry.value, *field->type, child, warnings);
    if (!status.ok()) return status;
  }
  for (const Field& field : type.fields) {
    if (field.required && node.FindEntry(field.name) == nullptr) {
      return Invalid(node.mark, path, absl::StrCat("missing required field \"", field.name, "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckValues(const Node& node, const Type& type, const std::string& path,
                         std::vector<Warning>* warnings) {
  for (const yaml::Entry& entry : node.entries) {
    if (type.name_keys && !IsValidResourceName(entry.key)) {
      return Invalid(entry.key_mark, path,
                     absl::StrCat("invalid name \"", entry.key,
                                  "\" (use letters, digits, '.', '_' and '-')"));
    }
    absl::Status status = Check(entry.value, *type.values, Join(path, entry.key), warnings);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status Check(const Node& node, const Type& type, const std::string& path,
                   std::vector<Warning>* warnings) {
  // `!reset` removes the value in a merge, whatever its shape.
  if (type.any || node.tag == "!reset") return absl::OkStatus();
  switch (node.kind) {
    case Node::Kind::kNull:
      if (type.null_ok) return absl::OkStatus();
      return Invalid(node.mark, path, ExpectedShapes(type));
    case Node::Kind::kScalar:
      return CheckScalar(node, type, path);
    case Node::Kind::kSequence:
      if (type.items == nullptr) return Invalid(node.mark, path, ExpectedShapes(type));
      for (size_t i = 0; i < node.items.size(); ++i) {
        absl::Status status =
            Check(node.items[i], *type.items, absl::StrCat(path, "[", i, "]"), warnings);
        if (!status.ok()) return status;
      }
      if (type.unique) return CheckUnique(node, path);
      return absl::OkStatus();
    case Node::Kind::kMapping:
      if (!type.fields.empty()) return CheckFields(node, type, path, warnings);
      if (type.values != nullptr) return CheckValues(node, type, path, warnings);
      return Invalid(node.mark, path, ExpectedShapes(type));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ToString(const Warning& warning) {
  return absl::StrCat(yaml::ToString(warning.mark), ": ", warning.field, ": ", warning.message);
}

absl::Status ValidateFile(const yaml::Node& root, std::vector<Warning>* warnings) {
  if (root.IsScalar() || root.IsSequence()) {
    return Invalid(root.mark, "top level", "must be a mapping");
  }
  return Check(root, kTop, "", warnings);
}

bool ParseComposeBool(absl::string_view text, bool* ok) {
  std::string lower = absl::AsciiStrToLower(text);
  *ok = true;
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "y") return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "n") return false;
  *ok = false;
  return false;
}

bool IsInteger(absl::string_view text) {
  int64_t value;
  return absl::SimpleAtoi(text, &value);
}

bool IsNumber(absl::string_view text) {
  double value;
  return !text.empty() && absl::SimpleAtod(text, &value) && std::isfinite(value);
}

bool IsValidResourceName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace pycontain::compose
