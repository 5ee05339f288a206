#include "lib/compose/yaml.h"

#include <yaml.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace pycontain::compose::yaml {
namespace {

// Nesting deeper than this is rejected: the tree is built, copied, emitted
// and destroyed recursively, and Compose files nest about ten levels.
constexpr int kMaxDepth = 512;

// Limits on the copies that anchors and aliases make (see Parse in
// yaml.h). The byte limit counts the scalar text that is copied, so one
// long string aliased many times cannot exhaust memory either.
constexpr int64_t kMaxNodesPerAlias = 10000;
constexpr int64_t kMaxExpandedNodes = 1000000;
constexpr int64_t kMaxExpandedBytes = 64 << 20;

constexpr absl::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

Mark MarkOf(const std::string& file, const yaml_mark_t& mark) {
  return Mark{file, static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1};
}

absl::Status ErrorAt(const Mark& mark, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(ToString(mark), ": ", message));
}

std::string TagOf(const yaml_char_t* tag) {
  if (tag == nullptr) return "";
  absl::string_view text(reinterpret_cast<const char*>(tag));
  if (absl::ConsumePrefix(&text, kCoreTagPrefix)) return absl::StrCat("!!", text);
  return std::string(text);
}

// The plain scalars that YAML 1.1 and 1.2 read as null.
bool IsNullText(absl::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

// A plain scalar is null when it reads as null and no tag makes it a string
// (or another core type). Application tags such as Compose's `!reset` leave
// the value's type to its text.
bool IsPlainNull(absl::string_view text, absl::string_view tag) {
  if (!IsNullText(text)) return false;
  if (tag.empty() || tag == "!!null") return true;
  return tag[0] == '!' && !absl::StartsWith(tag, "!!");
}

// Size of a subtree, for the alias budget and the depth limit.
struct Extent {
  int64_t nodes = 0;
  int64_t bytes = 0;
  int height = 0;
};

Extent Measure(const Node& node) {
  Extent extent{1, static_cast<int64_t>(node.scalar.size() + node.tag.size()), 1};
  auto add = [&extent](const Extent& child) {
    extent.nodes += child.nodes;
    extent.bytes += child.bytes;
    extent.height = std::max(extent.height, child.height + 1);
  };
  for (const Node& item : node.items) add(Measure(item));
  for (const Entry& entry : node.entries) {
    extent.bytes += static_cast<int64_t>(entry.key.size());
    add(Measure(entry.value));
  }
  return extent;
}

struct Anchor {
  std::shared_ptr<const Node> node;
  Extent extent;
};

// Deletes a libyaml event when it goes out of scope.
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() {
    if (valid_) yaml_event_delete(&event_);
  }

  yaml_event_t* get() { return &event_; }
  const yaml_event_t& operator*() const { return event_; }
  const yaml_event_t* operator->() const { return &event_; }
  void set_valid() { valid_ = true; }

 private:
  yaml_event_t event_{};
  bool valid_ = false;
};

// Builds the tree from libyaml's parser events, one node per recursive call.
class Builder {
 public:
  Builder(absl::string_view text, absl::string_view file_name) : text_(text), file_(file_name) {
    initialized_ = yaml_parser_initialize(&parser_) != 0;
    if (!initialized_) return;

    // libyaml asserts that the input pointer is not null, which an empty
    // string_view may have.
    const char* data = text.data() != nullptr ? text.data() : "";
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(data),
                                 text.size());
  }
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;
  ~Builder() {
    if (initialized_) yaml_parser_delete(&parser_);
  }

  absl::StatusOr<Node> Document();

 private:
  absl::Status Next(Event& event);
  absl::Status ParserError() const;
  Mark MarkAt(const yaml_mark_t& mark) const { return MarkOf(file_, mark); }

  // Builds the node that starts with `event` (already read) at `depth`.
  absl::StatusOr<Node> Build(Event& event, int depth);
  absl::StatusOr<Node> BuildScalar(const Event& event);
  absl::StatusOr<Node> BuildSequence(const Event& event, int depth);
  absl::StatusOr<Node> BuildMapping(const Event& event, int depth);
  absl::StatusOr<Node> ExpandAlias(const Event& event, int depth);
  absl::Status ApplyMerge(const Mark& key_mark, const Node& merge_value,
                          std::vector<Entry>& merged,
                          absl::flat_hash_set<std::string>& merged_keys) const;
  absl::Status Remember(const yaml_char_t* anchor, const Node& node);
  // Adds a copy of `extent` to the budget for copies.
  absl::Status Charge(const Extent& extent, const Mark& mark);

  bool LineIndentedWithTab(size_t line) const;

  absl::string_view text_;
  std::string file_;
  bool initialized_ = false;
  yaml_parser_t parser_;
  absl::flat_hash_map<std::string, Anchor> anchors_;
  absl::flat_hash_set<std::string> open_anchors_;
  int64_t expanded_nodes_ = 0;
  int64_t expanded_bytes_ = 0;
};

