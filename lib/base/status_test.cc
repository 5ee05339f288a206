#include "lib/base/status.h"

#include <errno.h>

#include "gtest/gtest.h"

namespace pycontain {
namespace {

TEST(ErrnoError, NamesOperationObjectAndReason) {
  absl::Status status = ErrnoError(ENOENT, "pivot_root into", "/x/rootfs");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "pivot_root into /x/rootfs: No such file or directory");
}

TEST(ErrnoError, KeepsErrnoAsPayload) {
  absl::Status status = ErrnoError(EBUSY, "umount", "/mnt");
  ASSERT_TRUE(ErrnoOf(status).has_value());
  EXPECT_EQ(*ErrnoOf(status), EBUSY);
}

TEST(ErrnoError, KeepsStepAsPayload) {
  absl::Status status = Annotate(ErrnoError(EBUSY, "umount", "/mnt"), "container c1");
  ASSERT_TRUE(StepOf(status).has_value());
  EXPECT_EQ(*StepOf(status), "umount /mnt");
  EXPECT_FALSE(StepOf(absl::InternalError("x")).has_value());
}

TEST(ErrnoError, OmitsEmptyObject) {
  EXPECT_EQ(ErrnoError(EPERM, "unshare").message(),
            "unshare: Operation not permitted");
}

TEST(ErrnoError, ZeroErrnoIsStillAnError) {
  EXPECT_FALSE(ErrnoError(0, "read").ok());
}

TEST(ErrnoOf, AbsentWithoutPayload) {
  EXPECT_FALSE(ErrnoOf(absl::InvalidArgumentError("bad")).has_value());
  EXPECT_FALSE(ErrnoOf(absl::OkStatus()).has_value());
}

TEST(Annotate, PrefixesAndKeepsPayload) {
  absl::Status status = Annotate(ErrnoError(EACCES, "open", "/etc/x"), "container c1");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "container c1: open /etc/x: Permission denied");
  EXPECT_EQ(ErrnoOf(status), EACCES);
}

TEST(Annotate, LeavesOkAlone) { EXPECT_TRUE(Annotate(absl::OkStatus(), "x").ok()); }

TEST(ErrnoToStatusCode, CommonErrnos) {
  EXPECT_EQ(ErrnoToStatusCode(EPERM), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatusCode(EINVAL), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrnoToStatusCode(EEXIST), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrnoToStatusCode(ENOSYS), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(ErrnoToStatusCode(ENOMEM), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatusCode(12345), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace pycontain
