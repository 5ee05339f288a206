#include "lib/image/squashfs_layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/log.h"
#include "lib/base/status.h"

extern "C" {
#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>
#include <sqfs/xattr_writer.h>
}

namespace pycontain::image {

namespace {

constexpr absl::string_view kWhiteoutPrefix = ".wh.";
constexpr absl::string_view kOpaqueWhiteout = ".wh..wh..opq";
constexpr size_t kBlockSize = SQFS_DEFAULT_BLOCK_SIZE;
constexpr sqfs_u32 kNoXattr = 0xFFFFFFFF;
// As Linux's path resolution (MAXSYMLINKS).
constexpr int kMaxSymlinks = 40;

// One inode of the image. A directory's children are kept sorted by name
// (std::string compares bytes as unsigned), the order squashfs requires.
// Hardlinks are several directory entries that share one Node.
struct Node {
  mode_t mode = 0;  // type and permission bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t mtime = 0;
  uint32_t devno = 0;  // Linux's new_encode_dev form
  std::string target;  // symlink target
  std::map<std::string, std::string> xattrs;
  std::map<std::string, std::shared_ptr<Node>> children;
  // Regular files: created and kept up to date by the block processor,
  // valid once it finished.
  sqfs_inode_generic_t* file_inode = nullptr;