absl::Status Builder::ParserError() const {
  std::string problem = parser_.problem != nullptr ? parser_.problem : "invalid YAML";
  switch (parser_.error) {
    case YAML_MEMORY_ERROR:
      return absl::ResourceExhaustedError(absl::StrCat(file_, ": out of memory while parsing YAML"));
    case YAML_READER_ERROR:
      // The reader reports a byte offset, not a line: it fails before the
      // scanner has counted lines (invalid UTF-8, control characters).
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: %s (byte offset %d)", file_, problem, parser_.problem_offset));
    default:
      break;
  }

  std::string message = std::string(ErrorAt(MarkAt(parser_.problem_mark), problem).message());
  if (parser_.context != nullptr) {
    absl::StrAppend(&message, " (", parser_.context, " at ", parser_.context_mark.line + 1, ":",
                    parser_.context_mark.column + 1, ")");
  }
  if (LineIndentedWithTab(parser_.problem_mark.line)) {
    absl::StrAppend(&message, "; indent YAML with spaces, not tabs");
  }
  return absl::InvalidArgumentError(message);
}

// Whether the 0-based `line` of the input starts with blanks that include
// a tab, which libyaml reports only as a character that cannot start a
// token.
bool Builder::LineIndentedWithTab(size_t line) const {
  size_t start = 0;
  for (size_t i = 0; i < line; ++i) {
    start = text_.find('\n', start);
    if (start == absl::string_view::npos) return false;
    ++start;
  }
  for (size_t i = start; i < text_.size() && (text_[i] == ' ' || text_[i] == '\t'); ++i) {
    if (text_[i] == '\t') return true;
  }
  return false;
}

absl::Status Builder::Next(Event& event) {
  if (!yaml_parser_parse(&parser_, event.get())) return ParserError();
  event.set_valid();
  return absl::OkStatus();
}

absl::StatusOr<Node> Builder::Document() {
  if (!initialized_) {
    return absl::ResourceExhaustedError(absl::StrCat(file_, ": out of memory while parsing YAML"));
  }

  Event stream_start;
  if (absl::Status status = Next(stream_start); !status.ok()) return status;

  Event document_start;
  if (absl::Status status = Next(document_start); !status.ok()) return status;
  if (document_start->type == YAML_STREAM_END_EVENT) {
    return Node::Null(Mark{file_, 1, 1});
  }

  Event root_event;
  if (absl::Status status = Next(root_event); !status.ok()) return status;
  absl::StatusOr<Node> root = Build(root_event, 1);
  if (!root.ok()) return root.status();

  Event document_end;
  if (absl::Status status = Next(document_end); !status.ok()) return status;
  Event next;
  if (absl::Status status = Next(next); !status.ok()) return status;
  if (next->type == YAML_DOCUMENT_START_EVENT) {
    return ErrorAt(MarkAt(next->start_mark),
                   "more than one YAML document; a Compose file holds exactly one");
  }
  return root;
}

absl::StatusOr<Node> Builder::Build(Event& event, int depth) {
  if (depth > kMaxDepth) {
    return ErrorAt(MarkAt(event->start_mark),
                   absl::StrCat("nesting deeper than ", kMaxDepth, " levels"));
  }

  absl::StatusOr<Node> node;
  const yaml_char_t* anchor = nullptr;
  switch (event->type) {
    case YAML_ALIAS_EVENT:
      return ExpandAlias(event, depth);
    case YAML_SCALAR_EVENT:
      anchor = event->data.scalar.anchor;
      if (anchor != nullptr) {
        open_anchors_.insert(reinterpret_cast<const char*>(anchor));
      }
      node = BuildScalar(event);
      break;
    case YAML_SEQUENCE_START_EVENT:
      anchor = event->data.sequence_start.anchor;
      if (anchor != nullptr) {
        open_anchors_.insert(reinterpret_cast<const char*>(anchor));
      }
      node = BuildSequence(event, depth);
      break;
    case YAML_MAPPING_START_EVENT:
      anchor = event->data.mapping_start.anchor;
      if (anchor != nullptr) {
        open_anchors_.insert(reinterpret_cast<const char*>(anchor));
      }
      node = BuildMapping(event, depth);
      break;
    default:
      return ErrorAt(MarkAt(event->start_mark), "unexpected YAML event");
  }
  if (!node.ok() || anchor == nullptr) return node;

  if (absl::Status status = Remember(anchor, *node); !status.ok()) return status;
  return node;
}

