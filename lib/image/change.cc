#include "lib/image/change.h"

#include <stdint.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "lib/image/json.h"

namespace pycontain::image {

namespace {

// The words of `text`, split at unquoted spaces. Double quotes group words
// and are removed. A backslash keeps the next character as it is.
absl::StatusOr<std::vector<std::string>> SplitWords(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      word.push_back(text[++i]);
      in_word = true;
    } else if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && absl::ascii_isspace(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (quoted) return absl::InvalidArgumentError("unterminated double quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

// The strings of a JSON array such as ["sh", "-c", "x"]. Returns false
// when `text` is not one, which makes it a shell form, as in Docker.
bool ParseJsonArray(absl::string_view text, std::vector<std::string>* values) {
  if (!absl::StartsWith(text, "[")) return false;
  google::protobuf::ListValue list;
  if (!ParseJson(text, "change", &list).ok()) return false;
  std::vector<std::string> parsed;
  for (const google::protobuf::Value& value : list.values()) {
    if (value.kind_case() != google::protobuf::Value::kStringValue) return false;
    parsed.push_back(value.string_value());
  }
  *values = std::move(parsed);
  return true;
}

// Splits "KEY=value KEY2=value2" or the older "KEY value" form.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParsePairs(
    absl::string_view arguments) {
  absl::StatusOr<std::vector<std::string>> words = SplitWords(arguments);
  if (!words.ok()) return words.status();
  std::vector<std::pair<std::string, std::string>> pairs;
  if (words->empty()) return absl::InvalidArgumentError("missing KEY=value");
  if ((*words)[0].find('=') == std::string::npos) {
    std::vector<std::string> rest(words->begin() + 1, words->end());
    if (rest.empty()) return absl::InvalidArgumentError("missing value after the key");
    pairs.emplace_back((*words)[0], absl::StrJoin(rest, " "));
    return pairs;
  }
  for (const std::string& word : *words) {
    size_t equals = word.find('=');
    if (equals == std::string::npos || equals == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", word, "\" is not KEY=value"));
    }
    pairs.emplace_back(word.substr(0, equals), word.substr(equals + 1));
  }
  return pairs;
}

// Adds the ports of "80", "80/udp" or "8000-8002/tcp" to `config`.
absl::Status ExposePort(absl::string_view spec, format::RunConfig* config) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(spec, absl::MaxSplits('/', 1));
  absl::string_view protocol = parts.second.empty() ? "tcp" : parts.second;
  if (protocol != "tcp" && protocol != "udp" && protocol != "sctp") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid protocol \"", protocol, "\" (use tcp, udp or sctp)"));
  }
  std::pair<absl::string_view, absl::string_view> range =
      absl::StrSplit(parts.first, absl::MaxSplits('-', 1));
  uint32_t first = 0;
  uint32_t last = 0;
  bool valid = absl::SimpleAtoi(range.first, &first);
  if (range.second.empty()) {
    last = first;
  } else {
    valid = valid && absl::SimpleAtoi(range.second, &last);
  }
  if (!valid || first == 0 || last > 65535 || first > last) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid port \"", spec, "\" (use 1-65535, a range FIRST-LAST, "
                     "and an optional /tcp, /udp or /sctp)"));
  }
  for (uint32_t port = first; port <= last; ++port) {
    (*config->mutable_exposed_ports())[absl::StrCat(port, "/", protocol)];
  }
  return absl::OkStatus();
}

