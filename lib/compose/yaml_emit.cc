// yaml::Emit: block-style YAML that libyaml reads back to the same tree.
#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/compose/yaml.h"

namespace pycontain::compose::yaml {
namespace {

// libyaml reads a simple key (`key: value`) only up to 1024 characters
// long; longer keys are written in the explicit form (`? key` / `: value`).
constexpr size_t kMaxSimpleKeyLength = 1000;

// Decodes the UTF-8 character at text[*pos] and advances *pos past it.
// Returns -1 for a byte that does not start a valid character (and skips
// that one byte).
int32_t DecodeUtf8(absl::string_view text, size_t* pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char first = byte(*pos);
  int length = first < 0x80 ? 1 : (first >> 5) == 0x6 ? 2 : (first >> 4) == 0xe ? 3
                                                        : (first >> 3) == 0x1e ? 4 : 0;
  if (length == 0 || *pos + length > text.size()) {
    ++*pos;
    return -1;
  }
  int32_t code = length == 1 ? first : first & (0x7f >> length);
  for (int i = 1; i < length; ++i) {
    unsigned char next = byte(*pos + i);
    if ((next & 0xc0) != 0x80) {
      ++*pos;
      return -1;
    }
    code = (code << 6) | (next & 0x3f);
  }
  *pos += length;
  return code;
}

// Whether `code` may appear unescaped in a plain or block scalar: YAML's
// printable set minus the characters that libyaml treats as line breaks
// (NEL, LS, PS) and the byte order mark.
bool IsSafePrintable(int32_t code) {
  if (code == '\t') return false;
  if (code >= 0x20 && code <= 0x7e) return true;
  if (code < 0xa0) return false;  // C0/C1 controls, DEL, NEL
  if (code == 0x2028 || code == 0x2029 || code == 0xfeff) return false;
  if (code >= 0xd800 && code <= 0xdfff) return false;
  if (code == 0xfffe || code == 0xffff) return false;
  return code <= 0x10ffff;
}

bool AllSafePrintable(absl::string_view text, bool allow_tab_and_newline) {
  size_t pos = 0;
  while (pos < text.size()) {
    int32_t code = DecodeUtf8(text, &pos);
    if (allow_tab_and_newline && (code == '\t' || code == '\n')) continue;
    if (!IsSafePrintable(code)) return false;
  }
  return true;
}

bool IsBoolText(absl::string_view text) {
  static constexpr absl::string_view kWords[] = {"y",  "yes",  "n",     "no", "true",
                                                 "false", "on", "off"};
  for (absl::string_view word : kWords) {
    if (absl::EqualsIgnoreCase(text, word)) return true;
  }
  return false;
}

bool IsNullText(absl::string_view text) {
  return text.empty() || text == "~" || absl::EqualsIgnoreCase(text, "null");
}

// Whether a YAML 1.1 or 1.2 reader may take `text` for a number: integers
// in any base (with `_` separators, and YAML 1.1's base-60 `1:30`), floats,
// `.inf` and `.nan`. Errs towards yes, because the cost is a pair of quotes.
bool IsNumberLike(absl::string_view text) {
  absl::string_view rest = text;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) rest.remove_prefix(1);
  if (rest.empty()) return false;
  std::string lower = absl::AsciiStrToLower(rest);
  if (lower == ".inf" || lower == ".nan") return true;
  if (absl::StartsWith(lower, "0x") || absl::StartsWith(lower, "0o") ||
      absl::StartsWith(lower, "0b")) {
    return lower.size() > 2 && std::all_of(lower.begin() + 2, lower.end(), [](char c) {
             return absl::ascii_isxdigit(c) || c == '_';
           });
  }
  bool digit = false;
  for (size_t i = 0; i < lower.size(); ++i) {
    char c = lower[i];
    if (absl::ascii_isdigit(c)) {
      digit = true;
    } else if (c == 'e' && digit && i + 1 < lower.size()) {
      // An exponent: the rest is an optionally signed integer.
      absl::string_view exponent = absl::string_view(lower).substr(i + 1);
      if (exponent[0] == '+' || exponent[0] == '-') exponent.remove_prefix(1);
      return !exponent.empty() && std::all_of(exponent.begin(), exponent.end(),
                                              [](char d) { return absl::ascii_isdigit(d); });
    } else if (c != '_' && c != '.' && c != ':') {
      return false;
    }
  }
  return digit;
}

// Whether `text`, written plain in block context, reads back as a string
// with the same text. Type resolution is checked separately.
bool IsPlainSafe(absl::string_view text) {
  if (text.empty()) return false;
  if (!AllSafePrintable(text, /*allow_tab_and_newline=*/false)) return false;
  if (text.front() == ' ' || text.back() == ' ') return false;

  // An indicator character cannot start a plain scalar, except `-`, `?` and
  // `:` followed by a non-space.
  char first = text[0];
  if (absl::string_view("-?:").find(first) != absl::string_view::npos) {
    if (text.size() == 1 || text[1] == ' ') return false;
  } else if (absl::string_view(",[]{}#&*!|>'\"%@`").find(first) != absl::string_view::npos) {
    return false;
  }
  if (absl::StartsWith(text, "---") || absl::StartsWith(text, "...")) return false;

  // `: ` starts a mapping value and ` #` a comment; a trailing `:` too.
  if (absl::StrContains(text, ": ") || absl::StrContains(text, " #")) return false;
  if (text.back() == ':') return false;
  return true;
}

std::string DoubleQuoted(absl::string_view text) {
  std::string out = "\"";
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    int32_t code = DecodeUtf8(text, &pos);
    switch (code) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\0': out += "\\0"; continue;
      case '\t': out += "\\t"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case 0x85: out += "\\N"; continue;
      case 0x2028: out += "\\L"; continue;
      case 0x2029: out += "\\P"; continue;
      default: break;
    }
    if (code == ' ' || IsSafePrintable(code)) {
      out.append(text.data() + start, pos - start);
    } else if (code < 0) {
      // NOTE: YAML text is Unicode, so a byte that is not UTF-8 is written
      // as the code point with that number and reads back as two bytes.
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(text[start]));
    } else if (code <= 0xff) {
      absl::StrAppendFormat(&out, "\\x%02x", code);
    } else {
      absl::StrAppendFormat(&out, "\\u%04x", code);
    }
  }
  out += '"';
  return out;
}

