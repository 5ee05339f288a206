#include "lib/compose/interpolate.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace pycontain::compose {
namespace {

// `${` nested deeper than this is rejected, because expressions are
// expanded recursively and a scalar can be megabytes long.
constexpr int kMaxNesting = 64;

// Error messages quote the text up to this many bytes.
constexpr size_t kMaxQuoted = 200;

bool IsNameStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// Expands one text. Errors carry no mark, so that callers can add the mark
// and a key path in front.
class Expander {
 public:
  Expander(absl::string_view text, const Lookup& lookup, const yaml::Mark& mark,
           std::vector<UnsetVariable>* unset)
      : text_(text), lookup_(lookup), mark_(mark), unset_(unset) {}

  absl::StatusOr<std::string> Run() {
    std::string out;
    absl::StatusOr<size_t> end = Expand(0, /*nested=*/false, /*evaluate=*/true, 0, &out);
    if (!end.ok()) return end.status();
    return out;
  }

 private:
  // Expands text_ from `pos` to its end, or in a nested word to the `}`
  // that closes it, whose position it returns. With `evaluate` false it
  // only checks the syntax (a default that is not used).
  absl::StatusOr<size_t> Expand(size_t pos, bool nested, bool evaluate, int depth,
                                std::string* out);
  // Expands the `${...}` that starts at `pos`; returns the position after it.
  absl::StatusOr<size_t> Braced(size_t pos, bool evaluate, int depth, std::string* out);
  std::optional<std::string> Get(const std::string& name, bool evaluate);
  absl::Status Invalid(absl::string_view what) const;

  absl::string_view text_;
  const Lookup& lookup_;
  const yaml::Mark& mark_;
  std::vector<UnsetVariable>* unset_;
};

absl::Status Expander::Invalid(absl::string_view what) const {
  // Quote at most kMaxQuoted bytes of a long value, cut at a UTF-8
  // character boundary.
  absl::string_view quoted = text_;
  absl::string_view ellipsis;
  if (quoted.size() > kMaxQuoted) {
    size_t cut = kMaxQuoted;
    while (cut > 0 && (static_cast<unsigned char>(quoted[cut]) & 0xc0) == 0x80) --cut;
    quoted = quoted.substr(0, cut);
    ellipsis = "...";
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid interpolation format for \"", quoted, ellipsis, "\": ", what));
}

std::optional<std::string> Expander::Get(const std::string& name, bool evaluate) {
  if (!evaluate || !lookup_) return std::nullopt;
  return lookup_(name);
}

absl::StatusOr<size_t> Expander::Expand(size_t pos, bool nested, bool evaluate, int depth,
                                        std::string* out) {
  while (pos < text_.size()) {
    char c = text_[pos];
    if (c == '}' && nested) return pos;
    if (c != '$') {
      if (evaluate) out->push_back(c);
      ++pos;
      continue;
    }

    if (pos + 1 == text_.size()) {
      return Invalid("a $ ends the text; write $$ for a literal $");
    }
    char next = text_[pos + 1];
    if (next == '$') {
      if (evaluate) out->push_back('$');
      pos += 2;
      continue;
    }
    if (next == '{') {
      absl::StatusOr<size_t> after = Braced(pos, evaluate, depth, out);
      if (!after.ok()) return after.status();
      pos = *after;
      continue;
    }
    if (!IsNameStart(next)) {
      return Invalid(absl::StrCat("\"$", std::string(1, next),
                                  "\" starts no variable; write $$ for a literal $"));
    }

    size_t end = pos + 1;
    while (end < text_.size() && IsNameChar(text_[end])) ++end;
    std::string name(text_.substr(pos + 1, end - pos - 1));
    std::optional<std::string> value = Get(name, evaluate);
    if (evaluate && !value.has_value() && unset_ != nullptr) {
      unset_->push_back(UnsetVariable{name, mark_});
    }
    if (value.has_value()) out->append(*value);
    pos = end;
  }
  if (nested) return Invalid("unterminated \"${\"");
  return pos;
}

