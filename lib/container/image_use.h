// Removing images that containers were made from.
//
//   absl::StatusOr<image::Store> store = image::Store::Open({});
//   absl::Status removed = RemoveImageUnlessUsed(*store, "busybox:latest");
//   // FailedPrecondition: "image busybox:latest (sha256:3f5e...) is used by
//   // container web (4c1d...): remove the container first"
//
// A managed container (managed.h) keeps only its writable layer; its image's
// layers stay in the store and are mounted at each start. Like `docker rmi`,
// RemoveImageUnlessUsed therefore refuses to delete an image that a managed
// container, running or stopped, was created from. Removing one of several
// names of such an image is allowed, because the image stays.
//
// SPEC: managed containers live under the default store root
// (ManagedContainersRoot), so the check looks there whatever the root of
// `store` is. Because an image id is a content digest, a container of the
// same image in the default store also keeps the image in another store.
//
// Thread safety: thread-safe; the check and the removal are two steps, so a
// container created from the image between them is not seen.
#ifndef PYCONTAIN_LIB_CONTAINER_IMAGE_USE_H_
#define PYCONTAIN_LIB_CONTAINER_IMAGE_USE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/image/store.h"

namespace pycontain::container {

// Returns the names (or short ids, for containers without a name) of the
// managed containers created from image `image_id` ("sha256:<hex>").
// Errors: those of ListContainers.
absl::StatusOr<std::vector<std::string>> ContainersUsingImage(absl::string_view image_id);

// Removes `reference` as image::Store::RemoveImage does, unless that would
// delete an image that a managed container uses (see above).
// Errors: FailedPrecondition naming the image and a container that uses
// it; those of Store::GetImage, ContainersUsingImage and RemoveImage.
absl::Status RemoveImageUnlessUsed(const image::Store& store, absl::string_view reference);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_IMAGE_USE_H_