absl::Status Builder::Charge(const Extent& extent, const Mark& mark) {
  expanded_nodes_ += extent.nodes;
  expanded_bytes_ += extent.bytes;
  if (expanded_nodes_ > kMaxExpandedNodes || expanded_bytes_ > kMaxExpandedBytes) {
    return ErrorAt(mark, absl::StrCat("anchors and aliases copy more than ", kMaxExpandedNodes,
                                      " nodes or ", kMaxExpandedBytes >> 20,
                                      " MiB of text in all"));
  }
  return absl::OkStatus();
}

absl::Status Builder::Remember(const yaml_char_t* anchor, const Node& node) {
  std::string name(reinterpret_cast<const char*>(anchor));
  open_anchors_.erase(name);

  // Keeping the anchored node is a copy too: without counting it, anchors
  // nested in anchors would copy a large file once per level.
  Extent extent = Measure(node);
  if (absl::Status status = Charge(extent, node.mark); !status.ok()) return status;
  anchors_[name] = Anchor{std::make_shared<const Node>(node), extent};
  return absl::OkStatus();
}

absl::StatusOr<Node> Builder::ExpandAlias(const Event& event, int depth) {
  std::string name(reinterpret_cast<const char*>(event->data.alias.anchor));
  Mark mark = MarkAt(event->start_mark);
  if (open_anchors_.contains(name)) {
    return ErrorAt(mark, absl::StrCat("alias *", name, " refers to a node that contains it"));
  }
  auto it = anchors_.find(name);
  if (it == anchors_.end()) {
    return ErrorAt(mark, absl::StrCat("undefined alias *", name));
  }

  const Extent& extent = it->second.extent;
  if (extent.nodes > kMaxNodesPerAlias) {
    return ErrorAt(mark, absl::StrCat("alias *", name, " expands to ", extent.nodes,
                                      " nodes, more than the limit of ", kMaxNodesPerAlias));
  }
  if (absl::Status status = Charge(extent, mark); !status.ok()) return status;
  if (depth + extent.height - 1 > kMaxDepth) {
    return ErrorAt(mark, absl::StrCat("alias *", name, " nests deeper than ", kMaxDepth,
                                      " levels"));
  }
  return *it->second.node;
}

absl::StatusOr<Node> Builder::BuildScalar(const Event& event) {
  const auto& scalar = event->data.scalar;
  Node node;
  node.mark = MarkAt(event->start_mark);
  node.scalar.assign(reinterpret_cast<const char*>(scalar.value), scalar.length);
  node.tag = TagOf(scalar.tag);
  node.quoted = scalar.style != YAML_PLAIN_SCALAR_STYLE || node.tag == "!!str";
  bool plain = scalar.style == YAML_PLAIN_SCALAR_STYLE;
  if (plain && IsPlainNull(node.scalar, node.tag)) {
    node.kind = Node::Kind::kNull;
    node.scalar.clear();
  } else {
    node.kind = Node::Kind::kScalar;
  }
  return node;
}

absl::StatusOr<Node> Builder::BuildSequence(const Event& event, int depth) {
  Node node = Node::Sequence(MarkAt(event->start_mark));
  node.tag = TagOf(event->data.sequence_start.tag);
  while (true) {
    Event item_event;
    if (absl::Status status = Next(item_event); !status.ok()) return status;
    if (item_event->type == YAML_SEQUENCE_END_EVENT) return node;

    absl::StatusOr<Node> item = Build(item_event, depth + 1);
    if (!item.ok()) return item.status();
    node.items.push_back(*std::move(item));
  }
}