  // Filled in when the tables are written.
  uint32_t number = 0;
  uint32_t links = 0;
  uint32_t parent_number = 0;
  sqfs_u64 reference = 0;
};

// Linux's new_encode_dev, which squashfs stores and the kernel decodes.
uint32_t EncodeDevice(uint32_t major, uint32_t minor) {
  return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

uint32_t ClampTime(int64_t seconds) {
  if (seconds < 0) return 0;
  if (seconds > 0xFFFFFFFFLL) return 0xFFFFFFFF;
  return static_cast<uint32_t>(seconds);
}

absl::Status SquashfsError(int code, absl::string_view operation) {
  std::string message = absl::StrCat("squashfs: ", operation, " failed (libsquashfs error ",
                                     code, ")");
  switch (code) {
    case SQFS_ERROR_ALLOC:
      return absl::ResourceExhaustedError(absl::StrCat(message, ": out of memory"));
    case SQFS_ERROR_IO:
      return ErrnoError(errno != 0 ? errno : EIO, absl::StrCat("squashfs: ", operation));
    default:
      return absl::InternalError(message);
  }
}

absl::Status Check(int code, absl::string_view operation) {
  if (code >= 0) return absl::OkStatus();
  return SquashfsError(code, operation);
}

std::pair<std::string, std::string> SplitParent(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return {"", std::string(path)};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
}

// A compressor for SquashfsCompressor::kNone. libsquashfs keeps a block
// uncompressed when do_block returns 0 ("the result would not be smaller"),
// so this one returns 0 for every data, fragment and metadata block.
struct StoringCompressor {
  sqfs_compressor_t base;
  sqfs_u32 block_size;
};

void GetStoringConfiguration(const sqfs_compressor_t* compressor,
                             sqfs_compressor_config_t* config) {
  const auto* self = reinterpret_cast<const StoringCompressor*>(compressor);
  sqfs_compressor_config_init(config, SQFS_COMP_GZIP, self->block_size, 0);
}

int WriteNoOptions(sqfs_compressor_t*, sqfs_file_t*) { return 0; }
int ReadNoOptions(sqfs_compressor_t*, sqfs_file_t*) { return 0; }

sqfs_s32 StoreBlock(sqfs_compressor_t*, const sqfs_u8*, sqfs_u32, sqfs_u8*, sqfs_u32) {
  return 0;
}

void DestroyStoringCompressor(sqfs_object_t* object) { free(object); }

sqfs_object_t* CopyStoringCompressor(const sqfs_object_t* object) {
  auto* copy = static_cast<StoringCompressor*>(malloc(sizeof(StoringCompressor)));
  if (copy != nullptr) memcpy(copy, object, sizeof(StoringCompressor));
  return reinterpret_cast<sqfs_object_t*>(copy);
}

sqfs_compressor_t* CreateStoringCompressor(sqfs_u32 block_size) {
  auto* self = static_cast<StoringCompressor*>(calloc(1, sizeof(StoringCompressor)));
  if (self == nullptr) return nullptr;
  self->base.base.destroy = DestroyStoringCompressor;
  self->base.base.copy = CopyStoringCompressor;
  self->base.get_configuration = GetStoringConfiguration;
  self->base.write_options = WriteNoOptions;
  self->base.read_options = ReadNoOptions;
  self->base.do_block = StoreBlock;
  self->block_size = block_size;
  return &self->base;
}

class SquashfsBuilder {
 public:
  SquashfsBuilder(struct archive* tar, const SquashfsOptions& options)
      : tar_(tar), options_(options) {}
  ~SquashfsBuilder();

  absl::StatusOr<ApplyStats> Run(const std::string& path);

 private:
  absl::Status Open(const std::string& path);
  absl::Status ReadEntries();
  absl::Status AddEntry(struct archive_entry* entry, const std::string& path);
  absl::Status AddWhiteout(const std::string& parent, const std::string& name);
  absl::Status AddHardlink(Node& parent, const std::string& name, const char* hardlink);
  absl::Status AddFileData(struct archive_entry* entry, std::shared_ptr<Node> node);
  absl::Status AppendFileData(struct archive_entry* entry);
  absl::Status AppendZeros(uint64_t count);
  absl::StatusOr<Node*> ResolveDirectory(absl::string_view path, bool create);
  std::shared_ptr<Node> NewDirectory() const;

  void Plan(Node& directory, absl::flat_hash_set<Node*>& seen);
  absl::Status WriteTables();
  absl::Status WriteOtherInode(Node& node);
  absl::Status WriteDirectory(Node& node);
  absl::StatusOr<sqfs_u32> XattrIndex(const Node& node);
  absl::Status SetBase(sqfs_inode_generic_t* inode, const Node& node);

  struct archive* tar_;
  SquashfsOptions options_;
  ApplyStats stats_;
  uint64_t hole_bytes_ = 0;
  uint32_t now_ = ClampTime(time(nullptr));

  std::shared_ptr<Node> root_;
  // Every regular file handed to the block processor: it writes through
  // the Node's file_inode pointer until it finishes, even for a file that a
  // later entry replaced.
  std::vector<std::shared_ptr<Node>> files_;
  // Write order: inodes of everything but directories, then directories
  // children first, so each listing can name the inodes it refers to.
  std::vector<Node*> others_;
  std::vector<Node*> directories_;

  sqfs_file_t* file_ = nullptr;
  sqfs_compressor_t* compressor_ = nullptr;
  sqfs_block_writer_t* block_writer_ = nullptr;
  sqfs_frag_table_t* fragments_ = nullptr;
  sqfs_block_processor_t* processor_ = nullptr;
  bool processor_finished_ = false;
  sqfs_id_table_t* ids_ = nullptr;
  sqfs_xattr_writer_t* xattrs_ = nullptr;
  sqfs_meta_writer_t* inode_writer_ = nullptr;
  sqfs_meta_writer_t* directory_writer_meta_ = nullptr;
  sqfs_dir_writer_t* directory_writer_ = nullptr;
  sqfs_super_t super_ = {};
};

SquashfsBuilder::~SquashfsBuilder() {
  // After an error: libsquashfs 1.2 frees the fragment block it is filling
  // in sqfs_block_processor_finish, not in sqfs_destroy. The image is
  // discarded, so what finish writes does not matter.
  if (processor_ != nullptr && !processor_finished_) {
    (void)sqfs_block_processor_finish(processor_);
  }
  // The processor first: its worker threads write into files_' inodes.
  if (processor_ != nullptr) sqfs_destroy(processor_);
  for (const std::shared_ptr<Node>& node : files_) {
    if (node->file_inode != nullptr) sqfs_free(node->file_inode);
  }
  for (void* object : {static_cast<void*>(directory_writer_),
                       static_cast<void*>(directory_writer_meta_),
                       static_cast<void*>(inode_writer_), static_cast<void*>(xattrs_),
                       static_cast<void*>(ids_), static_cast<void*>(fragments_),
                       static_cast<void*>(block_writer_), static_cast<void*>(compressor_),
                       static_cast<void*>(file_)}) {
    if (object != nullptr) sqfs_destroy(object);
  }
}

std::shared_ptr<Node> SquashfsBuilder::NewDirectory() const {
  auto node = std::make_shared<Node>();
  node->mode = S_IFDIR | 0755;
  node->mtime = now_;
  return node;
}

absl::Status SquashfsBuilder::Open(const std::string& path) {
  file_ = sqfs_open_file(path.c_str(), 0);
  if (file_ == nullptr) return ErrnoError(errno != 0 ? errno : EIO, "create", path);

  SQFS_COMPRESSOR id = SQFS_COMP_ZSTD;
  switch (options_.compressor) {
    case SquashfsCompressor::kZstd: id = SQFS_COMP_ZSTD; break;
    case SquashfsCompressor::kLz4: id = SQFS_COMP_LZ4; break;
    case SquashfsCompressor::kGzip: id = SQFS_COMP_GZIP; break;
    case SquashfsCompressor::kNone: id = SQFS_COMP_GZIP; break;
  }
  absl::Status status;
  if (options_.compressor == SquashfsCompressor::kNone) {
    compressor_ = CreateStoringCompressor(kBlockSize);
    if (compressor_ == nullptr) {
      return absl::ResourceExhaustedError("squashfs: out of memory creating the compressor");
    }
  } else {
    sqfs_compressor_config_t config;
    status = Check(sqfs_compressor_config_init(&config, id, kBlockSize, 0),
                   "configure the compressor");
    if (!status.ok()) return status;
    if (options_.level > 0 && id != SQFS_COMP_LZ4) config.level = options_.level;
    status = Check(sqfs_compressor_create(&config, &compressor_), "create the compressor");
    if (!status.ok()) return status;
  }

  status = Check(sqfs_super_init(&super_, kBlockSize, now_, id), "initialize the superblock");
  if (!status.ok()) return status;
  if (options_.compressor == SquashfsCompressor::kNone) {
    super_.flags |= SQFS_FLAG_UNCOMPRESSED_INODES | SQFS_FLAG_UNCOMPRESSED_DATA |
                    SQFS_FLAG_UNCOMPRESSED_FRAGMENTS | SQFS_FLAG_UNCOMPRESSED_XATTRS |
                    SQFS_FLAG_UNCOMPRESSED_IDS;
  }
  // A placeholder until the table locations are known.
  status = Check(sqfs_super_write(&super_, file_), "write the superblock");
  if (!status.ok()) return status;
  int written = compressor_->write_options(compressor_, file_);
  if (written < 0) return SquashfsError(written, "write the compressor options");
  if (written > 0) super_.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;

  block_writer_ = sqfs_block_writer_create(file_, SQFS_DEVBLK_SIZE, 0);
  fragments_ = sqfs_frag_table_create(0);
  ids_ = sqfs_id_table_create(0);
  xattrs_ = sqfs_xattr_writer_create(0);
  inode_writer_ = sqfs_meta_writer_create(file_, compressor_, 0);
  // Directory listings follow the inode table in the image but are made
  // at the same time, so they wait in memory.
  directory_writer_meta_ =
      sqfs_meta_writer_create(file_, compressor_, SQFS_META_WRITER_KEEP_IN_MEMORY);
  if (block_writer_ == nullptr || fragments_ == nullptr || ids_ == nullptr ||
      xattrs_ == nullptr || inode_writer_ == nullptr || directory_writer_meta_ == nullptr) {
    return absl::ResourceExhaustedError("squashfs: out of memory creating the writers");
  }
  directory_writer_ = sqfs_dir_writer_create(directory_writer_meta_, 0);
  // Without compression, worker threads would only pass blocks along:
  // one worker makes libsquashfs process them in this thread.
  unsigned workers = options_.compressor == SquashfsCompressor::kNone ? 1 : options_.workers;
  processor_ = sqfs_block_processor_create(kBlockSize, compressor_, workers, 10 * workers,
                                           block_writer_, fragments_);
  if (directory_writer_ == nullptr || processor_ == nullptr) {
    return absl::ResourceExhaustedError(
        "squashfs: out of memory creating the block processor");
  }
  root_ = NewDirectory();
  return absl::OkStatus();
}

absl::StatusOr<ApplyStats> SquashfsBuilder::Run(const std::string& path) {
  absl::Status status = Open(path);
  if (status.ok()) status = ReadEntries();
  if (status.ok()) status = WriteTables();
  if (!status.ok()) return status;
  return stats_;
}

absl::Status SquashfsBuilder::ReadEntries() {
  while (true) {
    struct archive_entry* entry = nullptr;
    int result = archive_read_next_header(tar_, &entry);
    if (result == ARCHIVE_EOF) return absl::OkStatus();
    if (result < ARCHIVE_WARN) {
      const char* text = archive_error_string(tar_);
      return absl::DataLossError(
          absl::StrCat("invalid tar header: ", text != nullptr ? text : "unknown error"));
    }

    const char* raw_name = archive_entry_pathname(entry);
    std::string name = raw_name != nullptr ? raw_name : "";
    absl::StatusOr<std::string> path = CleanEntryPath(name);
    absl::Status added = path.ok() ? AddEntry(entry, *path) : path.status();
    if (!added.ok()) return Annotate(added, absl::StrCat("layer entry \"", name, "\""));
    ++stats_.entries;
  }
}

// Walks `path` from the root. Symlinks met on the way are followed inside
// the tree: an absolute target starts again at the root and ".." stops at
// it, as openat2's RESOLVE_IN_ROOT does. With `create`, missing directories
// are made with mode 0755.
absl::StatusOr<Node*> SquashfsBuilder::ResolveDirectory(absl::string_view path,
                                                        bool create) {
  std::vector<Node*> stack = {root_.get()};
  std::deque<std::string> pending;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    pending.emplace_back(part);
  }
  int symlinks = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    Node* directory = stack.back();
    auto child = directory->children.find(part);
    if (child == directory->children.end()) {
      if (!create) return ErrnoError(ENOENT, "resolve", path);
      std::shared_ptr<Node> missing = NewDirectory();
      directory->children[part] = missing;
      stack.push_back(missing.get());
      continue;
    }
    Node* node = child->second.get();
    if (S_ISLNK(node->mode)) {
      if (++symlinks > kMaxSymlinks) return ErrnoError(ELOOP, "resolve", path);
      if (absl::StartsWith(node->target, "/")) stack.resize(1);
      std::vector<std::string> parts =
          absl::StrSplit(node->target, '/', absl::SkipEmpty());
      pending.insert(pending.begin(), parts.begin(), parts.end());
      continue;
    }
    if (!S_ISDIR(node->mode)) return ErrnoError(ENOTDIR, "resolve", path);
    stack.push_back(node);
  }
  return stack.back();
}

absl::Status SquashfsBuilder::AddEntry(struct archive_entry* entry, const std::string& path) {
  mode_t type = archive_entry_filetype(entry);
  auto node = std::make_shared<Node>();
  node->mode = type | (archive_entry_perm(entry) & 07777);
  node->uid = static_cast<uint32_t>(archive_entry_uid(entry));
  node->gid = static_cast<uint32_t>(archive_entry_gid(entry));
  node->mtime = ClampTime(archive_entry_mtime(entry));
  if (archive_entry_xattr_reset(entry) > 0) {
    const char* key = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
      node->xattrs[key] = std::string(static_cast<const char*>(value), size);
    }
  }