// Writes nodes in block style. `indent` is the column of a node's lines,
// and `after_prefix` means that the current line already holds "key:" or
// "-", so a scalar follows after a space and a collection on the next line.
class Writer {
 public:
  std::string Finish() { return std::move(out_); }

  void Value(const Node& node, int indent, bool after_prefix);
  void Mapping(const Node& node, int indent, bool first_inline);
  void Sequence(const Node& node, int indent, bool first_inline);

 private:
  void Scalar(const Node& node, int indent, bool after_prefix);
  void Key(const Entry& entry, int indent, bool inline_first);
  bool WriteLiteral(absl::string_view text, int indent);
  void Spaces(int count) { out_.append(static_cast<size_t>(count), ' '); }

  std::string out_;
};

// Whether a YAML 1.1 reader (PyYAML, docker-compose v1) may take `text`
// for a date or timestamp, such as 2001-12-14.
bool IsTimestampLike(absl::string_view text) {
  if (text.size() < 8) return false;
  for (int i = 0; i < 4; ++i) {
    if (!absl::ascii_isdigit(text[i])) return false;
  }
  return text[4] == '-' && absl::ascii_isdigit(text[5]);
}

std::string ScalarText(const Node& node) {
  const std::string& text = node.scalar;
  // Null-like text is quoted, and so are `=` and `<<`, which YAML 1.1
  // readers take for the value and merge keys. A string (quoted in its
  // source) that would read back as a bool, number or date is quoted too.
  bool special = IsNullText(text) || text == "=" || text == "<<";
  bool typed = IsBoolText(text) || IsNumberLike(text) || IsTimestampLike(text);
  if (!special && !(node.quoted && typed) && IsPlainSafe(text)) return text;
  return DoubleQuoted(text);
}

std::string KeyText(absl::string_view key) {
  if (key != "<<" && !IsNullText(key) && !IsBoolText(key) && IsPlainSafe(key)) {
    return std::string(key);
  }
  return DoubleQuoted(key);
}

