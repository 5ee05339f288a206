#include "lib/compose/normalize.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/units.h"
#include "lib/compose/convert.h"
#include "lib/compose/schema.h"

namespace pycontain::compose {
namespace {

using yaml::Mark;
using yaml::Node;

absl::Status Invalid(const Mark& mark, absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(yaml::ToString(mark), ": ", path, ": ", problem));
}

// ---- scalars ----

void ToBool(Node* node) {
  if (!node->IsScalar()) return;
  bool ok = false;
  bool value = ParseComposeBool(node->scalar, &ok);
  if (ok) *node = PlainNode(value ? "true" : "false", node->mark);
}

void ToInteger(Node* node) {
  int64_t value = 0;
  if (node->IsScalar() && absl::SimpleAtoi(node->scalar, &value)) {
    *node = PlainNode(absl::StrCat(value), node->mark);
  }
}

void ToNumber(Node* node) {
  double value = 0;
  if (node->IsScalar() && absl::SimpleAtod(node->scalar, &value)) {
    *node = PlainNode(absl::StrCat(value), node->mark);
  }
}

// Byte sizes become a count of bytes ("16m" is "16777216"), kept a string
// because `docker compose config` prints them so. -1 (unlimited) stays.
void ToByteSize(Node* node) {
  if (!node->IsScalar()) return;
  if (node->scalar == "-1") {
    *node = StringNode("-1", node->mark);
    return;
  }
  absl::StatusOr<int64_t> bytes = ParseByteSize(node->scalar);
  if (bytes.ok()) *node = StringNode(absl::StrCat(*bytes), node->mark);
}

void ToDuration(Node* node) {
  if (!node->IsScalar()) return;
  absl::StatusOr<absl::Duration> duration = ParseDuration(node->scalar);
  if (duration.ok()) *node = StringNode(pycontain::FormatDuration(*duration), node->mark);
}

void ToString(Node* node) {
  if (node->IsScalar()) node->quoted = true;
}

void ToStringItems(Node* node) {
  for (Node& item : node->items) ToString(&item);
}

// A scalar becomes a one-item list.
void ToList(Node* node) {
  if (!node->IsScalar()) return;
  Node list = Node::Sequence(node->mark);
  list.items.push_back(StringNode(node->scalar, node->mark));
  *node = std::move(list);
}

// ---- mappings from "KEY=VALUE" lists ----

// Converts a list of "KEY=VALUE" items to a mapping. A "KEY" item without
// '=' maps to null, or to "" when `bare_is_empty`.
void ListToMapping(Node* node, bool bare_is_empty) {
  if (node->IsMapping()) {
    for (yaml::Entry& entry : node->entries) ToString(&entry.value);
    return;
  }
  if (!node->IsSequence()) return;
  Node mapping = Node::Mapping(node->mark);
  for (const Node& item : node->items) {
    size_t equals = item.scalar.find('=');
    std::string key = item.scalar.substr(0, equals);
    Node value = Node::Null(item.mark);
    if (equals != std::string::npos) {
      value = StringNode(item.scalar.substr(equals + 1), item.mark);
    } else if (bare_is_empty) {
      value = StringNode("", item.mark);
    }
    SetEntry(&mapping, key, item.mark, std::move(value));
  }
  *node = std::move(mapping);
}

// An extra_hosts address without the brackets that may enclose IPv6
// ("[::1]" is "::1").
std::string Unbracketed(absl::string_view address) {
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  return std::string(address);
}

// extra_hosts: "HOST=IP" or "HOST:IP" items (IP may be a comma-separated
// list) become HOST: IP, or HOST: [IP, ...] for several addresses.
absl::Status ExtraHostsToMapping(Node* node, absl::string_view path, const FileContext&) {
  if (node->IsMapping()) {
    for (yaml::Entry& entry : node->entries) {
      if (entry.value.IsSequence()) {
        for (Node& item : entry.value.items) item = StringNode(Unbracketed(item.scalar), item.mark);
      } else if (entry.value.IsScalar()) {
        entry.value = StringNode(Unbracketed(entry.value.scalar), entry.value.mark);
      }
    }
    return absl::OkStatus();
  }
  Node mapping = Node::Mapping(node->mark);
  for (size_t i = 0; i < node->items.size(); ++i) {
    const Node& item = node->items[i];
    size_t split = item.scalar.find('=');
    if (split == std::string::npos) split = item.scalar.find(':');
    if (split == 0 || split == std::string::npos || split + 1 == item.scalar.size()) {
      return Invalid(item.mark, absl::StrCat(path, "[", i, "]"),
                     absl::StrCat("invalid extra host \"", item.scalar, "\" (use HOST=IP)"));
    }
    std::vector<std::string> addresses =
        absl::StrSplit(absl::string_view(item.scalar).substr(split + 1), ',');
    Node value = Node::Sequence(item.mark);
    for (const std::string& address : addresses) {
      value.items.push_back(StringNode(Unbracketed(address), item.mark));
    }
    if (value.items.size() == 1) {
      // Not `value = std::move(value.items[0])`: that destroys the source.
      Node single = std::move(value.items[0]);
      value = std::move(single);
    }
    SetEntry(&mapping, item.scalar.substr(0, split), item.mark, std::move(value));
  }
  *node = std::move(mapping);
  return absl::OkStatus();
}

// ---- commands, ports, volumes ----

absl::Status ToCommand(Node* node, absl::string_view path) {
  if (node->IsSequence()) {
    ToStringItems(node);
    return absl::OkStatus();
  }
  if (!node->IsScalar()) return absl::OkStatus();
  absl::StatusOr<std::vector<std::string>> words = SplitCommand(node->scalar);
  if (!words.ok()) return Invalid(node->mark, path, words.status().message());
  Node list = Node::Sequence(node->mark);
  for (std::string& word : *words) list.items.push_back(StringNode(std::move(word), node->mark));
  *node = std::move(list);
  return absl::OkStatus();
}

Node PortNode(const PortMapping& port, const Mark& mark) {
  Node node = Node::Mapping(mark);
  node.Set("mode", StringNode("ingress", mark));
  if (!port.host_ip.empty()) node.Set("host_ip", StringNode(port.host_ip, mark));
  node.Set("target", PlainNode(absl::StrCat(port.target), mark));
  if (!port.published.empty()) node.Set("published", StringNode(port.published, mark));
  node.Set("protocol", StringNode(port.protocol, mark));
  return node;
}

absl::Status NormalizePorts(Node* ports, absl::string_view path) {
  Node result = Node::Sequence(ports->mark);
  for (size_t i = 0; i < ports->items.size(); ++i) {
    Node& item = ports->items[i];
    std::string item_path = absl::StrCat(path, "[", i, "]");
    if (item.IsMapping()) {
      if (item.Find("mode") == nullptr) item.Set("mode", StringNode("ingress", item.mark));
      if (item.Find("protocol") == nullptr) item.Set("protocol", StringNode("tcp", item.mark));
      if (Node* target = item.Find("target")) ToInteger(target);
      for (yaml::Entry& entry : item.entries) {
        if (entry.key != "target") ToString(&entry.value);
      }
      ReorderKeys(&item, {"name", "mode", "host_ip", "target", "published", "protocol"});
      result.items.push_back(std::move(item));
      continue;
    }
    absl::StatusOr<std::vector<PortMapping>> mappings = ParsePortSpec(item.scalar);
    if (!mappings.ok()) return Invalid(item.mark, item_path, mappings.status().message());
    for (const PortMapping& mapping : *mappings) result.items.push_back(PortNode(mapping, item.mark));
  }
  *ports = std::move(result);
  return absl::OkStatus();
}

Node MountNode(const VolumeMount& mount, const Mark& mark, const FileContext& context) {
  Node node = Node::Mapping(mark);
  node.Set("type", StringNode(mount.type, mark));
  if (!mount.source.empty()) {
    std::string source = mount.type == "bind"
                             ? ResolvePath(mount.source, context.base_dir, context.home)
                             : mount.source;
    node.Set("source", StringNode(source, mark));
  }
  node.Set("target", StringNode(mount.target, mark));
  if (mount.read_only) node.Set("read_only", PlainNode("true", mark));
  if (mount.type == "bind") {
    Node bind = Node::Mapping(mark);
    if (!mount.propagation.empty()) bind.Set("propagation", StringNode(mount.propagation, mark));
    // The short syntax creates a missing host directory, unlike the long one.
    bind.Set("create_host_path", PlainNode("true", mark));
    if (!mount.selinux.empty()) bind.Set("selinux", StringNode(mount.selinux, mark));
    node.Set("bind", std::move(bind));
  } else {
    Node volume = Node::Mapping(mark);
    if (mount.nocopy) volume.Set("nocopy", PlainNode("true", mark));
    node.Set("volume", std::move(volume));
  }
  return node;
}

void NormalizeLongMount(Node* item, const FileContext& context) {
  Node* type = item->Find("type");
  Node* source = item->Find("source");
  if (type != nullptr && type->scalar == "bind" && source != nullptr && source->IsScalar()) {
    *source = StringNode(ResolvePath(source->scalar, context.base_dir, context.home), source->mark);
  }
  if (Node* read_only = item->Find("read_only")) ToBool(read_only);
  if (Node* bind = item->Find("bind")) {
    if (Node* create = bind->Find("create_host_path")) ToBool(create);
  }
  if (Node* volume = item->Find("volume")) {
    if (Node* nocopy = volume->Find("nocopy")) ToBool(nocopy);
  }
  if (Node* tmpfs = item->Find("tmpfs")) {
    if (Node* size = tmpfs->Find("size")) ToByteSize(size);
  }
  ReorderKeys(item, {"type", "source", "target", "read_only", "consistency", "bind", "volume",
                     "tmpfs", "image"});
}

absl::Status NormalizeVolumes(Node* volumes, absl::string_view path, const FileContext& context) {
  for (size_t i = 0; i < volumes->items.size(); ++i) {
    Node& item = volumes->items[i];
    if (item.IsMapping()) {
      NormalizeLongMount(&item, context);
      continue;
    }
    absl::StatusOr<VolumeMount> mount = ParseVolumeSpec(item.scalar);
    if (!mount.ok()) {
      return Invalid(item.mark, absl::StrCat(path, "[", i, "]"), mount.status().message());
    }
    item = MountNode(*mount, item.mark, context);
  }
  return absl::OkStatus();
}

// ---- other structured fields ----

void NormalizeDependsOn(Node* node) {
  if (node->IsSequence()) {
    Node mapping = Node::Mapping(node->mark);
    for (const Node& item : node->items) {
      Node dependency = Node::Mapping(item.mark);
      dependency.Set("condition", StringNode("service_started", item.mark));
      SetEntry(&mapping, item.scalar, item.mark, std::move(dependency));
    }
    *node = std::move(mapping);
  }
  for (yaml::Entry& entry : node->entries) {
    Node& dependency = entry.value;
    if (Node* restart = dependency.Find("restart")) ToBool(restart);
    if (Node* required = dependency.Find("required")) {
      ToBool(required);
    } else {
      dependency.Set("required", PlainNode("true", dependency.mark));
    }
    ReorderKeys(&dependency, {"condition", "restart", "required"});
  }
}

void NormalizeServiceNetworks(Node* node) {
  if (node->IsSequence()) {
    Node mapping = Node::Mapping(node->mark);
    for (const Node& item : node->items) {
      SetEntry(&mapping, item.scalar, item.mark, Node::Null(item.mark));
    }
    *node = std::move(mapping);
  }
  for (yaml::Entry& entry : node->entries) {
    if (!entry.value.IsMapping()) continue;
    if (Node* aliases = entry.value.Find("aliases")) ToStringItems(aliases);
    ReorderKeys(&entry.value, {"aliases", "ipv4_address", "ipv6_address"});
  }
}

void NormalizeEnvFiles(Node* node, const FileContext& context) {
  ToList(node);
  for (Node& item : node->items) {
    if (item.IsScalar()) {
      Node entry = Node::Mapping(item.mark);
      entry.Set("path", StringNode(item.scalar, item.mark));
      item = std::move(entry);
    }
    Node* path = item.Find("path");
    *path = StringNode(ResolvePath(path->scalar, context.base_dir, context.home), path->mark);
    if (Node* required = item.Find("required")) {
      ToBool(required);
    } else {
      item.Set("required", PlainNode("true", item.mark));
    }
    ReorderKeys(&item, {"path", "format", "required"});
  }
}

void NormalizeExtends(Node* node, const FileContext& context) {
  if (node->IsScalar()) {
    Node mapping = Node::Mapping(node->mark);
    mapping.Set("service", StringNode(node->scalar, node->mark));
    *node = std::move(mapping);
  }
  if (Node* file = node->Find("file")) {
    *file = StringNode(ResolvePath(file->scalar, context.base_dir, context.home), file->mark);
  }
}

bool IsRemote(absl::string_view context) {
  return absl::StrContains(context, "://") || absl::StartsWith(context, "git@");
}

void NormalizeBuild(Node* node, const FileContext& context) {
  if (node->IsScalar()) {
    Node mapping = Node::Mapping(node->mark);
    mapping.Set("context", StringNode(node->scalar, node->mark));
    *node = std::move(mapping);
  }
  Node* build_context = node->Find("context");
  if (build_context == nullptr) {
    node->Set("context", StringNode(".", node->mark));
    build_context = node->Find("context");
  }
  if (!IsRemote(build_context->scalar)) {
    *build_context = StringNode(
        ResolvePath(build_context->scalar, context.base_dir, context.home), build_context->mark);
  }
  if (Node* args = node->Find("args")) ListToMapping(args, /*bare_is_empty=*/false);
  if (Node* labels = node->Find("labels")) ListToMapping(labels, /*bare_is_empty=*/true);
}

void NormalizeHealthcheck(Node* node) {
  if (Node* test = node->Find("test")) {
    if (test->IsScalar()) {
      Node list = Node::Sequence(test->mark);
      list.items.push_back(StringNode("CMD-SHELL", test->mark));
      list.items.push_back(StringNode(test->scalar, test->mark));
      *test = std::move(list);
    } else {
      ToStringItems(test);
    }
  }
  for (absl::string_view key : {"interval", "timeout", "start_period", "start_interval"}) {
    if (Node* duration = node->Find(key)) ToDuration(duration);
  }
  if (Node* retries = node->Find("retries")) ToInteger(retries);
  if (Node* disable = node->Find("disable")) ToBool(disable);
  ReorderKeys(node, {"test", "timeout", "interval", "retries", "start_period", "start_interval",
                     "disable"});
}

void NormalizeUlimits(Node* node) {
  for (yaml::Entry& entry : node->entries) {
    if (entry.value.IsScalar()) {
      ToInteger(&entry.value);
      continue;
    }
    if (Node* soft = entry.value.Find("soft")) ToInteger(soft);
    if (Node* hard = entry.value.Find("hard")) ToInteger(hard);
    ReorderKeys(&entry.value, {"soft", "hard"});
  }
}

void NormalizeResources(Node* node) {
  if (node == nullptr) return;
  if (Node* cpus = node->Find("cpus")) ToNumber(cpus);
  if (Node* memory = node->Find("memory")) ToByteSize(memory);
  if (Node* pids = node->Find("pids")) ToInteger(pids);
  ReorderKeys(node, {"cpus", "memory", "pids"});
}

void NormalizeDeploy(Node* node) {
  if (node->IsNull()) {
    *node = Node::Mapping(node->mark);
    return;
  }
  if (Node* replicas = node->Find("replicas")) ToInteger(replicas);
  if (Node* resources = node->Find("resources")) {
    NormalizeResources(resources->Find("limits"));
    NormalizeResources(resources->Find("reservations"));
    ReorderKeys(resources, {"limits", "reservations"});
  }
  ReorderKeys(node, {"mode", "replicas", "labels", "update_config", "rollback_config",
                     "resources", "restart_policy", "placement", "endpoint_mode"});
}

void NormalizeServiceRefs(Node* node) {
  for (Node& item : node->items) {
    if (!item.IsScalar()) continue;
    Node mapping = Node::Mapping(item.mark);
    mapping.Set("source", StringNode(item.scalar, item.mark));
    item = std::move(mapping);
  }
}

// ---- the field table ----

using Normalizer = absl::Status (*)(Node*, absl::string_view, const FileContext&);

template <void (*F)(Node*)>
absl::Status Simple(Node* node, absl::string_view, const FileContext&) {
  F(node);
  return absl::OkStatus();
}

template <void (*F)(Node*, const FileContext&)>
absl::Status WithPaths(Node* node, absl::string_view, const FileContext& context) {
  F(node, context);
  return absl::OkStatus();
}

void ToEnvironment(Node* node) { ListToMapping(node, /*bare_is_empty=*/false); }
void ToLabels(Node* node) { ListToMapping(node, /*bare_is_empty=*/true); }

absl::Status ToCommandField(Node* node, absl::string_view path, const FileContext&) {
  return ToCommand(node, path);
}

absl::Status NormalizePortsField(Node* node, absl::string_view path, const FileContext&) {
  return NormalizePorts(node, path);
}

struct FieldNormalizer {
  absl::string_view name;
  Normalizer normalize;
};

// The service fields that need more than a string scalar, by name.
constexpr FieldNormalizer kServiceNormalizers[] = {
    {"annotations", Simple<ToLabels>},
    {"attach", Simple<ToBool>},
    {"build", WithPaths<NormalizeBuild>},
    {"cap_add", Simple<ToStringItems>},
    {"cap_drop", Simple<ToStringItems>},
    {"command", ToCommandField},
    {"configs", Simple<NormalizeServiceRefs>},
    {"cpu_count", Simple<ToInteger>},
    {"cpu_percent", Simple<ToInteger>},
    {"cpu_period", Simple<ToInteger>},
    {"cpu_quota", Simple<ToInteger>},
    {"cpu_shares", Simple<ToInteger>},
    {"cpus", Simple<ToNumber>},
    {"depends_on", Simple<NormalizeDependsOn>},
    {"deploy", Simple<NormalizeDeploy>},
    {"dns", Simple<ToList>},
    {"dns_search", Simple<ToList>},
    {"entrypoint", ToCommandField},
    {"env_file", WithPaths<NormalizeEnvFiles>},
    {"environment", Simple<ToEnvironment>},
    {"expose", Simple<ToStringItems>},
    {"extends", WithPaths<NormalizeExtends>},
    {"extra_hosts", ExtraHostsToMapping},
    {"healthcheck", Simple<NormalizeHealthcheck>},
    {"init", Simple<ToBool>},
    {"labels", Simple<ToLabels>},
    {"mem_limit", Simple<ToByteSize>},
    {"mem_reservation", Simple<ToByteSize>},
    {"mem_swappiness", Simple<ToInteger>},
    {"memswap_limit", Simple<ToByteSize>},
    {"networks", Simple<NormalizeServiceNetworks>},
    {"oom_kill_disable", Simple<ToBool>},
    {"oom_score_adj", Simple<ToInteger>},
    {"pids_limit", Simple<ToInteger>},
    {"ports", NormalizePortsField},
    {"privileged", Simple<ToBool>},
    {"profiles", Simple<ToStringItems>},
    {"read_only", Simple<ToBool>},
    {"scale", Simple<ToInteger>},
    {"secrets", Simple<NormalizeServiceRefs>},
    {"security_opt", Simple<ToStringItems>},
    {"shm_size", Simple<ToByteSize>},
    {"stdin_open", Simple<ToBool>},
    {"stop_grace_period", Simple<ToDuration>},
    {"sysctls", Simple<ToLabels>},
    {"tmpfs", Simple<ToList>},
    {"tty", Simple<ToBool>},
    {"ulimits", Simple<NormalizeUlimits>},
    {"use_api_socket", Simple<ToBool>},
    {"volumes", NormalizeVolumes},
};

// ---- top-level resources ----

void NormalizeResource(Node* node) {
  if (node->IsNull()) *node = Node::Mapping(node->mark);
  if (Node* external = node->Find("external")) {
    if (external->IsMapping()) {
      // Copy first: Set may move the entries that `external` points into.
      const Node* name = external->Find("name");
      std::optional<Node> external_name;
      if (name != nullptr && node->Find("name") == nullptr) external_name = *name;
      *external = PlainNode("true", external->mark);
      if (external_name.has_value()) node->Set("name", *std::move(external_name));
    } else {
      ToBool(external);
    }
  }
  for (absl::string_view key : {"internal", "attachable", "enable_ipv4", "enable_ipv6"}) {
    if (Node* value = node->Find(key)) ToBool(value);
  }
  if (Node* options = node->Find("driver_opts")) {
    for (yaml::Entry& entry : options->entries) ToString(&entry.value);
  }
  if (Node* labels = node->Find("labels")) ToLabels(labels);
  ReorderKeys(node, {"name", "driver", "driver_opts", "ipam", "external", "internal",
                     "attachable", "labels"});
}

void NormalizeFileResources(Node* resources, const FileContext& context) {
  for (yaml::Entry& entry : resources->entries) {
    if (entry.value.tag == "!reset") continue;
    std::string tag = entry.value.tag;
    NormalizeResource(&entry.value);
    entry.value.tag = tag;
    if (Node* file = entry.value.Find("file")) {
      *file = StringNode(ResolvePath(file->scalar, context.base_dir, context.home), file->mark);
    }
  }
}

}  // namespace

