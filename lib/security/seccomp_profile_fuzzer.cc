// libFuzzer target for the seccomp profile loader: parse, resolve and
// compile arbitrary bytes as a profile. Built and run by
// scripts/fuzz-seccomp, outside Bazel.
#include <stddef.h>
#include <stdint.h>

#include "lib/base/log.h"
#include "lib/security/seccomp_filter.h"
#include "lib/security/seccomp_profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pycontain::security;
  static const bool quiet = [] {
    pycontain::SetLogThreshold(pycontain::LogLevel::kError);
    return true;
  }();
  (void)quiet;
  absl::StatusOr<SeccompProfileJson> profile =
      ParseSeccompProfile(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!profile.ok()) return 0;
  absl::StatusOr<SeccompPolicy> policy =
      ResolveSeccompProfile(*profile, {.capabilities = size, .kernel_version = 6018});
  if (!policy.ok()) return 0;
  // Compiling is bounded: libseccomp's cost grows with the rules, so very
  // large inputs only parse and resolve.
  if (policy->rules.size() > 64) return 0;
  (void)CompileSeccompPolicy(*policy, {});
  return 0;
}
