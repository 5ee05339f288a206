// Conversions of Compose's short syntax to the long syntax, one value at a
// time: shell-style command strings, port specifications, volume
// specifications and relative paths.
//
//   absl::StatusOr<std::vector<std::string>> words = SplitCommand("sh -c 'echo hi'");
//   // {"sh", "-c", "echo hi"}
//   absl::StatusOr<std::vector<PortMapping>> ports = ParsePortSpec("127.0.0.1:8080:80/udp");
//
// Thread safety: the functions are thread-safe.
#ifndef PYCONTAIN_LIB_COMPOSE_CONVERT_H_
#define PYCONTAIN_LIB_COMPOSE_CONVERT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pycontain::compose {

// Splits `text` into words as a POSIX shell would, without expansions:
// blanks separate words, single quotes keep everything literal, double
// quotes keep everything but `\"`, `\\`, `\$` and `` \` ``, and a backslash
// outside quotes escapes the next character.
// Errors: InvalidArgument for an unterminated quote or a trailing backslash.
absl::StatusOr<std::vector<std::string>> SplitCommand(absl::string_view text);

// One published or exposed port in the long syntax. Empty strings are
// fields that were not given.
struct PortMapping {
  std::string host_ip;
  int target = 0;
  // A port or a range "8000-8005"; empty when the host port is chosen by
  // the runtime.
  std::string published;
  std::string protocol = "tcp";
};

// Parses the short port syntax [[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL],
// where HOST_IP may be an IPv6 address in brackets ("[::1]:8080:80") and
// PUBLISHED and TARGET may be ranges ("8000-8002:8000-8002"). A range on
// both sides expands to one mapping per port.
// Errors: InvalidArgument naming the spec for a port out of 1..65535,
// ranges of different lengths, an unknown protocol or unreadable text.
absl::StatusOr<std::vector<PortMapping>> ParsePortSpec(absl::string_view spec);

// A volume in the long syntax, read from the short syntax
// [SOURCE:]TARGET[:MODE].
struct VolumeMount {
  // "bind" when SOURCE is a path (starts with '/', '.' or '~'), else
  // "volume" (named, or anonymous without SOURCE).
  std::string type;
  std::string source;
  std::string target;
  bool read_only = false;
  // bind.propagation: shared, slave, private, rshared, rslave, rprivate.
  std::string propagation;
  // bind.selinux: z or Z.
  std::string selinux;
  // volume.nocopy.
  bool nocopy = false;
};

// Parses the short volume syntax. MODE is a comma-separated list of ro, rw,
// z, Z, nocopy, propagation modes and the ignored Docker Desktop hints
// consistent, cached and delegated.
// Errors: InvalidArgument for an empty or relative target, an unknown mode
// or more than three fields.
absl::StatusOr<VolumeMount> ParseVolumeSpec(absl::string_view spec);

// Makes `path` absolute: "~" and "~/..." start from `home`, a relative path
// starts from `base_dir`; the result is cleaned lexically ("a/./b/../c" is
// "a/c"), without following symbolic links.
std::string ResolvePath(absl::string_view path, absl::string_view base_dir,
                        absl::string_view home);

// Cleans an absolute or relative path lexically, as Go's filepath.Clean.
std::string CleanPath(absl::string_view path);

// The directory part of `path` ("/a/b/c.yaml" is "/a/b", "c.yaml" is ".").
std::string DirectoryOf(absl::string_view path);

}  // namespace pycontain::compose

#endif  // PYCONTAIN_LIB_COMPOSE_CONVERT_H_
