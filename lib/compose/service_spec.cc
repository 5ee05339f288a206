#include "lib/compose/service_spec.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <string.h>

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/units.h"
#include "lib/compose/convert.h"
#include "lib/compose/runner_internal.h"
#include "lib/container/health.h"
#include "lib/container/restart.h"
#include "lib/container/volume.h"
#include "lib/image/config.h"
#include "lib/image/digest.h"
#include "lib/image/store.h"

namespace pycontain::compose {
namespace {

using yaml::Node;

// The service being planned, with where errors and warnings go.
struct Context {
  const Project& project;
  const std::string service;
  const Node& node;
  std::vector<std::string>* warnings;
  ServiceContainer* plan;
  // The image's Entrypoint and Cmd, set by ApplyImageAndCommand.
  std::vector<std::string> image_entrypoint;
  std::vector<std::string> image_cmd;
  // The image's HEALTHCHECK, the default of the service's healthcheck.
  image::format::HealthConfig image_healthcheck;

  spec::ContainerSpec& spec() { return plan->create.spec; }

  absl::Status Error(absl::string_view field, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("service ", service, ": ", field, ": ", what));
  }
  void Warn(absl::string_view field, absl::string_view what) const {
    if (warnings != nullptr) {
      warnings->push_back(absl::StrCat("service ", service, ": ", field, ": ", what));
    }
  }
};

std::vector<std::string> Strings(const Node* node) {
  std::vector<std::string> words;
  if (node == nullptr) return words;
  for (const Node& item : node->items) words.push_back(item.scalar);
  return words;
}

bool IsTrue(const Node* node) {
  bool ok = false;
  return node != nullptr && node->IsScalar() && ParseComposeBool(node->scalar, &ok) && ok;
}

std::optional<int64_t> Integer(const Node* node) {
  int64_t value = 0;
  if (node == nullptr || !node->IsScalar() || !absl::SimpleAtoi(node->scalar, &value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> Number(const Node* node) {
  double value = 0;
  if (node == nullptr || !node->IsScalar() || !absl::SimpleAtod(node->scalar, &value)) {
    return std::nullopt;
  }
  return value;
}

// The smaller of two optional limits; a non-positive value is no limit.
std::optional<int64_t> Tighter(std::optional<int64_t> a, std::optional<int64_t> b) {
  int64_t limit = 0;
  for (const std::optional<int64_t>& value : {a, b}) {
    if (value.has_value() && *value > 0 && (limit == 0 || *value < limit)) limit = *value;
  }
  if (limit > 0) return limit;
  return std::nullopt;
}

absl::Status ApplyImageAndCommand(Context& context) {
  const Node* image = context.node.Find("image");
  if (image == nullptr || image->scalar.empty()) {
    if (context.node.Find("build") != nullptr) {
      return absl::UnimplementedError(absl::StrCat(
          "service ", context.service,
          ": build: building images is not supported yet; build the image elsewhere, load it "
          "with `pycontain image load` and name it in `image`"));
    }
    return context.Error("image", "missing: every service needs an image");
  }
  if (context.node.Find("build") != nullptr) {
    context.Warn("build", "not supported yet: the image is taken from the store as it is");
  }
  absl::StatusOr<image::Store> store = image::Store::Open({});
  if (!store.ok()) return store.status();
  absl::StatusOr<image::Image> found = store->GetImage(image->scalar);
  if (!found.ok()) {
    if (found.status().code() != absl::StatusCode::kNotFound) return found.status();
    return absl::NotFoundError(absl::StrCat(
        "service ", context.service, ": image \"", image->scalar, "\" not found in the store at ",
        store->root(), " (pull is not available: load it with `pycontain image load`)"));
  }
  context.spec().set_image(image->scalar);
  const auto& image_config = found->config.config();
  context.image_entrypoint.assign(image_config.entrypoint().begin(), image_config.entrypoint().end());
  context.image_cmd.assign(image_config.cmd().begin(), image_config.cmd().end());
  context.image_healthcheck = image_config.healthcheck();

  std::vector<std::string> command = Strings(context.node.Find("command"));
  if (!context.plan->create.spec.process().args().empty()) {
    command.assign(context.spec().process().args().begin(), context.spec().process().args().end());
  }
  const Node* entrypoint = context.node.Find("entrypoint");
  if (entrypoint != nullptr) {
    // The container layer appends spec args to the image's Entrypoint, so
    // an override is only exact for images without one.
    if (!found->config.config().entrypoint().empty()) {
      return context.Error("entrypoint",
                           "replacing the Entrypoint of an image that has one is not supported "
                           "yet; put the whole command in `command`");
    }
    image::RunOverrides overrides;
    overrides.command = command;
    overrides.entrypoint = Strings(entrypoint);
    absl::StatusOr<image::ContainerDefaults> defaults =
        image::ContainerDefaultsFor(found->config, overrides);
    if (!defaults.ok()) return context.Error("entrypoint", defaults.status().message());
    command.assign(defaults->spec.process().args().begin(),
                   defaults->spec.process().args().end());
  }
  context.spec().mutable_process()->clear_args();
  for (const std::string& word : command) context.spec().mutable_process()->add_args(word);
  return absl::OkStatus();
}

void ApplyProcess(Context& context) {
  spec::Process* process = context.spec().mutable_process();
  // Checked when the container starts (container/sysctl.h).
  if (const Node* sysctls = context.node.Find("sysctls")) {
    for (const yaml::Entry& entry : sysctls->entries) {
      (*context.spec().mutable_sysctls())[entry.key] = entry.value.scalar;
    }
  }
  if (const Node* environment = context.node.Find("environment")) {
    for (const yaml::Entry& entry : environment->entries) {
      // A variable without a value that the host does not set either is
      // left out, as docker compose does.
      if (entry.value.IsNull()) continue;
      process->add_env(absl::StrCat(entry.key, "=", entry.value.scalar));
    }
  }
  if (const Node* working_dir = context.node.Find("working_dir")) {
    process->set_cwd(working_dir->scalar);
  }
  if (const Node* user = context.node.Find("user")) {
    std::vector<std::string> parts = absl::StrSplit(user->scalar, absl::MaxSplits(':', 1));
    process->mutable_user()->set_user(parts[0]);
    if (parts.size() > 1) process->mutable_user()->set_group(parts[1]);
  }
  if (const Node* hostname = context.node.Find("hostname")) {
    context.spec().set_hostname(hostname->scalar);
  }
  if (IsTrue(context.node.Find("read_only"))) context.spec().mutable_root()->set_readonly(true);
}

absl::Status ApplyMemory(Context& context) {
  const Node* limits = nullptr;
  const Node* reservations = nullptr;
  if (const Node* deploy = context.node.Find("deploy")) {
    if (const Node* resources = deploy->Find("resources")) {
      limits = resources->Find("limits");
      reservations = resources->Find("reservations");
    }
  }
  spec::Resources* resources = context.spec().mutable_resources();
  std::optional<int64_t> memory = Tighter(Integer(context.node.Find("mem_limit")),
                                          Integer(limits ? limits->Find("memory") : nullptr));
  if (memory.has_value()) resources->set_memory_bytes(*memory);
  if (std::optional<int64_t> swap = Integer(context.node.Find("memswap_limit"))) {
    if (!memory.has_value()) {
      return context.Error("memswap_limit", "needs mem_limit or deploy.resources.limits.memory");
    }
    resources->set_memory_swap_bytes(*swap);
  }
  std::optional<int64_t> reservation =
      Tighter(Integer(context.node.Find("mem_reservation")),
              Integer(reservations ? reservations->Find("memory") : nullptr));
  if (reservation.has_value()) resources->set_memory_reservation_bytes(*reservation);

  std::optional<int64_t> pids = Tighter(Integer(context.node.Find("pids_limit")),
                                        Integer(limits ? limits->Find("pids") : nullptr));
  if (pids.has_value()) resources->set_pids_limit(*pids);
  std::optional<double> cpus = Number(context.node.Find("cpus"));
  std::optional<double> limit_cpus = Number(limits ? limits->Find("cpus") : nullptr);
  if (cpus.has_value() && *cpus <= 0) cpus.reset();
  if (limit_cpus.has_value() && *limit_cpus > 0 && (!cpus.has_value() || *limit_cpus < *cpus)) {
    cpus = limit_cpus;
  }
  if (cpus.has_value()) resources->set_cpus(*cpus);
  if (std::optional<int64_t> shares = Integer(context.node.Find("cpu_shares"))) {
    resources->set_cpu_shares(*shares);
  }
  if (const Node* cpuset = context.node.Find("cpuset")) resources->set_cpuset_cpus(cpuset->scalar);
  return absl::OkStatus();
}

absl::Status ApplyUlimits(Context& context) {
  const Node* ulimits = context.node.Find("ulimits");
  if (ulimits == nullptr) return absl::OkStatus();
  for (const yaml::Entry& entry : ulimits->entries) {
    spec::Rlimit* rlimit = context.spec().mutable_security()->add_rlimits();
    rlimit->set_type(entry.key);
    std::optional<int64_t> soft = Integer(&entry.value);
    std::optional<int64_t> hard = soft;
    if (entry.value.IsMapping()) {
      soft = Integer(entry.value.Find("soft"));
      hard = Integer(entry.value.Find("hard"));
    }
    if (!soft.has_value() || !hard.has_value() || *soft < -1 || *hard < -1) {
      return context.Error(absl::StrCat("ulimits.", entry.key),
                           "needs a number, or soft and hard numbers");
    }
    // -1 is "unlimited" in Docker's --ulimit.
    rlimit->set_soft(*soft < 0 ? RLIM_INFINITY : static_cast<uint64_t>(*soft));
    rlimit->set_hard(*hard < 0 ? RLIM_INFINITY : static_cast<uint64_t>(*hard));
  }
  return absl::OkStatus();
}

absl::Status ApplySecurityOpt(Context& context) {
  spec::Security* security = context.spec().mutable_security();
  for (const std::string& option : Strings(context.node.Find("security_opt"))) {
    std::vector<std::string> parts = absl::StrSplit(option, absl::MaxSplits(absl::ByAnyChar("=:"), 1));
    const std::string& key = parts[0];
    std::string value = parts.size() > 1 ? parts[1] : "";
    if (key == "no-new-privileges") {
      bool ok = false;
      bool on = value.empty() || (ParseComposeBool(value, &ok) && ok);
      security->set_no_new_privileges(on);
    } else if (key == "seccomp" && value == "unconfined") {
      security->mutable_seccomp()->set_mode(spec::Seccomp::UNCONFINED);
    } else if (key == "seccomp") {
      std::string path = ResolvePath(value, context.project.directory, "");
      std::string text;
      FILE* file = fopen(path.c_str(), "re");
      if (file == nullptr) {
        return context.Error("security_opt", absl::StrCat("cannot read seccomp profile ", path,
                                                          ": ", strerror(errno)));
      }
      char buffer[4096];
      size_t n;
      while ((n = fread(buffer, 1, sizeof(buffer), file)) > 0) text.append(buffer, n);
      fclose(file);
      security->mutable_seccomp()->set_mode(spec::Seccomp::PROFILE);
      security->mutable_seccomp()->set_profile_json(text);
    } else if (key == "apparmor" || key == "label") {
      context.Warn("security_opt", absl::StrCat("\"", option, "\" is not applied: pycontain ",
                                               "sets no AppArmor or SELinux labels"));
    } else if (key == "systempaths" && value == "unconfined") {
      security->set_no_default_paths(true);
    } else {
      return context.Error("security_opt", absl::StrCat("unknown option \"", option, "\""));
    }
  }
  for (const std::string& name : Strings(context.node.Find("cap_add"))) {
    security->mutable_capabilities()->add_add(name);
  }
  for (const std::string& name : Strings(context.node.Find("cap_drop"))) {
    security->mutable_capabilities()->add_drop(name);
  }
  return absl::OkStatus();
}

// Reads a `service:NAME` or `container:NAME` value of ipc or pid into
// `donor`. Returns false for any other value.
bool ParseDonor(const std::string& mode, NamespaceDonor* donor) {
  for (const auto& [prefix, field] : {std::pair{"service:", &donor->service},
                                      std::pair{"container:", &donor->container}}) {
    if (absl::StartsWith(mode, prefix) && mode.size() > strlen(prefix)) {
      *field = mode.substr(strlen(prefix));
      return true;
    }
  }
  return false;
}

// ipc and pid: the container's own namespace, the host's, or another
// container's (joined when the container is created, JoinNamespaceDonors
// in the runner). Every container's IPC namespace can be joined, so
// `shareable` needs nothing more than `private`.
absl::Status ApplyNamespaces(Context& context) {
  if (const Node* ipc = context.node.Find("ipc")) {
    const std::string& mode = ipc->scalar;
    if (mode == "host") {
      context.spec().mutable_namespaces()->set_ipc(false);
    } else if (!mode.empty() && mode != "private" && mode != "shareable" && mode != "none" &&
               !ParseDonor(mode, &context.plan->ipc_donor)) {
      return context.Error("ipc", absl::StrCat("\"", mode, "\" is not a valid IPC mode: use ",
                                              "private, shareable, host, service:NAME or ",
                                              "container:NAME"));
    }
  }
  if (const Node* pid = context.node.Find("pid"); pid != nullptr && !pid->scalar.empty()) {
    if (pid->scalar == "host") {
      context.spec().mutable_namespaces()->set_pid(false);
    } else if (!ParseDonor(pid->scalar, &context.plan->pid_donor)) {
      return context.Error("pid", absl::StrCat("\"", pid->scalar, "\" is not a valid PID mode: ",
                                              "use host, service:NAME or container:NAME"));
    }
  }
  return absl::OkStatus();
}

// The fields that pycontain cannot apply yet but that a service still
// runs without: each is a warning.
void WarnUnapplied(Context& context) {
}

// init: true runs the command under pycontain-init, bind-mounted where
// Docker mounts its init.
absl::Status ApplyInit(Context& context) {
  if (!IsTrue(context.node.Find("init"))) return absl::OkStatus();
  std::string init = InitBinaryPath();
  const char* without = "the command runs as PID 1 without an init, so orphaned processes are "
                        "reaped only if the command reaps them";
  if (init.empty()) {
    context.Warn("init", absl::StrCat("not applied: pycontain-init not found (set PYCONTAIN_INIT "
                                      "to its path); ", without));
    return absl::OkStatus();
  }
  // The container layer puts the image's Entrypoint before the args, so
  // the init cannot come first in that case.
  if (!context.image_entrypoint.empty()) {
    context.Warn("init", absl::StrCat("not applied yet for an image with an Entrypoint; ",
                                      without));
    return absl::OkStatus();
  }
  spec::Process* process = context.spec().mutable_process();
  std::vector<std::string> command(process->args().begin(), process->args().end());
  if (command.empty()) command = context.image_cmd;
  process->clear_args();
  for (const char* word : {kInitPath, "--"}) process->add_args(word);
  for (const std::string& word : command) process->add_args(word);

  spec::Mount* mount = context.spec().add_mounts();
  mount->set_type("bind");
  mount->set_source(init);
  mount->set_destination(kInitPath);
  mount->add_options("ro");
  return absl::OkStatus();
}

std::string MountSource(const Context& context, const Node& item) {
  const Node* source = item.Find("source");
  if (source == nullptr || source->scalar.empty()) return "";
  const Node* volumes = context.project.model.Find("volumes");
  const Node* declared = volumes ? volumes->Find(source->scalar) : nullptr;
  const Node* name = declared ? declared->Find("name") : nullptr;
  return name != nullptr ? name->scalar : source->scalar;
}

absl::Status ApplyVolumes(Context& context) {
  const Node* volumes = context.node.Find("volumes");
  if (volumes == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < volumes->items.size(); ++i) {
    const Node& item = volumes->items[i];
    std::string field = absl::StrCat("volumes[", i, "]");
    const Node* type = item.Find("type");
    const Node* target = item.Find("target");
    if (type == nullptr || target == nullptr) return context.Error(field, "needs type and target");
    spec::Mount* mount = context.spec().add_mounts();
    mount->set_destination(target->scalar);
    if (type->scalar == "bind") {
      mount->set_type("bind");
      mount->set_source(MountSource(context, item));
      mount->add_options("rbind");
    } else if (type->scalar == "volume") {
      mount->set_type("volume");
      mount->set_source(MountSource(context, item));
    } else if (type->scalar == "tmpfs") {
      mount->set_type("tmpfs");
      const Node* tmpfs = item.Find("tmpfs");
      if (std::optional<int64_t> size = Integer(tmpfs ? tmpfs->Find("size") : nullptr)) {
        mount->add_options(absl::StrCat("size=", *size));
      }
      if (const Node* mode = tmpfs ? tmpfs->Find("mode") : nullptr) {
        mount->add_options(absl::StrCat("mode=", mode->scalar));
      }
    } else {
      return context.Error(field, absl::StrCat("type \"", type->scalar, "\" is not supported "
                                               "yet; use bind, volume or tmpfs"));
    }
    if (IsTrue(item.Find("read_only"))) mount->add_options("ro");
  }
  return absl::OkStatus();
}

absl::Status ApplyTmpfs(Context& context) {
  for (const std::string& entry : Strings(context.node.Find("tmpfs"))) {
    std::vector<std::string> parts = absl::StrSplit(entry, absl::MaxSplits(':', 1));
    spec::Mount* mount = context.spec().add_mounts();
    mount->set_type("tmpfs");
    mount->set_destination(parts[0]);
    if (parts.size() > 1) {
      for (absl::string_view option : absl::StrSplit(parts[1], ',', absl::SkipEmpty())) {
        mount->add_options(std::string(option));
      }
    }
  }
  if (std::optional<int64_t> shm = Integer(context.node.Find("shm_size"))) {
    spec::Mount* mount = context.spec().add_mounts();
    mount->set_type("tmpfs");
    mount->set_source("shm");
    mount->set_destination("/dev/shm");
    for (const char* option : {"nosuid", "nodev", "noexec"}) mount->add_options(option);
    mount->add_options(absl::StrCat("size=", *shm));
  }
  return absl::OkStatus();
}

// The service's networks, in docker compose's order: by priority, then by
// name (priority is not applied, so by name).
std::vector<const yaml::Entry*> ServiceNetworks(const Node& node) {
  std::vector<const yaml::Entry*> networks;
  if (const Node* mapping = node.Find("networks")) {
    for (const yaml::Entry& entry : mapping->entries) networks.push_back(&entry);
  }
  std::sort(networks.begin(), networks.end(),
            [](const yaml::Entry* a, const yaml::Entry* b) { return a->key < b->key; });
  return networks;
}

std::string NetworkName(const Project& project, const std::string& key) {
  const Node* networks = project.model.Find("networks");
  const Node* declared = networks ? networks->Find(key) : nullptr;
  const Node* name = declared ? declared->Find("name") : nullptr;
  return name != nullptr ? name->scalar : absl::StrCat(project.name, "_", key);
}

absl::Status ApplyPorts(Context& context) {
  const Node* ports = context.node.Find("ports");
  if (ports == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < ports->items.size(); ++i) {
    const Node& item = ports->items[i];
    const Node* published = item.Find("published");
    const Node* target = item.Find("target");
    const Node* host_ip = item.Find("host_ip");
    const Node* protocol = item.Find("protocol");
    std::string field = absl::StrCat("ports[", i, "]");
    if (target == nullptr) return context.Error(field, "needs a target port");
    if (published == nullptr || published->scalar.empty()) {
      context.Warn(field, absl::StrCat("port ", target->scalar, " is not published: pycontain ",
                                       "needs a host port (write HOST:CONTAINER)"));
      continue;
    }
    std::string spec;
    if (host_ip != nullptr && !host_ip->scalar.empty()) {
      spec = absl::StrContains(host_ip->scalar, ':') ? absl::StrCat("[", host_ip->scalar, "]:")
                                                      : absl::StrCat(host_ip->scalar, ":");
    }
    absl::StrAppend(&spec, published->scalar, ":", target->scalar);
    if (protocol != nullptr && !protocol->scalar.empty()) absl::StrAppend(&spec, "/", protocol->scalar);
    context.spec().mutable_network()->add_ports(spec);
  }
  return absl::OkStatus();
}

absl::Status ApplyNetworks(Context& context, const std::string& container_name) {
  std::vector<const yaml::Entry*> networks = ServiceNetworks(context.node);
  spec::Network* network = context.spec().mutable_network();
  if (networks.empty()) {
    network->set_mode(spec::Network::NONE);
    if (network->ports_size() > 0) return context.Error("ports", "need a network");
    for (const char* field : {"dns", "dns_search", "dns_opt", "extra_hosts"}) {
      const Node* node = context.node.Find(field);
      if (node != nullptr && (!node->items.empty() || !node->entries.empty())) {
        context.Warn(field, "not applied: a service without networks keeps its image's resolv.conf");
      }
    }
    return absl::OkStatus();
  }
  // Checked when the container starts (network.dns in the spec).
  for (std::string& ip : Strings(context.node.Find("dns"))) network->add_dns(std::move(ip));
  for (std::string& domain : Strings(context.node.Find("dns_search"))) {
    network->add_dns_search(std::move(domain));
  }
  for (std::string& option : Strings(context.node.Find("dns_opt"))) {
    network->add_dns_options(std::move(option));
  }
  if (const Node* extra_hosts = context.node.Find("extra_hosts")) {
    for (const yaml::Entry& entry : extra_hosts->entries) {
      if (entry.value.items.empty()) {
        network->add_extra_hosts(absl::StrCat(entry.key, ":", entry.value.scalar));
      }
      for (const Node& ip : entry.value.items) {
        network->add_extra_hosts(absl::StrCat(entry.key, ":", ip.scalar));
      }
    }
  }
  for (size_t i = 0; i < networks.size(); ++i) {
    const yaml::Entry& entry = *networks[i];
    ExtraNetwork joined;
    joined.network = NetworkName(context.project, entry.key);
    // Peers find the container by service name and container name.
    joined.aliases = {context.service, container_name};
    for (const std::string& alias : Strings(entry.value.Find("aliases"))) {
      joined.aliases.push_back(alias);
    }
    if (const Node* address = entry.value.Find("ipv4_address")) {
      joined.ipv4_address = address->scalar;
    }
    if (i > 0) {
      // The monitor joins them on every start (create.extra_networks).
      container::NetworkConnection& connection =
          context.plan->create.extra_networks.emplace_back();
      connection.set_network(joined.network);
      for (const std::string& alias : joined.aliases) connection.add_aliases(alias);
      connection.set_ip(joined.ipv4_address);
      context.plan->extra_networks.push_back(std::move(joined));
      continue;
    }
    network->set_mode(spec::Network::BRIDGE);
    network->set_name(joined.network);
    network->set_ip(joined.ipv4_address);
    for (const std::string& alias : joined.aliases) network->add_aliases(alias);
  }
  return absl::OkStatus();
}

// As docker compose, the service's healthcheck fields override those of
// the image's HEALTHCHECK, and a service without one runs the image's.
absl::Status ApplyHealthcheck(Context& context) {
  const Node* healthcheck = context.node.Find("healthcheck");
  if (healthcheck != nullptr && IsTrue(healthcheck->Find("disable"))) return absl::OkStatus();
  container::HealthcheckConfig* config = &context.plan->create.healthcheck;
  const image::format::HealthConfig& image = context.image_healthcheck;
  config->mutable_test()->Assign(image.test().begin(), image.test().end());
  config->set_interval_ns(image.interval());
  config->set_timeout_ns(image.timeout());
  config->set_start_period_ns(image.start_period());
  config->set_retries(image.retries());
  if (healthcheck == nullptr) {
    if (!container::HasHealthcheck(*config)) context.plan->create.healthcheck.Clear();
    return absl::OkStatus();
  }
  if (const Node* test = healthcheck->Find("test")) {
    config->clear_test();
    for (const std::string& word : Strings(test)) config->add_test(word);
  }
  if (container::HasHealthcheck(*config)) {
    absl::StatusOr<std::vector<std::string>> command = container::HealthcheckCommand(*config);
    if (!command.ok()) return context.Error("healthcheck.test", command.status().message());
  }
  struct Timing {
    const char* key;
    void (container::HealthcheckConfig::*set)(int64_t);
  };
  for (const Timing& timing : {Timing{"interval", &container::HealthcheckConfig::set_interval_ns},
                               Timing{"timeout", &container::HealthcheckConfig::set_timeout_ns},
                               Timing{"start_period",
                                      &container::HealthcheckConfig::set_start_period_ns}}) {
    const Node* value = healthcheck->Find(timing.key);
    if (value == nullptr) continue;
    absl::StatusOr<absl::Duration> duration = ParseDuration(value->scalar);
    if (!duration.ok()) {
      return context.Error(absl::StrCat("healthcheck.", timing.key), duration.status().message());
    }
    (config->*timing.set)(absl::ToInt64Nanoseconds(*duration));
  }
  if (std::optional<int64_t> retries = Integer(healthcheck->Find("retries"))) {
    config->set_retries(static_cast<int32_t>(*retries));
  }
  return absl::OkStatus();
}

absl::Status ApplyStopAndRestart(Context& context) {
  if (const Node* restart = context.node.Find("restart")) {
    absl::StatusOr<container::RestartPolicy> policy =
        container::ParseRestartPolicy(restart->scalar);
    if (!policy.ok()) return context.Error("restart", policy.status().message());
    context.plan->create.restart_policy = *policy;
  }
  if (const Node* signal = context.node.Find("stop_signal")) {
    absl::StatusOr<int> number = ParseSignal(signal->scalar);
    if (!number.ok()) return context.Error("stop_signal", number.status().message());
    context.plan->stop_signal = *number;
  }
  if (const Node* grace = context.node.Find("stop_grace_period")) {
    absl::StatusOr<absl::Duration> duration = ParseDuration(grace->scalar);
    if (!duration.ok()) return context.Error("stop_grace_period", duration.status().message());
    context.plan->stop_grace_period = *duration;
  }
  return absl::OkStatus();
}

std::string RandomSuffix() {
  std::string id = container::RandomVolumeName();
  return id.substr(0, 12);
}

std::string ContainerName(const Context& context, int number, const OneOffOptions& one_off) {
  if (one_off.one_off) {
    return absl::StrCat(context.project.name, "-", context.service, "-run-", RandomSuffix());
  }
  if (const Node* name = context.node.Find("container_name")) return name->scalar;
  return absl::StrCat(context.project.name, "-", context.service, "-", number);
}

void ApplyLabels(Context& context, int number, const OneOffOptions& one_off) {
  std::map<std::string, std::string>& labels = context.plan->create.labels;
  if (const Node* own = context.node.Find("labels")) {
    for (const yaml::Entry& entry : own->entries) labels[entry.key] = entry.value.scalar;
  }
  labels[container::kComposeProjectLabel] = context.project.name;
  labels[kServiceLabel] = context.service;
  labels[kContainerNumberLabel] = absl::StrCat(number);
  labels[kOneoffLabel] = one_off.one_off ? "True" : "False";
  labels[kConfigHashLabel] = ServiceConfigHash(context.node);
  labels[kProjectDirectoryLabel] = context.project.directory;
  std::string depends_on = runner_internal::DependsOnLabel(context.node);
  if (!depends_on.empty()) labels[kDependsOnLabel] = depends_on;
  if (const Node* signal = context.node.Find("stop_signal")) {
    labels[kStopSignalLabel] = signal->scalar;
  }
  if (const Node* grace = context.node.Find("stop_grace_period")) {
    labels[kStopGracePeriodLabel] = grace->scalar;
  }
}

// Lists the host names of the project networks that the container joins,
// leaving out external ones, which `down` must keep.
void ApplyNetworksLabel(Context& context) {
  std::vector<std::string> names;
  const Node* declared = context.project.model.Find("networks");
  const Node* joined = context.node.Find("networks");
  if (declared == nullptr || joined == nullptr) return;
  for (const yaml::Entry& entry : joined->entries) {
    const Node* network = declared->Find(entry.key);
    if (network == nullptr || IsTrue(network->Find("external"))) continue;
    const Node* name = network->Find("name");
    names.push_back(name != nullptr ? name->scalar
                                    : absl::StrCat(context.project.name, "_", entry.key));
  }
  if (!names.empty()) context.plan->create.labels[kNetworksLabel] = absl::StrJoin(names, ",");
}

}  // namespace

absl::StatusOr<ServiceContainer> PlanServiceContainer(const Project& project,
                                                      absl::string_view service, int number,
                                                      std::vector<std::string>* warnings,
                                                      const OneOffOptions& one_off) {
  const Node* node = project.Service(service);
  if (node == nullptr) {
    return absl::NotFoundError(absl::StrCat("no such service: ", service));
  }
  ServiceContainer plan;
  Context context{project, std::string(service), *node, warnings, &plan, {}, {}, {}};
  if (node->Find("container_name") != nullptr && ServiceReplicas(*node) > 1) {
    return context.Error("container_name", "cannot name more than one replica; remove "
                                           "container_name or run a single replica");
  }
  std::string name = ContainerName(context, number, one_off);
  plan.create.name = name;
  for (const std::string& word : one_off.command) plan.create.spec.mutable_process()->add_args(word);

  ApplyProcess(context);
  ApplyLabels(context, number, one_off);
  ApplyNetworksLabel(context);
  WarnUnapplied(context);
  for (absl::Status status :
       {ApplyImageAndCommand(context), ApplyMemory(context), ApplyUlimits(context),
       ApplyInit(context),
        ApplySecurityOpt(context), ApplyNamespaces(context), ApplyVolumes(context),
        ApplyTmpfs(context), ApplyPorts(context), ApplyNetworks(context, name),
        ApplyHealthcheck(context), ApplyStopAndRestart(context)}) {
    if (!status.ok()) return status;
  }
  if (one_off.one_off) plan.create.restart_policy.Clear();
  return plan;
}

std::string InitBinaryPath() {
  std::vector<std::string> candidates;
  if (const char* configured = getenv("PYCONTAIN_INIT"); configured != nullptr && *configured) {
    candidates.push_back(configured);
  }
  char self[4096];
  ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length > 0) {
    std::string program(self, length);
    candidates.push_back(absl::StrCat(program.substr(0, program.rfind('/')), "/pycontain-init"));
  }
  candidates.push_back("/usr/local/libexec/pycontain/pycontain-init");
  candidates.push_back("/usr/libexec/pycontain/pycontain-init");
  for (const std::string& candidate : candidates) {
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

int ServiceReplicas(const yaml::Node& service) {
  if (const Node* deploy = service.Find("deploy")) {
    if (std::optional<int64_t> replicas = Integer(deploy->Find("replicas"))) {
      return static_cast<int>(*replicas);
    }
  }
  if (std::optional<int64_t> scale = Integer(service.Find("scale"))) {
    return static_cast<int>(*scale);
  }
  return 1;
}

std::string ServiceConfigHash(const yaml::Node& service) {
  return image::DigestHex(image::DigestOf(yaml::Emit(service)));
}

absl::StatusOr<int> ParseSignal(absl::string_view text) {
  int number = 0;
  if (absl::SimpleAtoi(text, &number) && number > 0 && number < NSIG) return number;
  std::string name = absl::AsciiStrToUpper(text);
  absl::string_view bare = name;
  absl::ConsumePrefix(&bare, "SIG");
  for (int signal = 1; signal < NSIG; ++signal) {
    const char* abbreviation = sigabbrev_np(signal);
    if (abbreviation != nullptr && bare == abbreviation) return signal;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown signal \"", text, "\" (write SIGTERM, TERM or 15)"));
}

}  // namespace pycontain::compose
