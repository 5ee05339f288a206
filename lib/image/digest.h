// SHA-256 content digests in the OCI form "sha256:<64 lowercase hex digits>".
//
//   Sha256 hasher;
//   hasher.Update(data);
//   std::string digest = hasher.Finish();  // "sha256:9f86d0..."
//
// Only sha256 is accepted: it is what Docker and the OCI image specification
// use for every blob they write. Hashing uses OpenSSL's libcrypto.
//
// Thread safety: a Sha256 object is not thread-safe; the free functions are.
#ifndef PYCONTAIN_LIB_IMAGE_DIGEST_H_
#define PYCONTAIN_LIB_IMAGE_DIGEST_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pycontain::image {

inline constexpr absl::string_view kSha256Prefix = "sha256:";

// An incremental SHA-256 hasher.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(const void* data, size_t size);
  void Update(absl::string_view data) { Update(data.data(), data.size()); }

  // Returns the digest of everything passed to Update, as "sha256:<hex>",
  // and resets the hasher.
  std::string Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Returns the digest of `data`.
std::string DigestOf(absl::string_view data);

// Returns the digest of the rest of the file open at `fd`, read from its
// current offset. Errors: the errno of a failed read(2).
absl::StatusOr<std::string> DigestOfFd(int fd);

// Checks that `digest` is "sha256:" followed by 64 lowercase hex digits.
// Errors: InvalidArgument naming the digest; Unimplemented for another
// algorithm such as "sha512:".
absl::Status ValidateDigest(absl::string_view digest);

// Returns the hex part of a valid digest ("sha256:ab.." -> "ab..").
// Precondition: ValidateDigest(digest) is OK.
std::string DigestHex(absl::string_view digest);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_DIGEST_H_