// Returns `path` joined to `base` unless absolute, with "." and ".."
// resolved and no trailing "/".
std::string JoinPath(absl::string_view base, absl::string_view path) {
  std::string joined = absl::StartsWith(path, "/") ? std::string(path)
                                                   : absl::StrCat(base, "/", path);
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(joined, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

void SetEnv(const std::string& name, const std::string& value, format::RunConfig* config) {
  std::string entry = absl::StrCat(name, "=", value);
  for (std::string& existing : *config->mutable_env()) {
    if (absl::StartsWith(existing, absl::StrCat(name, "="))) {
      existing = entry;
      return;
    }
  }
  config->add_env(entry);
}

// Returns `arguments` as a command: the JSON array, or the shell form.
std::vector<std::string> Command(absl::string_view arguments) {
  std::vector<std::string> command;
  if (ParseJsonArray(arguments, &command)) return command;
  return {"/bin/sh", "-c", std::string(arguments)};
}

absl::Status ApplyOne(absl::string_view keyword, absl::string_view arguments,
                      format::RunConfig* config) {
  if (keyword == "CMD") {
    std::vector<std::string> command = Command(arguments);
    config->mutable_cmd()->Assign(command.begin(), command.end());
    return absl::OkStatus();
  }
  if (keyword == "ENTRYPOINT") {
    std::vector<std::string> command = Command(arguments);
    config->mutable_entrypoint()->Assign(command.begin(), command.end());
    return absl::OkStatus();
  }
  if (keyword == "ENV" || keyword == "LABEL") {
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> pairs =
        ParsePairs(arguments);
    if (!pairs.ok()) return pairs.status();
    for (const auto& [key, value] : *pairs) {
      if (keyword == "ENV") {
        SetEnv(key, value, config);
      } else {
        (*config->mutable_labels())[key] = value;
      }
    }
    return absl::OkStatus();
  }
  if (keyword == "EXPOSE") {
    absl::StatusOr<std::vector<std::string>> ports = SplitWords(arguments);
    if (!ports.ok()) return ports.status();
    for (const std::string& port : *ports) {
      absl::Status exposed = ExposePort(port, config);
      if (!exposed.ok()) return exposed;
    }
    return absl::OkStatus();
  }
  if (keyword == "VOLUME") {
    std::vector<std::string> volumes;
    if (!ParseJsonArray(arguments, &volumes)) {
      absl::StatusOr<std::vector<std::string>> words = SplitWords(arguments);
      if (!words.ok()) return words.status();
      volumes = *std::move(words);
    }
    for (const std::string& volume : volumes) {
      if (!absl::StartsWith(volume, "/")) {
        return absl::InvalidArgumentError(
            absl::StrCat("volume \"", volume, "\" is not an absolute path"));
      }
      (*config->mutable_volumes())[volume];
    }
    return absl::OkStatus();
  }
  if (keyword == "USER" || keyword == "STOPSIGNAL" || keyword == "WORKDIR") {
    absl::StatusOr<std::vector<std::string>> words = SplitWords(arguments);
    if (!words.ok()) return words.status();
    if (words->size() != 1) return absl::InvalidArgumentError("expected one value");
    const std::string& value = words->front();
    if (keyword == "USER") config->set_user(value);
    if (keyword == "STOPSIGNAL") config->set_stop_signal(value);
    if (keyword == "WORKDIR") {
      config->set_working_dir(
          JoinPath(config->working_dir().empty() ? "/" : config->working_dir(), value));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported instruction ", keyword,
      " (use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR or STOPSIGNAL)"));
}

}  // namespace

absl::Status ApplyChanges(const std::vector<std::string>& instructions,
                          format::RunConfig* config) {
  format::RunConfig changed = *config;
  for (const std::string& instruction : instructions) {
    absl::string_view text = absl::StripAsciiWhitespace(instruction);
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(text, absl::MaxSplits(absl::ByAnyChar(" \t"), 1));
    std::string keyword = absl::AsciiStrToUpper(parts.first);
    absl::string_view arguments = absl::StripAsciiWhitespace(parts.second);
    absl::Status applied = ApplyOne(keyword, arguments, &changed);
    if (applied.ok() && arguments.empty()) {
      applied = absl::InvalidArgumentError(absl::StrCat(keyword, " needs an argument"));
    }
    if (!applied.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid change \"", instruction, "\": ", applied.message()));
    }
  }
  *config = std::move(changed);
  return absl::OkStatus();
}

}  // namespace pycontain::image
