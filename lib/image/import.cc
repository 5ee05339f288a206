// ImportTarball, CommitDirectory and UnpackImage.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/status.h"
#include "lib/image/change.h"
#include "lib/image/digest.h"
#include "lib/image/fs_util.h"
#include "lib/image/image_io.h"
#include "lib/image/json.h"
#include "lib/image/layer_apply.h"
#include "lib/image/layer_stream.h"
#include "lib/image/load_internal.h"
#include "lib/image/reference.h"
#include "lib/image/tree_writer.h"

namespace pycontain::image {

namespace {

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::Now(), absl::UTCTimeZone());
}

// Stages the blob `fd` and unpacks it; returns its descriptor and diff id.
absl::StatusOr<std::pair<format::Descriptor, std::string>> AddLayerBlob(
    Transaction& transaction, int fd) {
  absl::StatusOr<Transaction::LayerBlobResult> added = transaction.AddLayerBlob(fd, "", "");
  if (!added.ok()) return added.status();
  absl::StatusOr<format::Descriptor> descriptor = internal::DescribeBlob(
      transaction, added->digest, LayerMediaType(added->layer.compression));
  if (!descriptor.ok()) return descriptor.status();
  return std::make_pair(*std::move(descriptor), added->layer.diff_id);
}

// Stages config and manifest, records the image and commits.
absl::StatusOr<std::string> FinishImage(Transaction& transaction,
                                        const std::string& config_json,
                                        const std::vector<format::Descriptor>& layers,
                                        const std::vector<std::string>& names) {
  absl::StatusOr<std::string> config = transaction.AddBlobData(config_json);
  if (!config.ok()) return config.status();
  absl::StatusOr<format::Descriptor> config_descriptor =
      internal::DescribeBlob(transaction, *config, internal::kOciConfigType);
  if (!config_descriptor.ok()) return config_descriptor.status();
  absl::StatusOr<std::string> manifest =
      transaction.AddBlobData(ManifestJson(*config_descriptor, layers));
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<std::string> id = transaction.AddImage(*manifest, names);
  if (!id.ok()) return id.status();
  absl::Status committed = transaction.Commit();
  if (!committed.ok()) return committed;
  return id;
}

// Appends `diff_id` and a history entry to a config, keeping every other
// member. protobuf's Struct holds any JSON object.
// NOTE: Struct keeps numbers as doubles, so integers above 2^53 in the base
// config would lose precision; image configs hold no such numbers in
// practice (Healthcheck durations are nanoseconds, below 2^53 for 104 days).
// With `changed` (the base's run config after the commit's changes), its
// members replace those that a change may set.
absl::StatusOr<std::string> ExtendConfig(const std::string& base_json,
                                         const std::string& diff_id,
                                         const CommitOptions& options,
                                         const format::RunConfig* changed) {
  google::protobuf::Struct config;
  absl::Status parsed = ParseJson(base_json, "base image config", &config);
  if (!parsed.ok()) return parsed;
  auto& fields = *config.mutable_fields();
  fields["created"].set_string_value(Now());
  if (changed != nullptr) {
    google::protobuf::Struct run;
    parsed = ParseJson(RunConfigJson(*changed), "changed image config", &run);
    if (!parsed.ok()) return parsed;
    auto& target = *fields["config"].mutable_struct_value()->mutable_fields();
    for (const char* key : {"User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes",
                            "WorkingDir", "Labels", "StopSignal"}) {
      auto found = run.fields().find(key);
      if (found != run.fields().end()) {
        target[key] = found->second;
      } else {
        target.erase(key);
      }
    }
  }

  auto& rootfs = *fields["rootfs"].mutable_struct_value()->mutable_fields();
  rootfs["type"].set_string_value("layers");
  rootfs["diff_ids"].mutable_list_value()->add_values()->set_string_value(diff_id);

  google::protobuf::Struct history;
  (*history.mutable_fields())["created"].set_string_value(Now());
  (*history.mutable_fields())["created_by"].set_string_value(
      options.created_by.empty() ? "pycontain commit" : options.created_by);
  if (!options.comment.empty()) {
    (*history.mutable_fields())["comment"].set_string_value(options.comment);
  }
  *fields["history"].mutable_list_value()->add_values()->mutable_struct_value() = history;

  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(config, &json);
  if (!status.ok()) return absl::InternalError(std::string(status.message()));
  return json;
}

