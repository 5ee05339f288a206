// `pycontain run`'s -v/--volume and --mount flags, turned into spec mounts
// with the meanings of `docker run`.
//
//   -v /host/path:/ctr/path[:OPTIONS]   bind mount, recursive (rbind)
//   -v NAME:/ctr/path[:OPTIONS]         named volume, created on first use
//   -v /ctr/path[:OPTIONS]              new anonymous volume
//   OPTIONS: comma-separated ro, rw, nocopy (volumes), and private,
//   rprivate, slave, rslave, shared, rshared (binds)
//
//   --mount type=bind,source=/a,target=/b,readonly,bind-propagation=rslave
//   --mount type=volume,source=data,target=/var/lib/x,volume-nocopy
//   --mount type=tmpfs,target=/scratch,tmpfs-size=16m,tmpfs-mode=1770
//
// --mount values are CSV: a field in double quotes may contain commas and
// colons ("source=/a,b"), and "" inside it is one quote.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_EXAMPLES_CLI_MOUNT_FLAGS_H_
#define PYCONTAIN_EXAMPLES_CLI_MOUNT_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/spec/container.pb.h"

namespace pycontain::cli {

// Parses the value of -v/--volume. Errors: InvalidArgument starting with
// "-v VALUE:" and naming the part that is wrong. Reads nothing on the host.
absl::StatusOr<spec::Mount> ParseVolumeFlag(absl::string_view value);

// Parses the value of --mount. Errors: InvalidArgument starting with
// "--mount VALUE:", for example for an unknown key or a key that does not
// apply to the type. Reads nothing on the host.
absl::StatusOr<spec::Mount> ParseMountFlag(absl::string_view value);

// Splits one CSV record into fields, as Go's encoding/csv (which Docker's
// --mount uses) reads one line. Errors: InvalidArgument for a quote that
// is not closed or text after a closing quote.
absl::StatusOr<std::vector<std::string>> SplitCsv(absl::string_view line);

// Checks that a bind mount's source exists on the host. Docker would
// create a missing source directory for -v, which hides typos, so it is an
// error here. Errors: InvalidArgument starting with `flag` and naming the
// path. OK for mounts other than binds.
absl::Status CheckBindSource(absl::string_view flag, const spec::Mount& mount);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_MOUNT_FLAGS_H_