absl::StatusOr<Node> Builder::BuildMapping(const Event& event, int depth) {
  Node node = Node::Mapping(MarkAt(event->start_mark));
  node.tag = TagOf(event->data.mapping_start.tag);
  absl::flat_hash_map<std::string, Mark> written;
  // The value of each merge key, with the mark of its key.
  std::vector<std::pair<Mark, Node>> merge_values;

  while (true) {
    Event key_event;
    if (absl::Status status = Next(key_event); !status.ok()) return status;
    if (key_event->type == YAML_MAPPING_END_EVENT) break;

    // Keys are scalars, or aliases of scalars.
    Mark key_mark = MarkAt(key_event->start_mark);
    if (key_event->type == YAML_SEQUENCE_START_EVENT ||
        key_event->type == YAML_MAPPING_START_EVENT) {
      return ErrorAt(key_mark, "mapping keys must be scalars, not lists or mappings");
    }
    absl::StatusOr<Node> key = Build(key_event, depth + 1);
    if (!key.ok()) return key.status();
    if (key->IsSequence() || key->IsMapping()) {
      return ErrorAt(key_mark, "mapping keys must be scalars, not lists or mappings");
    }
    bool is_merge = key_event->type == YAML_SCALAR_EVENT && !key->quoted && key->scalar == "<<";

    auto [it, inserted] = written.try_emplace(key->scalar, key_mark);
    if (!inserted) {
      return ErrorAt(key_mark, absl::StrFormat("duplicate key \"%s\" (first at %d:%d)",
                                               key->scalar, it->second.line,
                                               it->second.column));
    }

    Event value_event;
    if (absl::Status status = Next(value_event); !status.ok()) return status;
    absl::StatusOr<Node> value = Build(value_event, depth + 1);
    if (!value.ok()) return value.status();

    if (is_merge) {
      merge_values.emplace_back(key_mark, *std::move(value));
      continue;
    }
    node.entries.push_back(Entry{std::move(key->scalar), key_mark, *std::move(value)});
  }

  if (merge_values.empty()) return node;

  // Merged entries follow the written ones. Written keys win, and among the
  // merged mappings the first one that has a key wins.
  std::vector<Entry> merged;
  absl::flat_hash_set<std::string> merged_keys;
  for (const auto& [key, mark] : written) merged_keys.insert(key);
  for (const auto& [key_mark, value] : merge_values) {
    absl::Status status = ApplyMerge(key_mark, value, merged, merged_keys);
    if (!status.ok()) return status;
  }
  for (Entry& entry : merged) node.entries.push_back(std::move(entry));
  return node;
}

absl::Status Builder::ApplyMerge(const Mark& key_mark, const Node& merge_value,
                                 std::vector<Entry>& merged,
                                 absl::flat_hash_set<std::string>& merged_keys) const {
  auto merge_one = [&](const Node& mapping) {
    for (const Entry& entry : mapping.entries) {
      if (merged_keys.insert(entry.key).second) merged.push_back(entry);
    }
  };
  if (merge_value.IsMapping()) {
    merge_one(merge_value);
    return absl::OkStatus();
  }
  if (merge_value.IsSequence()) {
    for (const Node& item : merge_value.items) {
      if (!item.IsMapping()) {
        return ErrorAt(key_mark, absl::StrCat("merge key \"<<\" lists a value that is not a "
                                              "mapping (at ", item.mark.line, ":",
                                              item.mark.column, ")"));
      }
    }
    for (const Node& item : merge_value.items) merge_one(item);
    return absl::OkStatus();
  }
  return ErrorAt(key_mark, absl::StrCat("merge key \"<<\" needs a mapping or a list of mappings, "
                                        "such as <<: *base, not the value at ",
                                        merge_value.mark.line, ":", merge_value.mark.column));
}

}  // namespace

std::string ToString(const Mark& mark) {
  if (mark.line <= 0) return mark.file;
  return absl::StrCat(mark.file, ":", mark.line, ":", mark.column);
}

const Node* Node::Find(absl::string_view key) const {
  const Entry* entry = FindEntry(key);
  return entry != nullptr ? &entry->value : nullptr;
}

Node* Node::Find(absl::string_view key) {
  return const_cast<Node*>(static_cast<const Node*>(this)->Find(key));
}

const Entry* Node::FindEntry(absl::string_view key) const {
  for (const Entry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

void Node::Set(absl::string_view key, Node value) {
  if (Node* existing = Find(key); existing != nullptr) {
    *existing = std::move(value);
    return;
  }
  Mark key_mark = value.mark;
  entries.push_back(Entry{std::string(key), std::move(key_mark), std::move(value)});
}

bool Node::Erase(absl::string_view key) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->key == key) {
      entries.erase(it);
      return true;
    }
  }
  return false;
}

Node Node::Null(Mark mark) {
  Node node;
  node.kind = Kind::kNull;
  node.mark = std::move(mark);
  return node;
}

Node Node::Scalar(std::string text, Mark mark, bool quoted) {
  Node node;
  node.kind = Kind::kScalar;
  node.mark = std::move(mark);
  node.scalar = std::move(text);
  node.quoted = quoted;
  return node;
}

Node Node::Sequence(Mark mark) {
  Node node;
  node.kind = Kind::kSequence;
  node.mark = std::move(mark);
  return node;
}

Node Node::Mapping(Mark mark) {
  Node node;
  node.kind = Kind::kMapping;
  node.mark = std::move(mark);
  return node;
}

absl::StatusOr<Node> Parse(absl::string_view text, absl::string_view file_name) {
  Builder builder(text, file_name);
  return builder.Document();
}

}  // namespace pycontain::compose::yaml
