#include "examples/cli/security_flags.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/security/rlimits.h"

namespace pycontain::cli {

const char kSecurityFlagsHelp[] = R"(Security options (the defaults are Docker's):
  --seccomp PROFILE     default: the built-in profile (the default);
                        unconfined: no seccomp filter; or a profile FILE in
                        the OCI linux.seccomp or Docker JSON format
  --seccomp-learn FILE  record every system call the command makes and write
                        an allow-list profile to FILE when it exits; the same
                        command then runs with --seccomp FILE
  --cap-add CAP         add a capability, as NET_ADMIN or ALL (repeatable)
  --cap-drop CAP        drop a capability, as CHOWN or ALL (repeatable)
  --ulimit TYPE=SOFT[:HARD]
                        set an rlimit, as nofile=1024:2048 (repeatable); a
                        hard limit above pycontain's own is an error
  --security-opt OPT    no-new-privileges[=true|false] (default true);
                        seccomp=PROFILE as --seccomp; seccomp-strict=true
                        makes unknown system call names in a profile an
                        error; systempaths=unconfined unmasks /proc and /sys
)";

namespace {

std::string ApplySeccomp(absl::string_view value, spec::Seccomp* seccomp) {
  if (value == "default") {
    seccomp->set_mode(spec::Seccomp::DEFAULT);
    return "";
  }
  if (value == "unconfined") {
    seccomp->set_mode(spec::Seccomp::UNCONFINED);
    return "";
  }
  std::ifstream file{std::string(value)};
  if (!file) return absl::StrCat("--seccomp: cannot read the profile \"", value, "\"");
  std::stringstream text;
  text << file.rdbuf();
  seccomp->set_mode(spec::Seccomp::PROFILE);
  seccomp->set_profile_json(text.str());
  return "";
}

// Parses Docker's "name", "name=value" and "name:value" forms.
std::pair<std::string, std::string> SplitOption(absl::string_view option) {
  size_t separator = option.find_first_of("=:");
  if (separator == absl::string_view::npos) return {std::string(option), ""};
  return {std::string(option.substr(0, separator)), std::string(option.substr(separator + 1))};
}

std::string ApplySecurityOpt(absl::string_view option, spec::Security* security) {
  auto [name, value] = SplitOption(option);
  if (name == "no-new-privileges") {
    if (value.empty() || value == "true") {
      security->set_no_new_privileges(true);
    } else if (value == "false") {
      security->set_no_new_privileges(false);
    } else {
      return absl::StrCat("--security-opt: no-new-privileges takes true or false, got \"",
                          value, "\"");
    }
    return "";
  }
  if (name == "seccomp") return ApplySeccomp(value, security->mutable_seccomp());
  if (name == "seccomp-strict" && (value.empty() || value == "true")) {
    security->mutable_seccomp()->set_strict(true);
    return "";
  }
  if (name == "systempaths" && value == "unconfined") {
    security->set_no_default_paths(true);
    return "";
  }
  return absl::StrCat("--security-opt: unknown option \"", option,
                      "\" (see --help for the supported ones)");
}

}  // namespace

bool IsSecurityFlag(absl::string_view flag) {
  return flag == "--seccomp" || flag == "--seccomp-learn" || flag == "--cap-add" ||
         flag == "--cap-drop" || flag == "--ulimit" || flag == "--security-opt";
}

std::string ApplySecurityFlag(absl::string_view flag, absl::string_view value,
                              spec::Security* security) {
  if (flag == "--seccomp") return ApplySeccomp(value, security->mutable_seccomp());
  if (flag == "--seccomp-learn") {
    security->mutable_seccomp()->set_mode(spec::Seccomp::LEARN);
    security->mutable_seccomp()->set_learn_output_path(std::string(value));
    return "";
  }
  if (flag == "--cap-add") {
    security->mutable_capabilities()->add_add(std::string(value));
    return "";
  }
  if (flag == "--cap-drop") {
    security->mutable_capabilities()->add_drop(std::string(value));
    return "";
  }
  if (flag == "--ulimit") {
    absl::StatusOr<spec::Rlimit> limit = security::ParseUlimit(value);
    if (!limit.ok()) return absl::StrCat("--ulimit: ", limit.status().message());
    *security->add_rlimits() = *limit;
    return "";
  }
  if (flag == "--security-opt") return ApplySecurityOpt(value, security);
  return absl::StrCat("unknown security option ", flag);
}

}  // namespace pycontain::cli
