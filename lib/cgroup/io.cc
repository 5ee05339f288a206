// The io controller ("blkio" on v1): weight and per-device throttles.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/cgroup/controllers.h"

namespace pycontain::cgroup {
namespace {

// The throttle keys of v2's io.max, and v1's file for each.
struct ThrottleKind {
  const char* key;
  const char* v1_file;
  const char* field;
  const std::vector<DeviceRate> IoThrottles::*rates;
};
constexpr ThrottleKind kThrottleKinds[] = {
    {"rbps", "blkio.throttle.read_bps_device", "device_read_bps", &IoThrottles::read_bps},
    {"wbps", "blkio.throttle.write_bps_device", "device_write_bps", &IoThrottles::write_bps},
    {"riops", "blkio.throttle.read_iops_device", "device_read_iops", &IoThrottles::read_iops},
    {"wiops", "blkio.throttle.write_iops_device", "device_write_iops",
     &IoThrottles::write_iops},
};

// The weight file: BFQ's where the scheduler offers one, else the
// controller's own (CFQ on old v1 kernels, iocost on v2).
const char* WeightFile(const CgroupDir& dir, Version version) {
  if (version == Version::kV1) {
    return dir.Has("blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
  }
  return dir.Has("io.bfq.weight") ? "io.bfq.weight" : "io.weight";
}

absl::Status WriteThrottles(const CgroupDir& dir, Version version,
                            const IoThrottles& throttles) {
  for (const ThrottleKind& kind : kThrottleKinds) {
    for (const DeviceRate& rate : throttles.*kind.rates) {
      absl::Status status =
          version == Version::kV1
              ? dir.Write(kind.v1_file, absl::StrCat(rate.device, " ", rate.rate))
              : dir.Write("io.max", absl::StrCat(rate.device, " ", kind.key, "=", rate.rate));
      if (!status.ok()) return FieldStatus(status, kind.field);
    }
  }
  return absl::OkStatus();
}

void ReadV1Throttles(const CgroupDir& dir, spec::EnforcementReceipt* receipt) {
  for (const ThrottleKind& kind : kThrottleKinds) {
    absl::StatusOr<std::string> text = dir.Read(kind.v1_file);
    if (!text.ok()) continue;
    for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
      std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (words.size() != 2) continue;
      receipt->add_io_throttles(absl::StrCat(words[0], " ", kind.key, "=", words[1]));
    }
  }
}

// io.max lists "8:0 rbps=1048576 wbps=max riops=max wiops=max" per device;
// the receipt keeps the keys that limit something.
void ReadV2Throttles(const CgroupDir& dir, spec::EnforcementReceipt* receipt) {
  absl::StatusOr<std::string> text = dir.Read("io.max");
  if (!text.ok()) return;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    for (size_t i = 1; i < words.size(); ++i) {
      if (absl::EndsWith(words[i], "=max")) continue;
      receipt->add_io_throttles(absl::StrCat(words[0], " ", words[i]));
    }
  }
}

}  // namespace

uint32_t BlkioWeightToIoWeight(uint32_t weight) {
  return 1 + ((weight - 10) * 9999) / 990;
}

absl::Status ApplyIo(const ControllerDirs& dirs, const spec::Resources& r,
                     const IoThrottles& throttles) {
  if (dirs.io == nullptr) return absl::OkStatus();
  const CgroupDir& dir = *dirs.io;
  if (r.blkio_weight() != 0) {
    const char* file = WeightFile(dir, dirs.version);
    uint32_t weight = dirs.version == Version::kV1 ||
                              std::string_view(file) == "io.bfq.weight"
                          ? r.blkio_weight()
                          : BlkioWeightToIoWeight(r.blkio_weight());
    // Without a weight-capable IO scheduler the file is missing; the
    // receipt check reports the weight as not in force.
    if (dir.Has(file)) {
      std::string value = dirs.version == Version::kV1 ? absl::StrCat(weight)
                                                       : absl::StrCat("default ", weight);
      absl::Status status = dir.Write(file, value);
      if (!status.ok()) return FieldStatus(status, "blkio_weight");
    }
  }
  return WriteThrottles(dir, dirs.version, throttles);
}

void ReadIoReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt) {
  if (dirs.io == nullptr) return;
  const CgroupDir& dir = *dirs.io;
  const char* file = WeightFile(dir, dirs.version);
  absl::StatusOr<std::string> text = dir.Read(file);
  if (text.ok()) {
    // v1: "500"; v2: "default 100" then per-device lines.
    KeyedValues values = ParseKeyedValues(*text);
    int64_t weight = 0;
    if (values.count("default") > 0) {
      receipt->set_io_weight(static_cast<uint32_t>(values["default"]));
    } else if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &weight)) {
      receipt->set_io_weight(static_cast<uint32_t>(weight));
    }
  }
  if (dirs.version == Version::kV1) {
    ReadV1Throttles(dir, receipt);
  } else {
    ReadV2Throttles(dir, receipt);
  }
}

}  // namespace pycontain::cgroup