bool Writer::WriteLiteral(absl::string_view text, int indent) {
  if (!absl::StrContains(text, '\n')) return false;
  if (!AllSafePrintable(text, /*allow_tab_and_newline=*/true)) return false;
  if (text[0] == ' ' || text[0] == '\t' || text[0] == '\n') return false;

  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  // A final newline yields an empty last piece; the chomping indicator
  // restores the trailing newlines.
  size_t trailing = 0;
  while (!lines.empty() && lines.back().empty()) {
    lines.pop_back();
    ++trailing;
  }
  for (absl::string_view line : lines) {
    // libyaml takes a line of only spaces (or tabs) for an empty line or for
    // more indentation, so such lines are not written literally.
    if (!line.empty() && line.find_first_not_of(" \t") == absl::string_view::npos) return false;
  }

  // `trailing` counts the final newlines: none is "|-", one is "|" and
  // more are kept with "|+".
  if (trailing == 0) {
    out_ += "|-\n";
  } else if (trailing == 1) {
    out_ += "|\n";
  } else {
    out_ += "|+\n";
  }
  indent = std::max(indent, 2);
  for (absl::string_view line : lines) {
    if (!line.empty()) {
      Spaces(indent);
      out_.append(line.data(), line.size());
    }
    out_ += '\n';
  }
  for (size_t i = 1; i < trailing; ++i) out_ += '\n';
  return true;
}

void Writer::Scalar(const Node& node, int indent, bool after_prefix) {
  if (after_prefix) out_ += ' ';
  if (node.IsNull()) {
    out_ += "null\n";
    return;
  }
  if (WriteLiteral(node.scalar, indent)) return;
  out_ += ScalarText(node);
  out_ += '\n';
}

void Writer::Value(const Node& node, int indent, bool after_prefix) {
  switch (node.kind) {
    case Node::Kind::kNull:
    case Node::Kind::kScalar:
      Scalar(node, indent, after_prefix);
      return;
    case Node::Kind::kSequence:
      if (node.items.empty()) {
        out_ += after_prefix ? " []\n" : "[]\n";
        return;
      }
      if (after_prefix) out_ += '\n';
      Sequence(node, indent, /*first_inline=*/false);
      return;
    case Node::Kind::kMapping:
      if (node.entries.empty()) {
        out_ += after_prefix ? " {}\n" : "{}\n";
        return;
      }
      if (after_prefix) out_ += '\n';
      Mapping(node, indent, /*first_inline=*/false);
      return;
  }
}

void Writer::Key(const Entry& entry, int indent, bool inline_first) {
  if (!inline_first) Spaces(indent);
  std::string key = KeyText(entry.key);
  if (key.size() <= kMaxSimpleKeyLength) {
    out_ += key;
    out_ += ':';
    return;
  }
  out_ += "? ";
  out_ += key;
  out_ += '\n';
  Spaces(indent);
  out_ += ':';
}

void Writer::Mapping(const Node& node, int indent, bool first_inline) {
  bool inline_next = first_inline;
  for (const Entry& entry : node.entries) {
    Key(entry, indent, inline_next);
    inline_next = false;
    Value(entry.value, indent + 2, /*after_prefix=*/true);
  }
}

void Writer::Sequence(const Node& node, int indent, bool first_inline) {
  bool inline_next = first_inline;
  for (const Node& item : node.items) {
    if (!inline_next) Spaces(indent);
    inline_next = false;
    out_ += '-';

    // A non-empty mapping or list starts on the dash's line, like
    // `docker compose config` writes `- key: value`.
    bool nested = (item.IsMapping() && !item.entries.empty()) ||
                  (item.IsSequence() && !item.items.empty());
    if (nested) {
      out_ += ' ';
      if (item.IsMapping()) {
        Mapping(item, indent + 2, /*first_inline=*/true);
      } else {
        Sequence(item, indent + 2, /*first_inline=*/true);
      }
      continue;
    }
    Value(item, indent + 2, /*after_prefix=*/true);
  }
}

}  // namespace

std::string Emit(const Node& node) {
  Writer writer;
  writer.Value(node, 0, /*after_prefix=*/false);
  return writer.Finish();
}

}  // namespace pycontain::compose::yaml
