#include "lib/image/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status.h"

namespace pycontain::image {

struct Sha256::State {
  EVP_MD_CTX* context = nullptr;

  State() : context(EVP_MD_CTX_new()) { Reset(); }
  ~State() { EVP_MD_CTX_free(context); }
  void Reset() { EVP_DigestInit_ex(context, EVP_sha256(), nullptr); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(const void* data, size_t size) {
  EVP_DigestUpdate(state_->context, data, size);
}

std::string Sha256::Finish() {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->context, hash, &length);
  state_->Reset();
  return absl::StrCat(
      kSha256Prefix,
      absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(hash), length)));
}

std::string DigestOf(absl::string_view data) {
  Sha256 hasher;
  hasher.Update(data);
  return hasher.Finish();
}

absl::StatusOr<std::string> DigestOfFd(int fd) {
  Sha256 hasher;
  std::string buffer(1 << 20, '\0');
  while (true) {
    ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read for digest");
    if (n == 0) break;
    hasher.Update(buffer.data(), static_cast<size_t>(n));
  }
  return hasher.Finish();
}

absl::Status ValidateDigest(absl::string_view digest) {
  size_t colon = digest.find(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid digest \"", digest, "\": expected sha256:<64 hex digits>"));
  }
  if (!absl::StartsWith(digest, kSha256Prefix)) {
    return absl::UnimplementedError(
        absl::StrCat("unsupported digest algorithm in \"", digest,
                     "\": only sha256 is supported"));
  }
  absl::string_view hex = digest.substr(kSha256Prefix.size());
  bool valid = hex.size() == 64;
  for (char c : hex) {
    valid = valid && (absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'));
  }
  if (!valid) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid digest \"", digest,
        "\": expected 64 lowercase hex digits after sha256:"));
  }
  return absl::OkStatus();
}

std::string DigestHex(absl::string_view digest) {
  return std::string(digest.substr(kSha256Prefix.size()));
}

}  // namespace pycontain::image
