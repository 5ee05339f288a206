// Normalization of one validated Compose file to the long syntax, before
// files are merged (the specification merges the expanded forms).
//
//   FileContext context{.base_dir = "/srv/app", .home = "/root"};
//   absl::Status status = NormalizeFile(&root, context);
//
// After NormalizeFile, in every service:
//   - command, entrypoint: lists (a string is split like a shell would);
//   - ports: lists of {mode, host_ip, target, published, protocol}, one per
//     port of a range; expose: strings;
//   - volumes: {type, source, target, read_only, bind/volume/tmpfs}, bind
//     sources absolute (relative ones from `base_dir`, "~" from `home`);
//   - environment, labels, annotations, sysctls, extra_hosts: mappings of
//     strings (environment `KEY` alone is null until the project resolves
//     it);
//   - depends_on: {service: {condition, required}}; networks: {name: null
//     or {aliases, ...}}; env_file: [{path (absolute), required, format}];
//     extends: {service, file (absolute)}; build: {context (absolute)};
//     dns, dns_search, tmpfs: lists; healthcheck.test: a list;
//   - booleans are true/false, integers and numbers canonical, byte sizes
//     a count of bytes ("16m" is "16777216"), durations Go-style ("90s" is
//     "1m30s").
// Top-level networks and volumes become mappings (never null); `external`
// becomes a boolean, with `external.name` moved to `name`.
//
// Values tagged `!reset` are left as written and `!override` values keep
// their tag, for the merge to act on.
//
// Thread safety: the functions are thread-safe.
#ifndef PYCONTAIN_LIB_COMPOSE_NORMALIZE_H_
#define PYCONTAIN_LIB_COMPOSE_NORMALIZE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/compose/yaml.h"

namespace pycontain::compose {

// The directories that the relative paths of one file resolve from.
struct FileContext {
  // Absolute directory for relative paths (build context, env_file, bind
  // sources, extends file, include paths).
  std::string base_dir;
  // The user's home directory, for "~".
  std::string home;
};

// Normalizes `root`, a file tree that passed ValidateFile, in place.
// Errors: InvalidArgument "FILE:LINE:COLUMN: PATH: what" for values the
// schema allows but that cannot be converted (an unreadable port or volume,
// an unterminated quote in a command).
absl::Status NormalizeFile(yaml::Node* root, const FileContext& context);

// Normalizes one service mapping in place; `path` is "services.NAME".
absl::Status NormalizeService(yaml::Node* service, absl::string_view path,
                              const FileContext& context);

// Reorders the entries of mapping `node`: the keys of `order` first, in that
// order, then the others sorted by name.
void ReorderKeys(yaml::Node* node, std::initializer_list<absl::string_view> order);

// Sets `key` of mapping `node` to `value`, with `key_mark` as the key's
// position, replacing an existing entry in place or appending one.
void SetEntry(yaml::Node* node, const std::string& key, const yaml::Mark& key_mark,
              yaml::Node value);

// A string scalar with `mark`, quoted so that it stays a string when emitted.
yaml::Node StringNode(std::string text, const yaml::Mark& mark);

// A scalar that is emitted as written (numbers, booleans).
yaml::Node PlainNode(std::string text, const yaml::Mark& mark);

}  // namespace pycontain::compose

#endif  // PYCONTAIN_LIB_COMPOSE_NORMALIZE_H_