  if (path.empty()) {
    // The root itself ("./"): only its metadata applies.
    if (type != AE_IFDIR) return absl::InvalidArgumentError("the root entry is not a directory");
    node->children = std::move(root_->children);
    root_ = std::move(node);
    return absl::OkStatus();
  }
  auto [parent_path, name] = SplitParent(path);
  if (absl::StartsWith(name, kWhiteoutPrefix)) return AddWhiteout(parent_path, name);

  absl::StatusOr<Node*> parent = ResolveDirectory(parent_path, /*create=*/true);
  if (!parent.ok()) return parent.status();
  const char* hardlink = archive_entry_hardlink(entry);
  if (hardlink != nullptr) return AddHardlink(**parent, name, hardlink);

  switch (type) {
    case AE_IFREG: {
      (*parent)->children[name] = node;
      return AddFileData(entry, node);
    }
    case AE_IFDIR: {
      // Directories merge: the later entry's metadata, the children of both.
      auto existing = (*parent)->children.find(name);
      if (existing != (*parent)->children.end() && S_ISDIR(existing->second->mode)) {
        Node& directory = *existing->second;
        directory.mode = node->mode;
        directory.uid = node->uid;
        directory.gid = node->gid;
        directory.mtime = node->mtime;
        for (auto& [key, value] : node->xattrs) directory.xattrs[key] = value;
        return absl::OkStatus();
      }
      (*parent)->children[name] = node;
      return absl::OkStatus();
    }
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      // Only text: it is resolved inside the container's root when used.
      node->target = target != nullptr ? target : "";
      (*parent)->children[name] = node;
      return absl::OkStatus();
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
      node->devno = EncodeDevice(archive_entry_rdevmajor(entry),
                                 archive_entry_rdevminor(entry));
      (*parent)->children[name] = node;
      return absl::OkStatus();
    }
    default:
      // Sockets and unknown types, skipped as ApplyLayer does.
      Logf(LogLevel::kDebug, "", "layer: skipping %s of type %o", path, type);
      return absl::OkStatus();
  }
}