void SetEntry(Node* node, const std::string& key, const Mark& key_mark, Node value) {
  for (yaml::Entry& entry : node->entries) {
    if (entry.key != key) continue;
    entry.key_mark = key_mark;
    entry.value = std::move(value);
    return;
  }
  node->entries.push_back(yaml::Entry{key, key_mark, std::move(value)});
}

Node StringNode(std::string text, const Mark& mark) {
  return Node::Scalar(std::move(text), mark, /*quoted=*/true);
}

Node PlainNode(std::string text, const Mark& mark) {
  return Node::Scalar(std::move(text), mark, /*quoted=*/false);
}

void ReorderKeys(Node* node, std::initializer_list<absl::string_view> order) {
  if (!node->IsMapping()) return;
  auto rank = [&order](const std::string& key) {
    size_t index = 0;
    for (absl::string_view known : order) {
      if (known == key) return index;
      ++index;
    }
    return order.size();
  };
  std::stable_sort(node->entries.begin(), node->entries.end(),
                   [&rank, &order](const yaml::Entry& a, const yaml::Entry& b) {
                     size_t rank_a = rank(a.key);
                     size_t rank_b = rank(b.key);
                     if (rank_a != rank_b) return rank_a < rank_b;
                     return rank_a == order.size() && a.key < b.key;
                   });
}

