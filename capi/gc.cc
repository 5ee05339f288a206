// The C API's garbage collection over lib/container's CollectGarbage.
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "capi/internal.h"
#include "capi/waiter.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lib/container/gc.h"

namespace pycontain::capi {
namespace {

void AddList(google::protobuf::Struct& object, const char* name,
             const std::vector<std::string>& items) {
  google::protobuf::ListValue* list = (*object.mutable_fields())[name].mutable_list_value();
  for (const std::string& item : items) list->add_values()->set_string_value(item);
}

std::string ReportJson(const container::GcReport& report) {
  google::protobuf::Struct object;
  AddList(object, "containers", report.containers);
  AddList(object, "cgroups", report.cgroups);
  AddList(object, "mounts", report.mounts);
  AddList(object, "endpoints", report.endpoints);
  AddList(object, "links", report.links);
  AddList(object, "kept", report.kept);
  AddList(object, "errors", report.errors);
  AddList(object, "exited", report.exited);
  std::string json;
  // Printing a Struct that contains only lists of strings cannot fail.
  (void)google::protobuf::util::MessageToJsonString(object, &json);
  return json;
}

int CollectGarbage(const pycontain_gc_options* options, char** report_json,
                   pycontain_error** error) {
  pycontain_gc_options read;
  absl::Status status = ReadOptions(options, "pycontain_gc_options", &read);
  if (status.ok()) status = CheckFlags(read.flags, PYCONTAIN_GC_ORPHAN_MIN_AGE, "pycontain_gc_options");
  if (!status.ok()) return Fail(status, error);

  container::GcOptions gc;
  gc.state_root = StringOrEmpty(read.state_root);
  if (read.flags & PYCONTAIN_GC_ORPHAN_MIN_AGE) {
    gc.orphan_min_age = absl::Nanoseconds(read.orphan_min_age_ns);
  }
  absl::StatusOr<container::GcReport> report = container::CollectGarbage(gc);
  if (!report.ok()) return Fail(report.status(), error);
  if (report_json != nullptr) *report_json = NewString(ReportJson(*report));
  return PYCONTAIN_OK;
}

}  // namespace
}  // namespace pycontain::capi

extern "C" {

PYCONTAIN_API int pycontain_gc(const pycontain_gc_options* options, char** report_json,
                               pycontain_error** error) {
  return pycontain::capi::Guard(error, [&] {
    return pycontain::capi::CollectGarbage(options, report_json, error);
  });
}

}  // extern "C"
