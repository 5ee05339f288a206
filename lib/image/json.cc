#include "lib/image/json.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"

namespace pycontain::image {

absl::Status ParseJson(absl::string_view json, absl::string_view what,
                       google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message,
      options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid JSON in ", what, ": ", std::string(status.message())));
  }
  return absl::OkStatus();
}

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

std::string JsonStringArray(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const std::string& value : values) quoted.push_back(JsonQuote(value));
  return absl::StrCat("[", absl::StrJoin(quoted, ","), "]");
}

std::string JsonStringMap(const std::map<std::string, std::string>& values) {
  std::vector<std::string> members;
  for (const auto& [key, value] : values) {
    members.push_back(absl::StrCat(JsonQuote(key), ":", JsonQuote(value)));
  }
  return absl::StrCat("{", absl::StrJoin(members, ","), "}");
}

namespace {

std::string EmptyObjectMap(
    const google::protobuf::Map<std::string, format::Empty>& values) {
  std::map<std::string, int> sorted;
  for (const auto& [key, unused] : values) sorted[key] = 0;
  std::vector<std::string> members;
  for (const auto& [key, unused] : sorted) {
    members.push_back(absl::StrCat(JsonQuote(key), ":{}"));
  }
  return absl::StrCat("{", absl::StrJoin(members, ","), "}");
}

}  // namespace

std::string RunConfigJson(const format::RunConfig& config) {
  std::vector<std::string> members;
  if (!config.user().empty()) {
    members.push_back(absl::StrCat("\"User\":", JsonQuote(config.user())));
  }
  if (!config.exposed_ports().empty()) {
    members.push_back(absl::StrCat("\"ExposedPorts\":",
                                   EmptyObjectMap(config.exposed_ports())));
  }
  auto list = [&](const char* key, const auto& values) {
    if (values.empty()) return;
    members.push_back(absl::StrCat(
        "\"", key, "\":",
        JsonStringArray(std::vector<std::string>(values.begin(), values.end()))));
  };
  list("Env", config.env());
  list("Entrypoint", config.entrypoint());
  list("Cmd", config.cmd());
  if (!config.volumes().empty()) {
    members.push_back(
        absl::StrCat("\"Volumes\":", EmptyObjectMap(config.volumes())));
  }
  if (!config.working_dir().empty()) {
    members.push_back(
        absl::StrCat("\"WorkingDir\":", JsonQuote(config.working_dir())));
  }
  if (!config.labels().empty()) {
    std::map<std::string, std::string> labels(config.labels().begin(),
                                              config.labels().end());
    members.push_back(absl::StrCat("\"Labels\":", JsonStringMap(labels)));
  }
  if (!config.stop_signal().empty()) {
    members.push_back(
        absl::StrCat("\"StopSignal\":", JsonQuote(config.stop_signal())));
  }
  return absl::StrCat("{", absl::StrJoin(members, ","), "}");
}

std::string DescriptorJson(const format::Descriptor& descriptor) {
  std::string out = absl::StrFormat(
      "{\"mediaType\":%s,\"digest\":%s,\"size\":%d",
      JsonQuote(descriptor.media_type()), JsonQuote(descriptor.digest()),
      descriptor.size());
  if (!descriptor.annotations().empty()) {
    std::map<std::string, std::string> annotations(
        descriptor.annotations().begin(), descriptor.annotations().end());
    absl::StrAppend(&out, ",\"annotations\":", JsonStringMap(annotations));
  }
  if (descriptor.has_platform()) {
    absl::StrAppend(&out, ",\"platform\":{\"architecture\":",
                    JsonQuote(descriptor.platform().architecture()),
                    ",\"os\":", JsonQuote(descriptor.platform().os()), "}");
  }
  return out + "}";
}

std::string ManifestJson(const format::Descriptor& config,
                         const std::vector<format::Descriptor>& layers) {
  std::vector<std::string> layer_json;
  for (const format::Descriptor& layer : layers) {
    layer_json.push_back(DescriptorJson(layer));
  }
  return absl::StrCat(
      "{\"schemaVersion\":2,",
      "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",",
      "\"config\":", DescriptorJson(config), ",\"layers\":[",
      absl::StrJoin(layer_json, ","), "]}");
}

std::string ImageConfigJson(const format::ImageConfig& config) {
  std::vector<std::string> history;
  for (const format::History& entry : config.history()) {
    std::string item = absl::StrCat("{\"created\":", JsonQuote(entry.created()),
                                    ",\"created_by\":",
                                    JsonQuote(entry.created_by()));
    if (!entry.comment().empty()) {
      absl::StrAppend(&item, ",\"comment\":", JsonQuote(entry.comment()));
    }
    if (entry.empty_layer()) absl::StrAppend(&item, ",\"empty_layer\":true");
    history.push_back(item + "}");
  }
  std::vector<std::string> diff_ids(config.rootfs().diff_ids().begin(),
                                    config.rootfs().diff_ids().end());
  return absl::StrCat(
      "{\"created\":", JsonQuote(config.created()),
      ",\"architecture\":", JsonQuote(config.architecture()),
      ",\"os\":", JsonQuote(config.os()),
      ",\"config\":", RunConfigJson(config.config()),
      ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":",
      JsonStringArray(diff_ids), "},\"history\":[",
      absl::StrJoin(history, ","), "]}");
}

}  // namespace pycontain::image
