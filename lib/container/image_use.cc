#include "lib/container/image_use.h"

#include <algorithm>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/container/managed.h"

namespace pycontain::container {
namespace {

// Returns whether removing `reference` deletes `image` instead of one of
// its names. It does for an id or id prefix, and for the image's last name.
bool RemovalDeletesImage(const image::Image& image, absl::string_view reference) {
  const auto& names = image.record.names();
  std::string with_tag = std::string(reference);
  if (with_tag.find(':') == std::string::npos) absl::StrAppend(&with_tag, ":latest");
  bool is_name = std::find(names.begin(), names.end(), with_tag) != names.end();
  return !is_name || names.size() <= 1;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ContainersUsingImage(absl::string_view image_id) {
  ListOptions options;
  options.all = true;
  absl::StatusOr<std::vector<ManagedContainer>> containers = ListContainers(options);
  if (!containers.ok()) return containers.status();

  std::vector<std::string> users;
  for (const ManagedContainer& container : *containers) {
    if (container.config.image_id() != image_id) continue;
    users.push_back(container.name().empty() ? container.short_id() : container.name());
  }
  return users;
}

absl::Status RemoveImageUnlessUsed(const image::Store& store, absl::string_view reference) {
  absl::StatusOr<image::Image> found = store.GetImage(reference);
  if (!found.ok()) return found.status();

  if (RemovalDeletesImage(*found, reference)) {
    absl::StatusOr<std::vector<std::string>> users = ContainersUsingImage(found->record.id());
    if (!users.ok()) return users.status();
    if (!users->empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "image ", reference, " (", found->record.id().substr(0, 19), ") is used by container",
          users->size() == 1 ? " " : "s ", absl::StrJoin(*users, ", "),
          ": remove the container first"));
    }
  }
  return store.RemoveImage(reference);
}

}  // namespace pycontain::container