absl::Status SquashfsBuilder::AddWhiteout(const std::string& parent_path,
                                          const std::string& name) {
  bool opaque = name == kOpaqueWhiteout;
  std::string target = name.substr(kWhiteoutPrefix.size());
  if (!opaque && (target.empty() || target == "." || target == "..")) {
    return absl::InvalidArgumentError("invalid whiteout name");
  }
  absl::StatusOr<Node*> parent = ResolveDirectory(parent_path, /*create=*/true);
  // The parent is no longer a directory: a file of this layer replaced it,
  // which hides the lower children already (umoci writes such whiteouts).
  if (!parent.ok() && ErrnoOf(parent.status()) == ENOTDIR) return absl::OkStatus();
  if (!parent.ok()) return parent.status();

  if (opaque) {
    (*parent)->xattrs["trusted.overlay.opaque"] = "y";
    return absl::OkStatus();
  }
  auto whiteout = std::make_shared<Node>();
  whiteout->mode = S_IFCHR;
  whiteout->mtime = now_;
  whiteout->devno = EncodeDevice(0, 0);
  (*parent)->children[target] = whiteout;
  return absl::OkStatus();
}

absl::Status SquashfsBuilder::AddHardlink(Node& parent, const std::string& name,
                                          const char* hardlink) {
  absl::StatusOr<std::string> target = CleanEntryPath(hardlink);
  if (!target.ok() || target->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("hardlink target \"", hardlink, "\" is outside the layer's root"));
  }
  auto [target_parent_path, target_name] = SplitParent(*target);
  absl::StatusOr<Node*> target_parent =
      ResolveDirectory(target_parent_path, /*create=*/false);
  if (!target_parent.ok()) {
    return Annotate(target_parent.status(), absl::StrCat("hardlink target \"", hardlink, "\""));
  }
  auto found = (*target_parent)->children.find(target_name);
  if (found == (*target_parent)->children.end()) {
    return ErrnoError(ENOENT, "hardlink target", hardlink);
  }
  // A link to a symlink links the symlink itself, as linkat without flags.
  if (S_ISDIR(found->second->mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("hardlink target \"", hardlink, "\" is a directory"));
  }
  parent.children[name] = found->second;
  return absl::OkStatus();
}

