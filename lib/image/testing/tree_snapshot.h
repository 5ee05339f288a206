// Describes a directory tree for comparisons in tests: for each path, its
// type, mode, owner, link target, device number and content digest.
#ifndef PYCONTAIN_LIB_IMAGE_TESTING_TREE_SNAPSHOT_H_
#define PYCONTAIN_LIB_IMAGE_TESTING_TREE_SNAPSHOT_H_

#include <map>
#include <string>

namespace pycontain::image::testing {

// Path relative to the root -> "type mode uid:gid target-or-digest".
// Directory mtimes are left out: they change whenever an entry is added.
std::map<std::string, std::string> SnapshotTree(const std::string& root);

// Runs `command` with /bin/sh; returns its exit status and stores its
// standard output in `output` when given.
int RunShell(const std::string& command, std::string* output = nullptr);

// Returns a new directory under $TEST_TMPDIR.
std::string MakeTestDirectory(const std::string& prefix);

}  // namespace pycontain::image::testing

#endif  // PYCONTAIN_LIB_IMAGE_TESTING_TREE_SNAPSHOT_H_
