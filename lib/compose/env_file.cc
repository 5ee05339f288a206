#include "lib/compose/env_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"

namespace pycontain::compose {
namespace {

constexpr absl::string_view kUtf8ByteOrderMark = "\xef\xbb\xbf";

// Blanks separate tokens on a line; `\r` counts as one, so that files with
// CRLF line ends parse like the rest.
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

bool IsNameChar(char c) {
  return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-' || c == '[' || c == ']';
}

class EnvParser {
 public:
  EnvParser(absl::string_view text, absl::string_view file_name, const Lookup& lookup)
      : text_(text), file_(file_name), lookup_(lookup) {
    absl::ConsumePrefix(&text_, kUtf8ByteOrderMark);
  }

  absl::StatusOr<std::vector<EnvVar>> Run();

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void Advance();
  void SkipBlanks();
  void SkipToLineEnd();
  yaml::Mark Here() const { return yaml::Mark{file_, line_, column_}; }
  absl::Status Error(int line, absl::string_view what) const;

  absl::Status Statement();
  absl::StatusOr<std::string> Name(const yaml::Mark& mark);
  absl::StatusOr<std::string> QuotedValue(const std::string& name);
  absl::StatusOr<std::string> UnquotedValue(bool blank_before);
  std::optional<std::string> Resolve(absl::string_view name) const;
  void Define(std::string name, std::string value, yaml::Mark mark);

  absl::string_view text_;
  std::string file_;
  const Lookup& lookup_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  std::vector<EnvVar> vars_;
  absl::flat_hash_map<std::string, size_t> index_;
};

void EnvParser::Advance() {
  if (Peek() == '\n') {
    ++line_;
    column_ = 1;
  } else {
    ++column_;
  }
  ++pos_;
}

void EnvParser::SkipBlanks() {
  while (!AtEnd() && IsBlank(Peek())) Advance();
}

void EnvParser::SkipToLineEnd() {
  while (!AtEnd() && Peek() != '\n') Advance();
}

absl::Status EnvParser::Error(int line, absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(file_, ":", line, ": ", what));
}

std::optional<std::string> EnvParser::Resolve(absl::string_view name) const {
  if (lookup_) {
    if (std::optional<std::string> value = lookup_(name); value.has_value()) return value;
  }
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return vars_[it->second].value;
}

void EnvParser::Define(std::string name, std::string value, yaml::Mark mark) {
  auto [it, inserted] = index_.try_emplace(name, vars_.size());
  if (!inserted) {
    vars_[it->second].value = std::move(value);
    vars_[it->second].mark = std::move(mark);
    return;
  }
  vars_.push_back(EnvVar{std::move(name), std::move(value), std::move(mark)});
}

absl::StatusOr<std::vector<EnvVar>> EnvParser::Run() {
  while (true) {
    while (!AtEnd() && (IsBlank(Peek()) || Peek() == '\n')) Advance();
    if (AtEnd()) break;
    if (Peek() == '#') {
      SkipToLineEnd();
      continue;
    }
    if (absl::Status status = Statement(); !status.ok()) return status;
  }
  return std::move(vars_);
}

absl::StatusOr<std::string> EnvParser::Name(const yaml::Mark& mark) {
  size_t start = pos_;
  while (!AtEnd() && Peek() != '=' && Peek() != ':' && Peek() != '\n') Advance();
  absl::string_view raw = text_.substr(start, pos_ - start);
  while (!raw.empty() && IsBlank(raw.back())) raw.remove_suffix(1);

  if (raw.empty()) return Error(mark.line, "missing variable name before \"=\"");
  for (char c : raw) {
    if (IsBlank(c)) {
      return Error(mark.line, absl::StrCat("variable name \"", raw, "\" contains a space"));
    }
    if (!IsNameChar(c)) {
      return Error(mark.line,
                   absl::StrCat("invalid character '", std::string(1, c), "' in variable name \"",
                                raw, "\"; names contain letters, digits and _ . - [ ]"));
    }
  }
  return std::string(raw);
}

absl::Status EnvParser::Statement() {
  // `export NAME=value` as in a shell script.
  if (absl::StartsWith(text_.substr(pos_), "export") && pos_ + 6 < text_.size() &&
      (text_[pos_ + 6] == ' ' || text_[pos_ + 6] == '\t')) {
    for (int i = 0; i < 6; ++i) Advance();
    SkipBlanks();
  }

  yaml::Mark mark = Here();
  absl::StatusOr<std::string> name = Name(mark);
  if (!name.ok()) return name.status();

  // A name alone takes its value from the lookup, and is left out when the
  // lookup does not have it.
  if (AtEnd() || Peek() == '\n') {
    if (lookup_) {
      if (std::optional<std::string> value = lookup_(*name); value.has_value()) {
        Define(*std::move(name), *std::move(value), mark);
      }
    }
    return absl::OkStatus();
  }

  Advance();  // past `=` or `:`
  size_t value_start = pos_;
  SkipBlanks();
  bool blank_before = pos_ != value_start;

  absl::StatusOr<std::string> value;
  if (!AtEnd() && (Peek() == '"' || Peek() == '\'')) {
    value = QuotedValue(*name);
  } else {
    value = UnquotedValue(blank_before);
  }
  if (!value.ok()) return value.status();
  Define(*std::move(name), *std::move(value), mark);
  return absl::OkStatus();
}

absl::StatusOr<std::string> EnvParser::UnquotedValue(bool blank_before) {
  yaml::Mark value_mark = Here();
  size_t start = pos_;
  SkipToLineEnd();
  absl::string_view raw = text_.substr(start, pos_ - start);

  // `#` starts a comment only after whitespace, so `a#b` is a value.
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '#') continue;
    bool after_blank = i == 0 ? blank_before : IsBlank(raw[i - 1]);
    if (after_blank) {
      raw = raw.substr(0, i);
      break;
    }
  }
  while (!raw.empty() && IsBlank(raw.back())) raw.remove_suffix(1);
  return Interpolate(raw, [this](absl::string_view name) { return Resolve(name); }, value_mark);
}

