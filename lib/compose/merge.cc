#include "lib/compose/merge.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace pycontain::compose {
namespace {

using yaml::Node;

enum class SequenceRule { kAppend, kAppendMissing, kReplace, kPorts, kByTarget, kSecrets };

SequenceRule RuleFor(absl::string_view path) {
  if (path == "command" || path == "entrypoint" || path == "healthcheck.test") {
    return SequenceRule::kReplace;
  }
  if (path == "ports") return SequenceRule::kPorts;
  if (path == "volumes") return SequenceRule::kByTarget;
  if (path == "secrets" || path == "configs") return SequenceRule::kSecrets;
  static constexpr absl::string_view kSets[] = {
      "dns",          "dns_search",     "dns_opt",      "cap_add",   "cap_drop",
      "expose",       "tmpfs",          "security_opt", "profiles",  "links",
      "external_links", "volumes_from", "group_add",    "device_cgroup_rules", "env_file",
      "networks.aliases"};
  for (absl::string_view set : kSets) {
    if (path == set) return SequenceRule::kAppendMissing;
  }
  return SequenceRule::kAppend;
}

// A structural comparison; marks do not count.
bool SameValue(const Node& a, const Node& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Node::Kind::kNull:
      return true;
    case Node::Kind::kScalar:
      return a.scalar == b.scalar;
    case Node::Kind::kSequence:
      if (a.items.size() != b.items.size()) return false;
      for (size_t i = 0; i < a.items.size(); ++i) {
        if (!SameValue(a.items[i], b.items[i])) return false;
      }
      return true;
    case Node::Kind::kMapping:
      if (a.entries.size() != b.entries.size()) return false;
      for (const yaml::Entry& entry : a.entries) {
        const Node* other = b.Find(entry.key);
        if (other == nullptr || !SameValue(entry.value, *other)) return false;
      }
      return true;
  }
  return false;
}

std::string FieldText(const Node& node, absl::string_view key) {
  const Node* value = node.Find(key);
  return value != nullptr && value->IsScalar() ? value->scalar : "";
}

// The key under which `rule` identifies a list entry, or "" when entries
// have no key and are appended.
std::string UniqueKey(const Node& item, SequenceRule rule) {
  if (!item.IsMapping()) return "";
  switch (rule) {
    case SequenceRule::kPorts:
      return absl::StrCat(FieldText(item, "host_ip"), "|", FieldText(item, "target"), "|",
                          FieldText(item, "published"), "|", FieldText(item, "protocol"));
    case SequenceRule::kByTarget:
      return FieldText(item, "target");
    case SequenceRule::kSecrets: {
      std::string target = FieldText(item, "target");
      return target.empty() ? FieldText(item, "source") : target;
    }
    case SequenceRule::kAppend:
    case SequenceRule::kAppendMissing:
    case SequenceRule::kReplace:
      return "";
  }
  return "";
}

void MergeNode(Node* base, const Node& override, const std::string& path);

void MergeSequence(Node* base, const Node& override, const std::string& path) {
  SequenceRule rule = RuleFor(path);
  if (rule == SequenceRule::kReplace) {
    *base = override;
    return;
  }
  for (const Node& item : override.items) {
    bool merged = false;
    if (rule == SequenceRule::kAppendMissing) {
      for (const Node& existing : base->items) merged = merged || SameValue(existing, item);
    } else {
      std::string key = UniqueKey(item, rule);
      for (Node& existing : base->items) {
        if (merged || key.empty() || UniqueKey(existing, rule) != key) continue;
        MergeNode(&existing, item, absl::StrCat(path, "[]"));
        merged = true;
      }
    }
    if (!merged) base->items.push_back(item);
  }
}

// The path used to look up sequence rules: service fields by name, and
// network aliases under any network.
std::string ChildPath(const std::string& path, absl::string_view key) {
  if (path.empty()) return std::string(key);
  if (path == "networks.*") return absl::StrCat("networks.", key);
  if (path == "networks") return "networks.*";
  return absl::StrCat(path, ".", key);
}

void MergeMapping(Node* base, const Node& override, const std::string& path) {
  for (const yaml::Entry& entry : override.entries) {
    if (entry.value.tag == "!reset") {
      base->Erase(entry.key);
      continue;
    }
    Node* existing = base->Find(entry.key);
    if (existing == nullptr || entry.value.tag == "!override") {
      base->Set(entry.key, entry.value);
      continue;
    }
    MergeNode(existing, entry.value, ChildPath(path, entry.key));
  }
}

void MergeNode(Node* base, const Node& override, const std::string& path) {
  if (base->IsMapping() && override.IsMapping()) {
    MergeMapping(base, override, path);
  } else if (base->IsSequence() && override.IsSequence()) {
    MergeSequence(base, override, path);
  } else {
    *base = override;
  }
}

// Merges the mapping of named resources `override` (services, networks,
// volumes, ...) into `base`, one resource at a time.
void MergeResources(Node* base, const Node& override, bool services) {
  for (const yaml::Entry& entry : override.entries) {
    Node* existing = base->Find(entry.key);
    if (existing == nullptr || entry.value.tag == "!override" || entry.value.tag == "!reset") {
      base->Set(entry.key, entry.value);
      continue;
    }
    if (services) {
      MergeService(existing, entry.value);
    } else {
      MergeNode(existing, entry.value, "resource");
    }
  }
}

}  // namespace

void MergeService(Node* base, const Node& override) {
  if (!base->IsMapping() || !override.IsMapping()) {
    *base = override;
    return;
  }
  MergeMapping(base, override, "");
}

void MergeFiles(Node* base, Node override) {
  if (!override.IsMapping()) return;
  if (!base->IsMapping()) {
    *base = std::move(override);
    return;
  }
  for (yaml::Entry& entry : override.entries) {
    Node* existing = base->Find(entry.key);
    bool resources = entry.key == "services" || entry.key == "networks" ||
                     entry.key == "volumes" || entry.key == "secrets" || entry.key == "configs";
    if (existing != nullptr && resources && existing->IsMapping() && entry.value.IsMapping()) {
      MergeResources(existing, entry.value, entry.key == "services");
    } else if (existing != nullptr && existing->IsMapping() && entry.value.IsMapping()) {
      MergeNode(existing, entry.value, entry.key);
    } else {
      base->Set(entry.key, std::move(entry.value));
    }
  }
}

void ResolveMergeTags(Node* node) {
  if (node->tag == "!override" || node->tag == "!reset") node->tag.clear();
  if (node->IsSequence()) {
    for (Node& item : node->items) ResolveMergeTags(&item);
  }
  if (!node->IsMapping()) return;
  for (size_t i = 0; i < node->entries.size();) {
    if (node->entries[i].value.tag == "!reset") {
      node->entries.erase(node->entries.begin() + i);
      continue;
    }
    ResolveMergeTags(&node->entries[i].value);
    ++i;
  }
}

}  // namespace pycontain::compose