absl::Status SquashfsBuilder::AppendZeros(uint64_t count) {
  static const char kZeros[64 << 10] = {};
  hole_bytes_ += count;
  if (hole_bytes_ > options_.max_hole_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "holes in sparse files exceed the limit of ", options_.max_hole_bytes, " bytes"));
  }
  while (count > 0) {
    size_t size = count < sizeof(kZeros) ? static_cast<size_t>(count) : sizeof(kZeros);
    absl::Status appended =
        Check(sqfs_block_processor_append(processor_, kZeros, size), "append file data");
    if (!appended.ok()) return appended;
    count -= size;
  }
  return absl::OkStatus();
}

absl::Status SquashfsBuilder::AddFileData(struct archive_entry* entry,
                                          std::shared_ptr<Node> node) {
  files_.push_back(node);
  absl::Status status = Check(
      sqfs_block_processor_begin_file(processor_, &node->file_inode, nullptr, 0), "begin file");
  if (!status.ok()) return status;
  status = AppendFileData(entry);
  if (!status.ok()) {
    // libsquashfs 1.2 frees a partly filled block only when the file ends,
    // not when the processor is destroyed. The image is discarded anyway.
    (void)sqfs_block_processor_end_file(processor_);
    return status;
  }
  return Check(sqfs_block_processor_end_file(processor_), "end file");
}