absl::Status NormalizeService(Node* service, absl::string_view path, const FileContext& context) {
  if (service->IsNull()) *service = Node::Mapping(service->mark);
  for (yaml::Entry& entry : service->entries) {
    if (entry.value.tag == "!reset" || absl::StartsWith(entry.key, "x-")) continue;
    std::string field_path = absl::StrCat(path, ".", entry.key);
    // Normalizers build new nodes; `!override` must survive for the merge.
    std::string tag = entry.value.tag;
    bool handled = false;
    for (const FieldNormalizer& normalizer : kServiceNormalizers) {
      if (normalizer.name != entry.key) continue;
      absl::Status status = normalizer.normalize(&entry.value, field_path, context);
      if (!status.ok()) return status;
      handled = true;
    }
    // Other scalar fields (image, user, restart, ...) are strings.
    if (!handled) ToString(&entry.value);
    entry.value.tag = tag;
  }
  return absl::OkStatus();
}

absl::Status NormalizeFile(Node* root, const FileContext& context) {
  if (root->IsNull()) *root = Node::Mapping(root->mark);
  if (Node* name = root->Find("name")) ToString(name);
  if (Node* services = root->Find("services")) {
    for (yaml::Entry& entry : services->entries) {
      if (entry.value.tag == "!reset") continue;
      absl::Status status =
          NormalizeService(&entry.value, absl::StrCat("services.", entry.key), context);
      if (!status.ok()) return status;
    }
  }
  for (absl::string_view key : {"networks", "volumes", "secrets", "configs"}) {
    if (Node* resources = root->Find(key)) NormalizeFileResources(resources, context);
  }
  return absl::OkStatus();
}

}  // namespace pycontain::compose
