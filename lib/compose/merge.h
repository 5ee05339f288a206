// The Compose Specification's merge rules, applied to normalized trees
// (long syntax, see normalize.h): several `-f` files, and a service over the
// service it `extends`.
//
//   MergeFiles(&base, std::move(override_file));
//   ResolveMergeTags(&base);
//
// Rules, for a key present in both trees:
//   - mappings merge recursively (environment, labels, depends_on,
//     networks, ulimits, extra_hosts, deploy, healthcheck, ...); a scalar
//     or null value in the override replaces the base value;
//   - command, entrypoint and healthcheck.test are replaced, not appended;
//   - ports merge by {host_ip, target, published, protocol}, volumes by
//     target, secrets and configs by target (else source): an entry with
//     the same key merges into the existing one, others are appended;
//   - dns, dns_search, dns_opt, cap_add, cap_drop, expose, tmpfs,
//     security_opt, profiles, links, external_links, volumes_from,
//     group_add, device_cgroup_rules and env_file append the values the
//     base lacks;
//   - other sequences are appended;
//   - a value tagged `!reset` removes the key, a value tagged `!override`
//     replaces the base value without merging.
//
// Thread safety: the functions are thread-safe.
#ifndef PYCONTAIN_LIB_COMPOSE_MERGE_H_
#define PYCONTAIN_LIB_COMPOSE_MERGE_H_

#include "lib/compose/yaml.h"

namespace pycontain::compose {

// Merges the normalized file tree `override` into `base`.
void MergeFiles(yaml::Node* base, yaml::Node override);

// Merges the normalized service `override` into the service `base`.
void MergeService(yaml::Node* base, const yaml::Node& override);

// Removes the entries whose value is tagged `!reset` and clears the
// `!override` tags left in `node` once every merge is done.
void ResolveMergeTags(yaml::Node* node);

}  // namespace pycontain::compose

#endif  // PYCONTAIN_LIB_COMPOSE_MERGE_H_