absl::Status SquashfsBuilder::AppendFileData(struct archive_entry* entry) {
  absl::Status status;

  // Data blocks come with their offsets; the gaps between them are holes,
  // which the block processor stores as sparse blocks.
  uint64_t written = 0;
  while (true) {
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int result = archive_read_data_block(tar_, &block, &size, &offset);
    if (result == ARCHIVE_EOF) break;
    if (result < ARCHIVE_WARN) {
      const char* text = archive_error_string(tar_);
      return absl::DataLossError(
          absl::StrCat("read file data: ", text != nullptr ? text : "unknown error"));
    }
    if (offset < 0 || static_cast<uint64_t>(offset) < written) {
      return absl::DataLossError("file data blocks out of order");
    }
    status = AppendZeros(static_cast<uint64_t>(offset) - written);
    if (!status.ok()) return status;
    status = Check(sqfs_block_processor_append(processor_, block, size), "append file data");
    if (!status.ok()) return status;
    written = static_cast<uint64_t>(offset) + size;
    stats_.file_bytes += size;
  }
  int64_t declared = archive_entry_size(entry);
  if (declared > 0 && static_cast<uint64_t>(declared) > written) {
    return AppendZeros(static_cast<uint64_t>(declared) - written);
  }
  return absl::OkStatus();
}

// Counts links and numbers the inodes in the order they are written.
void SquashfsBuilder::Plan(Node& directory, absl::flat_hash_set<Node*>& seen) {
  for (auto& [name, child] : directory.children) {
    ++child->links;
    if (S_ISDIR(child->mode)) {
      Plan(*child, seen);
    } else if (seen.insert(child.get()).second) {
      others_.push_back(child.get());
    }
  }
  directories_.push_back(&directory);
}

absl::StatusOr<sqfs_u32> SquashfsBuilder::XattrIndex(const Node& node) {
  if (node.xattrs.empty()) return kNoXattr;
  absl::Status status = Check(sqfs_xattr_writer_begin(xattrs_, 0), "begin xattrs");
  if (!status.ok()) return status;
  for (const auto& [key, value] : node.xattrs) {
    int added = sqfs_xattr_writer_add(xattrs_, key.c_str(), value.data(), value.size());
    if (added == SQFS_ERROR_UNSUPPORTED) {
      // squashfs stores only the user., trusted. and security. namespaces.
      ++stats_.skipped_xattrs;
      Logf(LogLevel::kDebug, "", "layer: skipped xattr %s: squashfs cannot store it", key);
      continue;
    }
    status = Check(added, absl::StrCat("add xattr ", key));
    if (!status.ok()) return status;
  }
  sqfs_u32 index = kNoXattr;
  status = Check(sqfs_xattr_writer_end(xattrs_, &index), "end xattrs");
  if (!status.ok()) return status;
  return index;
}

