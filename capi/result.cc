// Run result objects: accessors over a RunResult and its JSON.
#include <cstdint>

#include "capi/internal.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "lib/spec/load.h"

namespace pycontain::capi {
namespace {

int64_t Nanoseconds(const google::protobuf::Duration& duration) {
  return duration.seconds() * 1000000000 + duration.nanos();
}

// Accounting's fields belong to the cgroup layer and grow with it, so they
// are read by name: a build whose schema lacks one reports it as unset.
const google::protobuf::FieldDescriptor* AccountingField(const char* name) {
  return spec::Accounting::descriptor()->FindFieldByName(name);
}

}  // namespace

pycontain_run_result* NewRunResult(spec::RunResult proto) {
  auto* result = new pycontain_run_result;
  result->json = spec::ToJson(proto);
  result->proto = std::move(proto);
  return result;
}

}  // namespace pycontain::capi

extern "C" {

PYCONTAIN_API void pycontain_run_result_destroy(pycontain_run_result* result) {
  delete result;
}

PYCONTAIN_API int pycontain_run_result_exit_code(const pycontain_run_result* result) {
  if (result == nullptr || !result->proto.has_exit_code()) return -1;
  return result->proto.exit_code();
}

PYCONTAIN_API int pycontain_run_result_signal(const pycontain_run_result* result) {
  if (result == nullptr || !result->proto.has_signal()) return 0;
  return result->proto.signal();
}

PYCONTAIN_API int pycontain_run_result_timed_out(const pycontain_run_result* result) {
  return result != nullptr && result->proto.timed_out() ? 1 : 0;
}

PYCONTAIN_API int pycontain_run_result_oom_killed(const pycontain_run_result* result) {
  if (result == nullptr) return 0;
  const google::protobuf::FieldDescriptor* field =
      pycontain::capi::AccountingField("oom_killed");
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_BOOL) {
    return 0;
  }
  const pycontain::spec::Accounting& accounting = result->proto.accounting();
  return accounting.GetReflection()->GetBool(accounting, field) ? 1 : 0;
}

PYCONTAIN_API int64_t pycontain_run_result_wall_time_ns(
    const pycontain_run_result* result) {
  if (result == nullptr) return 0;
  return pycontain::capi::Nanoseconds(result->proto.wall_time());
}

PYCONTAIN_API int64_t pycontain_run_result_cpu_time_ns(
    const pycontain_run_result* result) {
  if (result == nullptr) return 0;
  return pycontain::capi::Nanoseconds(result->proto.user_cpu_time()) +
         pycontain::capi::Nanoseconds(result->proto.system_cpu_time());
}

PYCONTAIN_API int64_t pycontain_run_result_memory_peak_bytes(
    const pycontain_run_result* result) {
  if (result == nullptr) return -1;
  const google::protobuf::FieldDescriptor* field =
      pycontain::capi::AccountingField("memory_peak_bytes");
  const pycontain::spec::Accounting& accounting = result->proto.accounting();
  const google::protobuf::Reflection* reflection = accounting.GetReflection();
  if (field != nullptr && field->type() == google::protobuf::FieldDescriptor::TYPE_INT64 &&
      reflection->HasField(accounting, field)) {
    return reflection->GetInt64(accounting, field);
  }
  if (result->proto.max_rss_bytes() > 0) return result->proto.max_rss_bytes();
  return -1;
}

PYCONTAIN_API const char* pycontain_run_result_json(const pycontain_run_result* result) {
  return result == nullptr ? "{}" : result->json.c_str();
}

}  // extern "C"