absl::StatusOr<std::string> EnvParser::QuotedValue(const std::string& name) {
  const char quote = Peek();
  const bool double_quoted = quote == '"';
  const int start_line = line_;
  Advance();
  yaml::Mark value_mark = Here();

  // For a double-quoted value, `raw` is interpolation input, so a literal
  // `$` from `\$` is written `$$`.
  std::string raw;
  while (true) {
    if (AtEnd()) {
      return Error(start_line, absl::StrCat("unterminated ", double_quoted ? "double" : "single",
                                            "-quoted value of ", name, "; add the closing ",
                                            std::string(1, quote)));
    }
    char c = Peek();
    Advance();
    if (c == quote) break;
    if (c != '\\' || AtEnd()) {
      raw.push_back(c);
      continue;
    }

    char escaped = Peek();
    Advance();
    if (escaped == quote) {
      raw.push_back(quote);
      continue;
    }
    if (!double_quoted) {
      raw.push_back('\\');
      raw.push_back(escaped);
      continue;
    }
    switch (escaped) {
      case 'n': raw.push_back('\n'); break;
      case 'r': raw.push_back('\r'); break;
      case 't': raw.push_back('\t'); break;
      case 'a': raw.push_back('\a'); break;
      case 'b': raw.push_back('\b'); break;
      case 'f': raw.push_back('\f'); break;
      case 'v': raw.push_back('\v'); break;
      case '\\': raw.push_back('\\'); break;
      case '$': raw += "$$"; break;
      default:
        // Other backslashes stay, as docker compose keeps them.
        raw.push_back('\\');
        raw.push_back(escaped);
        break;
    }
  }

  // Only blanks and a comment may follow the closing quote.
  SkipBlanks();
  if (!AtEnd() && Peek() != '\n') {
    if (Peek() != '#') {
      return Error(line_, absl::StrCat("unexpected text after the closing quote of ", name,
                                       "; quote the whole value"));
    }
    SkipToLineEnd();
  }

  if (!double_quoted) return raw;
  return Interpolate(raw, [this](absl::string_view var) { return Resolve(var); }, value_mark);
}

// The raw format, with the rules of Docker's `--env-file`: leading
// whitespace and `#` lines are skipped, a line splits at its first `=`, and
// the value is the rest of the line, byte for byte.
absl::StatusOr<std::vector<EnvVar>> ParseRawEnvFile(absl::string_view text,
                                                    absl::string_view file_name,
                                                    const Lookup& lookup) {
  absl::ConsumePrefix(&text, kUtf8ByteOrderMark);
  std::vector<EnvVar> vars;
  absl::flat_hash_map<std::string, size_t> index;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::ConsumeSuffix(&line, "\r");
    size_t start = 0;
    while (start < line.size() && IsBlank(line[start])) ++start;
    line.remove_prefix(start);
    if (line.empty() || line[0] == '#') continue;

    size_t equals = line.find('=');
    absl::string_view name = line.substr(0, equals);
    std::string where = absl::StrCat(file_name, ":", line_number, ": ");
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, "missing variable name before \"=\""));
    }
    for (char c : name) {
      if (IsBlank(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "variable name \"", name, "\" contains whitespace"));
      }
    }

    std::optional<std::string> value;
    if (equals != absl::string_view::npos) {
      value = std::string(line.substr(equals + 1));
    } else if (lookup) {
      value = lookup(name);
    }
    if (!value.has_value()) continue;

    yaml::Mark mark{std::string(file_name), line_number, static_cast<int>(start) + 1};
    auto [it, inserted] = index.try_emplace(name, vars.size());
    if (inserted) {
      vars.push_back(EnvVar{std::string(name), *std::move(value), std::move(mark)});
    } else {
      vars[it->second].value = *std::move(value);
      vars[it->second].mark = std::move(mark);
    }
  }
  return vars;
}

}  // namespace

absl::StatusOr<std::vector<EnvVar>> ParseEnvFile(absl::string_view text,
                                                 absl::string_view file_name,
                                                 const Lookup& lookup, EnvFileFormat format) {
  switch (format) {
    case EnvFileFormat::kCompose:
      return EnvParser(text, file_name, lookup).Run();
    case EnvFileFormat::kRaw:
      return ParseRawEnvFile(text, file_name, lookup);
  }
  return absl::InvalidArgumentError("unknown env file format");
}

absl::StatusOr<std::vector<EnvVar>> ReadEnvFile(const std::string& path, const Lookup& lookup,
                                                EnvFileFormat format) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "open env file", path);

  std::string text;
  char buffer[16384];
  while (true) {
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read env file", path);
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return ParseEnvFile(text, path, lookup, format);
}

}  // namespace pycontain::compose