// Checks every name before anything is written.
absl::Status ValidateNames(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    absl::Status valid = ValidateReference(name);
    if (!valid.ok()) return valid;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ImportTarball(const Store& store, absl::string_view path,
                                          const ImportOptions& options) {
  absl::Status names = ValidateNames(options.names);
  if (!names.ok()) return names;
  format::ImageConfig config;
  config.set_created(Now());
  config.set_architecture(HostArchitecture());
  config.set_os("linux");
  for (const std::string& word : options.cmd) config.mutable_config()->add_cmd(word);
  for (const std::string& variable : options.env) {
    config.mutable_config()->add_env(variable);
  }
  for (const std::string& volume : options.volumes) {
    (*config.mutable_config()->mutable_volumes())[volume];
  }
  absl::Status changed = ApplyChanges(options.changes, config.mutable_config());
  if (!changed.ok()) return changed;

  absl::StatusOr<UniqueFd> file = OpenAt(AT_FDCWD, path, O_RDONLY);
  if (!file.ok()) return file.status();
  absl::StatusOr<std::unique_ptr<Transaction>> transaction = store.Begin();
  if (!transaction.ok()) return transaction.status();
  auto layer = AddLayerBlob(**transaction, file->get());
  if (!layer.ok()) return Annotate(layer.status(), absl::StrCat("import ", path));

  config.mutable_rootfs()->set_type("layers");
  config.mutable_rootfs()->add_diff_ids(layer->second);
  format::History* history = config.add_history();
  history->set_created(config.created());
  history->set_created_by("pycontain image import");
  history->set_comment(options.comment);
  return FinishImage(**transaction, ImageConfigJson(config), {layer->first},
                     options.names);
}

absl::StatusOr<std::string> CommitDirectory(const Store& store,
                                            absl::string_view base_reference,
                                            absl::string_view upper_directory,
                                            const CommitOptions& options) {
  absl::Status names = ValidateNames(options.names);
  if (!names.ok()) return names;
  // Before Begin: GetImage takes the shared lock, which the transaction's
  // exclusive lock would block.
  absl::StatusOr<Image> base = store.GetImage(base_reference);
  if (!base.ok()) return base.status();
  format::RunConfig changed = base->config.config();
  absl::Status applied = ApplyChanges(options.changes, &changed);
  if (!applied.ok()) return applied;
  absl::StatusOr<std::unique_ptr<Transaction>> transaction = store.Begin();
  if (!transaction.ok()) return transaction.status();

  absl::StatusOr<UniqueFd> diff =
      OpenAt(AT_FDCWD, absl::StrCat(store.root(), "/tmp"), O_TMPFILE | O_RDWR, 0600);
  if (!diff.ok()) return diff.status();
  absl::Status written = WriteTree(upper_directory, diff->get(), TreeMode::kDiff);
  if (!written.ok()) return written;
  if (lseek(diff->get(), 0, SEEK_SET) != 0) return ErrnoError(errno, "seek diff");
  auto layer = AddLayerBlob(**transaction, diff->get());
  if (!layer.ok()) return Annotate(layer.status(), "commit");

  absl::StatusOr<std::string> config =
      ExtendConfig(base->config_json, layer->second, options,
                   options.changes.empty() ? nullptr : &changed);
  if (!config.ok()) return config.status();
  std::vector<format::Descriptor> layers(base->manifest.layers().begin(),
                                         base->manifest.layers().end());
  layers.push_back(layer->first);
  return FinishImage(**transaction, *config, layers, options.names);
}

absl::Status UnpackImage(const Store& store, absl::string_view reference,
                         absl::string_view directory) {
  absl::StatusOr<UniqueFd> lock = store.LockShared();
  if (!lock.ok()) return lock.status();
  absl::StatusOr<Image> image = store.GetImage(reference);
  if (!image.ok()) return image.status();
  absl::Status made = MakeDirectories(directory);
  if (!made.ok()) return made;
  absl::StatusOr<UniqueFd> root = OpenAt(AT_FDCWD, directory, O_PATH | O_DIRECTORY);
  if (!root.ok()) return root.status();

  for (const format::Descriptor& layer : image->manifest.layers()) {
    absl::StatusOr<UniqueFd> blob =
        OpenAt(AT_FDCWD, store.BlobPath(layer.digest()), O_RDONLY);
    if (!blob.ok()) return blob.status();
    absl::StatusOr<std::unique_ptr<LayerStream>> stream = LayerStream::Open(
        *std::move(blob), absl::StrCat("layer ", layer.digest()), {});
    if (!stream.ok()) return stream.status();
    absl::StatusOr<ApplyStats> applied =
        ApplyLayer((*stream)->tar(), root->get(), ApplyOptions{});
    if (!applied.ok()) return Annotate(applied.status(), layer.digest());
  }
  return absl::OkStatus();
}

}  // namespace pycontain::image
