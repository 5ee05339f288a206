// Helpers for lib/compose tests: a scratch directory with Compose files, and
// lookups in a loaded model.
#ifndef PYCONTAIN_LIB_COMPOSE_TESTING_H_
#define PYCONTAIN_LIB_COMPOSE_TESTING_H_

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/compose/yaml.h"

namespace pycontain::compose::testing {

// A fresh directory under TEST_TMPDIR, named after the running test.
inline std::string ScratchDirectory() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const char* tmp = getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", info->test_suite_name(), ".",
                                 info->name());
  std::string command = absl::StrCat("rm -rf '", dir, "' && mkdir -p '", dir, "'");
  EXPECT_EQ(system(command.c_str()), 0) << command;
  return dir;
}

// Writes `text` to `dir`/`relative`, creating parent directories.
inline void WriteFile(const std::string& dir, const std::string& relative,
                      const std::string& text) {
  std::string path = absl::StrCat(dir, "/", relative);
  std::string parent = path.substr(0, path.rfind('/'));
  std::string command = absl::StrCat("mkdir -p '", parent, "'");
  ASSERT_EQ(system(command.c_str()), 0) << command;
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// The node at a dotted `path` in `root` ("services.web.image"); list items
// are numbers ("ports.0.target"). Returns nullptr when absent.
inline const yaml::Node* At(const yaml::Node& root, const std::string& path) {
  const yaml::Node* node = &root;
  for (const std::string& part : std::vector<std::string>(absl::StrSplit(path, '.'))) {
    if (node->IsSequence()) {
      size_t index = std::stoul(part);
      if (index >= node->items.size()) return nullptr;
      node = &node->items[index];
    } else {
      node = node->Find(part);
    }
    if (node == nullptr) return nullptr;
  }
  return node;
}

// The scalar at `path`, "<null>" for null, or "<missing>".
inline std::string ScalarAt(const yaml::Node& root, const std::string& path) {
  const yaml::Node* node = At(root, path);
  if (node == nullptr) return "<missing>";
  if (node->IsNull()) return "<null>";
  if (!node->IsScalar()) return "<not a scalar>";
  return node->scalar;
}

// The keys of the mapping at `path`, comma-separated.
inline std::string KeysAt(const yaml::Node& root, const std::string& path) {
  const yaml::Node* node = path.empty() ? &root : At(root, path);
  if (node == nullptr) return "<missing>";
  std::string keys;
  for (const yaml::Entry& entry : node->entries) {
    absl::StrAppend(&keys, keys.empty() ? "" : ",", entry.key);
  }
  return keys;
}

// The scalars of the list at `path`, comma-separated.
inline std::string ItemsAt(const yaml::Node& root, const std::string& path) {
  const yaml::Node* node = At(root, path);
  if (node == nullptr) return "<missing>";
  std::string items;
  for (const yaml::Node& item : node->items) {
    absl::StrAppend(&items, items.empty() ? "" : ",", item.scalar);
  }
  return items;
}

}  // namespace pycontain::compose::testing

#endif  // PYCONTAIN_LIB_COMPOSE_TESTING_H_