absl::Status SquashfsBuilder::SetBase(sqfs_inode_generic_t* inode, const Node& node) {
  sqfs_u16 uid_index = 0;
  sqfs_u16 gid_index = 0;
  absl::Status status = Check(sqfs_id_table_id_to_index(ids_, node.uid, &uid_index), "add uid");
  if (status.ok()) {
    status = Check(sqfs_id_table_id_to_index(ids_, node.gid, &gid_index), "add gid");
  }
  if (!status.ok()) return status;
  inode->base.mode = static_cast<sqfs_u16>(node.mode);
  inode->base.uid_idx = uid_index;
  inode->base.gid_idx = gid_index;
  inode->base.mod_time = node.mtime;
  inode->base.inode_number = node.number;
  return absl::OkStatus();
}

absl::Status SquashfsBuilder::WriteOtherInode(Node& node) {
  absl::StatusOr<sqfs_u32> xattr = XattrIndex(node);
  if (!xattr.ok()) return xattr.status();

  sqfs_inode_generic_t* inode = node.file_inode;
  std::unique_ptr<sqfs_inode_generic_t, void (*)(void*)> owned(nullptr, free);
  if (S_ISREG(node.mode)) {
    if (node.links > 1) {
      absl::Status status = Check(sqfs_inode_make_extended(inode), "extend file inode");
      if (!status.ok()) return status;
      inode->data.file_ext.nlink = node.links;
    }
  } else {
    size_t payload = S_ISLNK(node.mode) ? node.target.size() : 0;
    owned.reset(static_cast<sqfs_inode_generic_t*>(
        calloc(1, sizeof(sqfs_inode_generic_t) + payload)));
    if (owned == nullptr) return absl::ResourceExhaustedError("squashfs: out of memory");
    inode = owned.get();
    inode->payload_bytes_available = payload;
    inode->payload_bytes_used = payload;
    switch (node.mode & S_IFMT) {
      case S_IFLNK:
        inode->base.type = SQFS_INODE_SLINK;
        inode->data.slink.nlink = node.links;
        inode->data.slink.target_size = payload;
        memcpy(inode->extra, node.target.data(), payload);
        break;
      case S_IFCHR:
      case S_IFBLK:
        inode->base.type = S_ISCHR(node.mode) ? SQFS_INODE_CDEV : SQFS_INODE_BDEV;
        inode->data.dev.nlink = node.links;
        inode->data.dev.devno = node.devno;
        break;
      default:
        inode->base.type = SQFS_INODE_FIFO;
        inode->data.ipc.nlink = node.links;
        break;
    }
  }
  absl::Status status = SetBase(inode, node);
  if (!status.ok()) return status;
  if (*xattr != kNoXattr) {
    status = Check(sqfs_inode_set_xattr_index(inode, *xattr), "set xattr index");
    if (!status.ok()) return status;
  }

  sqfs_u64 block = 0;
  sqfs_u32 offset = 0;
  sqfs_meta_writer_get_position(inode_writer_, &block, &offset);
  node.reference = (block << 16) | offset;
  return Check(sqfs_meta_writer_write_inode(inode_writer_, inode), "write inode");
}

absl::Status SquashfsBuilder::WriteDirectory(Node& node) {
  absl::Status status = Check(sqfs_dir_writer_begin(directory_writer_, 0), "begin directory");
  if (!status.ok()) return status;
  uint32_t subdirectories = 0;
  for (const auto& [name, child] : node.children) {
    if (S_ISDIR(child->mode)) ++subdirectories;
    status = Check(sqfs_dir_writer_add_entry(directory_writer_, name.c_str(), child->number,
                                             child->reference, child->mode),
                   absl::StrCat("add directory entry ", name));
    if (!status.ok()) return status;
  }
  status = Check(sqfs_dir_writer_end(directory_writer_), "end directory");
  if (!status.ok()) return status;

  absl::StatusOr<sqfs_u32> xattr = XattrIndex(node);
  if (!xattr.ok()) return xattr.status();
  std::unique_ptr<sqfs_inode_generic_t, void (*)(void*)> inode(
      sqfs_dir_writer_create_inode(directory_writer_, 2 + subdirectories, *xattr,
                                   node.parent_number),
      sqfs_free);
  if (inode == nullptr) return absl::ResourceExhaustedError("squashfs: out of memory");
  status = SetBase(inode.get(), node);
  if (!status.ok()) return status;

  sqfs_u64 block = 0;
  sqfs_u32 offset = 0;
  sqfs_meta_writer_get_position(inode_writer_, &block, &offset);
  node.reference = (block << 16) | offset;
  return Check(sqfs_meta_writer_write_inode(inode_writer_, inode.get()), "write inode");
}

