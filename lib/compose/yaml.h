// YAML documents as a tree of nodes that remember where they came from.
//
//   absl::StatusOr<yaml::Node> doc = yaml::Parse(text, "compose.yaml");
//   if (!doc.ok()) return doc.status();  // "compose.yaml:3:5: duplicate key \"image\""
//   const yaml::Node* image = doc->Find("services")->Find("web")->Find("image");
//
// Parse reads one YAML 1.1 document (libyaml) and resolves what Compose
// files rely on before anything else sees the tree: anchors and aliases are
// expanded into copies, and merge keys are applied (`<<: *a` and
// `<<: [*a, *b]`: shallow, keys written in the mapping win over merged ones,
// and among merged mappings the earlier one wins). A key written twice in
// one mapping is an error, as the YAML specification demands.
//
// Scalars keep their text and whether they were quoted; converting them to
// numbers or booleans is the caller's business, after interpolation.
//
// Thread safety: the functions are thread-safe; a Node is a plain value.
#ifndef PYCONTAIN_LIB_COMPOSE_YAML_H_
#define PYCONTAIN_LIB_COMPOSE_YAML_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pycontain::compose::yaml {

// A position in a source file; line and column count from 1.
struct Mark {
  std::string file;
  int line = 0;
  int column = 0;
};

// "compose.yaml:3:5", or "compose.yaml" when the line is unknown.
std::string ToString(const Mark& mark);

struct Entry;

struct Node {
  enum class Kind { kNull, kScalar, kSequence, kMapping };

  Kind kind = Kind::kNull;
  Mark mark;
  // kScalar: the text as written, without quotes, escapes resolved.
  // kNull (a plain `~`, `null`, `Null`, `NULL` or nothing): empty.
  std::string scalar;
  // kScalar: true when the scalar was single- or double-quoted, a block
  // scalar (| or >) or tagged `!!str`, so that `"8080"` stays a string and
  // `yes` may not.
  bool quoted = false;
  // An explicit tag such as "!!str" (core tags are shortened to "!!"),
  // "!reset", or "".
  std::string tag;
  // kSequence: the items in order.
  std::vector<Node> items;
  // kMapping: the entries in source order (after merge keys, merged
  // entries follow the written ones).
  std::vector<Entry> entries;

  bool IsNull() const { return kind == Kind::kNull; }
  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  bool IsMapping() const { return kind == Kind::kMapping; }

  // kMapping: the value of `key`, or nullptr.
  const Node* Find(absl::string_view key) const;
  Node* Find(absl::string_view key);
  // kMapping: the entry of `key`, or nullptr.
  const Entry* FindEntry(absl::string_view key) const;
  // kMapping: sets `key` to `value`, replacing an existing entry in place
  // or appending a new one (whose key_mark is value.mark).
  void Set(absl::string_view key, Node value);
  // kMapping: removes `key`; returns whether it was there.
  bool Erase(absl::string_view key);

  static Node Null(Mark mark = {});
  static Node Scalar(std::string text, Mark mark = {}, bool quoted = false);
  static Node Sequence(Mark mark = {});
  static Node Mapping(Mark mark = {});
};

// One key and its value in a mapping; keys are always scalars.
struct Entry {
  std::string key;
  Mark key_mark;
  Node value;
};

// Parses `text`, the content of `file_name` (used only in marks and error
// messages). An empty document is a kNull node. Nodes copied from an anchor
// (by an alias or a merge key) keep the anchor's marks.
//
// Aliases are expanded with a budget: 10000 nodes per alias expansion, and
// 1000000 nodes or 64 MiB of scalar text copied in all (each anchored node
// is copied once more when its anchor is defined). So "billion laughs"
// input fails with InvalidArgument instead of exhausting memory.
//
// Errors: InvalidArgument "FILE:LINE:COLUMN: what" for
//   - a syntax error (libyaml's message),
//   - a duplicate key, or a key that is a list or a mapping,
//   - an undefined alias, or an alias beyond the budget,
//   - a merge key whose value is not a mapping or a list of mappings,
//   - more than one document, or nesting deeper than 512 levels.
// Input that is not UTF-8 (or UTF-16 with a byte order mark) fails with
// "FILE: what (byte offset N)".
absl::StatusOr<Node> Parse(absl::string_view text, absl::string_view file_name);

// Writes `node` as block-style YAML in the layout of `docker compose
// config`: two-space indentation, keys in entry order, lists of mappings as
// `- key: value`, and `{}` and `[]` for empty collections.
// Parse(Emit(node)) has the same kinds and text as `node`.
//
// A scalar is double-quoted (with escapes) when plain text would read back
// differently. That covers empty text, leading or trailing space, an
// indicator character first, `: ` or ` #` inside, control characters and
// null-like text. It also covers a `quoted` scalar that looks like a bool
// or a number (`"yes"`, `"0755"`, `"1.0"`), while a plain `yes` stays
// plain. Multi-line text is a `|` block where the block can hold it
// exactly. Tags are not written. Text that is not UTF-8 cannot round-trip,
// because each invalid byte is written as the code point with its number.
std::string Emit(const Node& node);

}  // namespace pycontain::compose::yaml

#endif  // PYCONTAIN_LIB_COMPOSE_YAML_H_
