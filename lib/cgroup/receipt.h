// The enforcement receipt check: which requested limits the kernel reports
// in force, and which values it changed.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_CGROUP_RECEIPT_H_
#define PYCONTAIN_LIB_CGROUP_RECEIPT_H_

#include <string>
#include <vector>

#include "lib/cgroup/controllers.h"
#include "lib/spec/container.pb.h"

namespace pycontain::cgroup {

// Compares `requested` with the values read back into `receipt` and
// returns one message per requested limit not in force, naming the field:
// "resources.blkio_weight: requested 500, but the kernel reports no IO
// weight". Values within one page of a requested size count as in force,
// because the kernel rounds sizes down to whole pages; each such change is
// appended to receipt->adjustments. `throttles` are the device throttles
// with their device numbers.
std::vector<std::string> CheckReceipt(const spec::Resources& requested,
                                      const IoThrottles& throttles,
                                      spec::EnforcementReceipt* receipt);

}  // namespace pycontain::cgroup

#endif  // PYCONTAIN_LIB_CGROUP_RECEIPT_H_