absl::Status SquashfsBuilder::WriteTables() {
  processor_finished_ = true;
  absl::Status status =
      Check(sqfs_block_processor_finish(processor_), "write the data blocks");
  if (!status.ok()) return status;

  absl::flat_hash_set<Node*> seen;
  Plan(*root_, seen);
  uint32_t number = 0;
  for (Node* node : others_) node->number = ++number;
  for (Node* node : directories_) node->number = ++number;
  for (Node* directory : directories_) {
    for (auto& [name, child] : directory->children) {
      if (S_ISDIR(child->mode)) child->parent_number = directory->number;
    }
  }
  // The root's ".." is outside the image; mksquashfs numbers it one past
  // the last inode.
  root_->parent_number = number + 1;

  super_.inode_table_start = file_->get_size(file_);
  for (Node* node : others_) {
    status = WriteOtherInode(*node);
    if (!status.ok()) return status;
  }
  for (Node* node : directories_) {
    status = WriteDirectory(*node);
    if (!status.ok()) return status;
  }
  status = Check(sqfs_meta_writer_flush(inode_writer_), "write the inode table");
  if (!status.ok()) return status;
  super_.directory_table_start = file_->get_size(file_);
  status = Check(sqfs_meta_writer_flush(directory_writer_meta_), "write the directory table");
  if (!status.ok()) return status;
  status = Check(sqfs_meta_write_write_to_file(directory_writer_meta_),
                 "write the directory table");
  if (!status.ok()) return status;

  super_.root_inode_ref = root_->reference;
  super_.inode_count = number;
  super_.flags &= ~SQFS_FLAG_EXPORTABLE;
  super_.export_table_start = 0xFFFFFFFFFFFFFFFFULL;
  status = Check(sqfs_frag_table_write(fragments_, file_, &super_, compressor_),
                 "write the fragment table");
  if (status.ok()) {
    status = Check(sqfs_id_table_write(ids_, file_, &super_, compressor_), "write the id table");
  }
  if (status.ok()) {
    status = Check(sqfs_xattr_writer_flush(xattrs_, file_, &super_, compressor_),
                   "write the xattr table");
  }
  if (!status.ok()) return status;

  // The image ends on a 4 KiB boundary, the block size loop devices use.
  super_.bytes_used = file_->get_size(file_);
  sqfs_u64 padding = (SQFS_DEVBLK_SIZE - super_.bytes_used % SQFS_DEVBLK_SIZE) % SQFS_DEVBLK_SIZE;
  if (padding > 0) {
    static const char kZeros[SQFS_DEVBLK_SIZE] = {};
    status = Check(file_->write_at(file_, super_.bytes_used, kZeros, padding),
                   "pad the image");
    if (!status.ok()) return status;
  }
  return Check(sqfs_super_write(&super_, file_), "write the superblock");
}

}  // namespace

absl::StatusOr<SquashfsCompressor> ParseSquashfsCompressor(absl::string_view name) {
  if (name == "zstd") return SquashfsCompressor::kZstd;
  if (name == "lz4") return SquashfsCompressor::kLz4;
  if (name == "gzip") return SquashfsCompressor::kGzip;
  if (name == "none") return SquashfsCompressor::kNone;
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid squashfs compressor \"", name, "\": expected zstd, lz4, gzip or none"));
}

absl::StatusOr<ApplyStats> WriteSquashfsLayer(struct archive* tar, const std::string& path,
                                              const SquashfsOptions& options) {
  SquashfsBuilder builder(tar, options);
  return builder.Run(path);
}

}  // namespace pycontain::image