absl::StatusOr<size_t> Expander::Braced(size_t pos, bool evaluate, int depth, std::string* out) {
  if (depth >= kMaxNesting) {
    return Invalid(absl::StrCat("expressions nest deeper than ", kMaxNesting, " levels"));
  }

  size_t name_start = pos + 2;
  size_t p = name_start;
  if (p < text_.size() && IsNameStart(text_[p])) {
    while (p < text_.size() && IsNameChar(text_[p])) ++p;
  }
  if (p == text_.size()) return Invalid("unterminated \"${\"");
  std::string name(text_.substr(name_start, p - name_start));
  if (name.empty()) {
    return Invalid("\"${\" must be followed by a variable name ([A-Za-z_][A-Za-z0-9_]*)");
  }

  if (text_[p] == '}') {
    std::optional<std::string> value = Get(name, evaluate);
    if (evaluate && !value.has_value() && unset_ != nullptr) {
      unset_->push_back(UnsetVariable{name, mark_});
    }
    if (value.has_value()) out->append(*value);
    return p + 1;
  }

  // The operator: ":-", "-", ":?", "?", ":+" or "+".
  bool colon = text_[p] == ':';
  if (colon) ++p;
  if (p == text_.size() || absl::string_view("-?+").find(text_[p]) == absl::string_view::npos) {
    return Invalid(absl::StrCat("expected }, :-, -, :?, ?, :+ or + after \"${", name, "\""));
  }
  char op = text_[p++];

  std::optional<std::string> value = Get(name, evaluate);
  bool usable = value.has_value() && (!colon || !value->empty());
  bool use_word = false;
  switch (op) {
    case '-':
    case '?':
      use_word = !usable;
      break;
    case '+':
      use_word = usable;
      break;
  }

  std::string word;
  absl::StatusOr<size_t> close = Expand(p, /*nested=*/true, evaluate && use_word, depth + 1, &word);
  if (!close.ok()) return close.status();
  if (!evaluate) return *close + 1;

  switch (op) {
    case '-':
      out->append(use_word ? word : *value);
      break;
    case '+':
      if (use_word) out->append(word);
      break;
    case '?':
      if (use_word) {
        std::string message = absl::StrCat("required variable ", name, " is missing a value");
        if (!word.empty()) absl::StrAppend(&message, ": ", word);
        return absl::InvalidArgumentError(message);
      }
      out->append(*value);
      break;
  }
  return *close + 1;
}

absl::StatusOr<std::string> ExpandText(absl::string_view text, const Lookup& lookup,
                                       const yaml::Mark& mark, std::vector<UnsetVariable>* unset) {
  // Most scalars hold no `$` at all.
  if (text.find('$') == absl::string_view::npos) return std::string(text);
  return Expander(text, lookup, mark, unset).Run();
}

std::string MarkPrefix(const yaml::Mark& mark) {
  std::string prefix = yaml::ToString(mark);
  if (!prefix.empty()) prefix += ": ";
  return prefix;
}

absl::Status InterpolateNode(yaml::Node& node, const Lookup& lookup, std::string& path,
                             std::vector<UnsetVariable>* unset) {
  switch (node.kind) {
    case yaml::Node::Kind::kNull:
      return absl::OkStatus();
    case yaml::Node::Kind::kScalar: {
      absl::StatusOr<std::string> value = ExpandText(node.scalar, lookup, node.mark, unset);
      if (!value.ok()) {
        std::string where = path.empty() ? "" : absl::StrCat(path, ": ");
        return absl::InvalidArgumentError(
            absl::StrCat(MarkPrefix(node.mark), where, value.status().message()));
      }
      node.scalar = *std::move(value);
      return absl::OkStatus();
    }
    case yaml::Node::Kind::kSequence:
      for (size_t i = 0; i < node.items.size(); ++i) {
        size_t length = path.size();
        absl::StrAppend(&path, "[", i, "]");
        absl::Status status = InterpolateNode(node.items[i], lookup, path, unset);
        path.resize(length);
        if (!status.ok()) return status;
      }
      return absl::OkStatus();
    case yaml::Node::Kind::kMapping:
      for (yaml::Entry& entry : node.entries) {
        size_t length = path.size();
        absl::StrAppend(&path, path.empty() ? "" : ".", entry.key);
        absl::Status status = InterpolateNode(entry.value, lookup, path, unset);
        path.resize(length);
        if (!status.ok()) return status;
      }
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> Interpolate(absl::string_view text, const Lookup& lookup,
                                        const yaml::Mark& mark,
                                        std::vector<UnsetVariable>* unset) {
  absl::StatusOr<std::string> value = ExpandText(text, lookup, mark, unset);
  if (!value.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(MarkPrefix(mark), value.status().message()));
  }
  return value;
}

absl::Status InterpolateTree(yaml::Node& node, const Lookup& lookup,
                             std::vector<UnsetVariable>* unset) {
  std::string path;
  return InterpolateNode(node, lookup, path, unset);
}

}  // namespace pycontain::compose
