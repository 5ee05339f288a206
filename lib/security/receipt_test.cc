#include "lib/security/receipt.h"

#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::security {
namespace {

TEST(ReceiptTest, ParsesStatus) {
  spec::EnforcementReceipt receipt;
  ParseProcStatus(
      "Name:\tsh\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\n"
      "CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000400\n"
      "NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n",
      receipt);
  EXPECT_EQ(receipt.capabilities_inheritable(), 0u);
  EXPECT_EQ(receipt.capabilities_permitted(), 0xa80425fbu);
  EXPECT_EQ(receipt.capabilities_effective(), 0xa80425fbu);
  EXPECT_EQ(receipt.capabilities_bounding(), 0xa80425fbu);
  EXPECT_EQ(receipt.capabilities_ambient(), 0x400u);
  EXPECT_TRUE(receipt.no_new_privileges());
  EXPECT_EQ(receipt.seccomp_mode(), 2);
  EXPECT_EQ(receipt.seccomp_filters(), 1);
}

TEST(ReceiptTest, ReadonlyMountPoints) {
  std::vector<std::string> points = ReadonlyMountPoints(
      "22 1 0:21 / / rw,relatime - ext4 /dev/vda rw\n"
      "23 22 0:22 / /proc ro,nosuid - proc proc rw\n"
      "24 22 0:23 / /with\\040space rw,ro - tmpfs tmpfs rw\n"
      "25 22 0:24 / /rox rw - tmpfs tmpfs ro\n");
  EXPECT_EQ(points, (std::vector<std::string>{"/proc", "/with space"}));
}

TEST(ReceiptTest, ReadsOwnProcess) {
  spec::EnforcementReceipt receipt;
  ASSERT_TRUE(ReadSecurityReceipt(getpid(), receipt).ok());
  EXPECT_TRUE(receipt.security_read());
  EXPECT_FALSE(receipt.uid_map().empty());
}

}  // namespace
}  // namespace pycontain::security
