// The content-addressed image store.
//
//   <root>/blobs/sha256/<hex>    blobs (manifests, configs, layers) by digest,
//                                each stored once
//   <root>/layers/<diff hex>/    each layer unpacked once, whiteouts as
//                                overlayfs whiteouts, ready as an overlay lower
//   <root>/layers/<diff hex>.squashfs
//                                or the layer as a squashfs image instead
//                                (the name records the format), and
//   <root>/layers/<diff hex>.mnt/
//                                where it is mounted read-only through a loop
//                                device, at its first use after each boot
//   <root>/images/<id hex>.json  one record per image (ImageRecord): its
//                                manifest and its name:tag references
//   <root>/tmp/                  staging for loads in progress
//   <root>/lock                  flock(2): shared for reads, exclusive for writes
//
//   absl::StatusOr<Store> store = Store::Open({});
//   absl::StatusOr<std::unique_ptr<Transaction>> load = store->Begin();
//   ... (*load)->AddBlob(...); (*load)->AddLayer(...); (*load)->AddImage(...);
//   absl::Status done = (*load)->Commit();
//
// Loads stage everything under tmp/ and move it into place in Commit, blobs
// and layers first and image records last, each with rename(2). An
// interrupted load therefore leaves no image visible. At worst it leaves
// complete blobs or layers that no image uses, which Prune removes. The
// next transaction removes leftover staging directories.
//
// Squashfs layer mounts belong to the store, not to a container: each is
// made once and shared by every container that uses the layer, stays
// while the machine runs (a loop device and a mount per layer in use), and
// goes when the layer's last image is removed (RemoveImage), when Prune
// removes the layer, or with UnmountLayers. A mount is therefore not a
// leak of the container that made it. After a reboot none is mounted, and
// LayerLower mounts again.
//
// Thread safety: a Store is immutable and may be shared; a Transaction is
// used by one thread. Processes coordinate through the lock file, so two
// processes can load into one store at the same time (one waits).
#ifndef PYCONTAIN_LIB_IMAGE_STORE_H_
#define PYCONTAIN_LIB_IMAGE_STORE_H_

#include <stdint.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "lib/image/formats.pb.h"
#include "lib/image/layer_stream.h"
#include "lib/image/squashfs_layer.h"

namespace pycontain::image {

// The store's root: $PYCONTAIN_ROOT when set; otherwise /var/lib/pycontain
// for root, and $XDG_DATA_HOME/pycontain (default ~/.local/share/pycontain)
// for other users.
std::string DefaultStoreRoot();

// The form in which the store keeps a layer it loads.
enum class LayerFormat {
  // Squashfs where this process can mount it (LoopMountsAvailable in
  // layer_mount.h: root with loop devices), directories elsewhere, such as
  // rootless. $PYCONTAIN_LAYER_FORMAT set to "directory" or "squashfs"
  // overrides it.
  kAuto,
  // Unpacked into a directory with ApplyLayer.
  kDirectory,
  // Converted into a squashfs image (squashfs_layer.h), mounted when used.
  kSquashfs,
};

struct StoreOptions {
  // Empty: DefaultStoreRoot().
  std::string root;
  // Limit on each layer's uncompressed size; 0: none.
  uint64_t max_layer_bytes = 0;
  // The format of layers loaded from now on; a store reads both.
  LayerFormat layer_format = LayerFormat::kAuto;
  // How new squashfs layers are compressed. $PYCONTAIN_SQUASHFS_COMPRESSOR
  // ("zstd", "lz4", "gzip" or "none") overrides it. Uncompressed by
  // default: on a 2-core VM a 217 MB Debian layer loaded in about 0.6 s
  // against about 1.0 s with zstd level 1, but took 210 MB of disk
  // instead of 83 MB (benchmarks/layer_side_by_side.py).
  SquashfsCompressor squashfs_compressor = SquashfsCompressor::kNone;
};

// An image in the store: its record, manifest and config.
struct Image {
  format::ImageRecord record;
  format::Manifest manifest;
  std::string config_json;
  format::ImageConfig config;
};

struct PruneStats {
  int blobs = 0;
  int layers = 0;
};

class Transaction;

class Store {
 public:
  // Creates the store's directories when missing. Errors: the errno of a
  // failed mkdir.
  static absl::StatusOr<Store> Open(const StoreOptions& options);

  const std::string& root() const { return root_; }
  const StoreOptions& options() const { return options_; }
  std::string BlobPath(absl::string_view digest) const;
  // The unpacked layer with this diff id (a directory).
  std::string LayerPath(absl::string_view diff_id) const;
  // The layer as a squashfs image, and the directory it is mounted on.
  std::string LayerImagePath(absl::string_view diff_id) const;
  std::string LayerMountPath(absl::string_view diff_id) const;
  // Whether the layer is stored, in either format.
  bool HasLayer(absl::string_view diff_id) const;
  // The format new layers get: options().layer_format with kAuto resolved.
  LayerFormat NewLayerFormat() const;
  // The options new squashfs layers are written with. Errors:
  // InvalidArgument for an invalid $PYCONTAIN_SQUASHFS_COMPRESSOR.
  absl::StatusOr<SquashfsOptions> NewSquashfsOptions() const;

  // Returns the directory that holds the layer's tree, for an overlay
  // lower: the unpacked directory, or the squashfs image's mount point,
  // mounted first if it is not (the first use after loading or after a
  // reboot). Holds the shared lock while it mounts, so Prune waits.
  // Errors: NotFound for a layer not in the store; those of
  // MountSquashfsImage.
  absl::StatusOr<std::string> LayerLower(absl::string_view diff_id) const;

  // Detaches every squashfs layer mount of this store, in this mount
  // namespace. For discarding a store, such as a test's; containers that
  // still use a layer keep it until they end.
  absl::Status UnmountLayers() const;

  // Reads a (small) blob. Errors: NotFound.
  absl::StatusOr<std::string> ReadBlob(absl::string_view digest) const;

  absl::StatusOr<std::vector<format::ImageRecord>> ListImages() const;

  // Finds an image by "name:tag" (":latest" when the tag is missing), by
  // its id "sha256:<hex>", or by a unique prefix of at least 4 hex digits of
  // the id. Errors: NotFound; InvalidArgument for an ambiguous prefix.
  absl::StatusOr<Image> GetImage(absl::string_view reference) const;

  // Removes a reference. For "name:tag", the name goes, and the image with
  // it when no name is left; for an id, the image with all its names.
  // Blobs and layers stay until Prune, but the mounts of squashfs layers
  // that no image uses any more are detached. Errors: NotFound.
  absl::Status RemoveImage(absl::string_view reference) const;

  // Removes blobs and layers that no image references (detaching their
  // mounts first), and any leftover staging directories.
  absl::StatusOr<PruneStats> Prune() const;

  // Takes the store's shared lock, which keeps Prune and transactions out
  // until the returned descriptor is closed. For readers of many files,
  // such as Save; the methods above lock by themselves.
  absl::StatusOr<UniqueFd> LockShared() const;

  // Starts a transaction; holds the store's exclusive lock until it ends.
  absl::StatusOr<std::unique_ptr<Transaction>> Begin() const;

 private:
  friend class Transaction;
  Store(std::string root, StoreOptions options)
      : root_(std::move(root)), options_(std::move(options)) {}

  absl::StatusOr<UniqueFd> Lock(int operation) const;
  absl::StatusOr<std::vector<format::ImageRecord>> ReadRecords() const;
  absl::StatusOr<Image> LoadImage(const format::ImageRecord& record) const;
  // The diff id that an image in the store gives the layer blob
  // `blob_digest`, or "" when no image lists it. The caller holds the lock.
  absl::StatusOr<std::string> RecordedDiffId(absl::string_view blob_digest) const;
  absl::Status WriteRecord(const format::ImageRecord& record) const;
  absl::Status DetachUnusedLayerMounts(const std::vector<std::string>& diff_ids) const;

  std::string root_;
  StoreOptions options_;
};

// Adds images to the store (see the file comment).
class Transaction {
 public:
  ~Transaction();

  // Copies the rest of `fd` into staging. When `expected` is set, the
  // blob's digest must match it, else DataLoss naming both. A blob already
  // in the store is read for its digest and not copied. Returns the digest.
  absl::StatusOr<std::string> AddBlob(int fd, absl::string_view expected);
  absl::StatusOr<std::string> AddBlobData(absl::string_view data,
                                          absl::string_view expected = "");

  // Returns the path of a blob that is staged or already stored.
  absl::StatusOr<std::string> BlobPath(absl::string_view digest) const;

  // Unpacks the layer blob `digest` (staged or stored) unless a layer with
  // `expected_diff_id` is already unpacked. When `expected_diff_id` is set,
  // the unpacked stream's digest must match it (DataLoss otherwise).
  // Returns the diff id and the compression found.
  struct LayerResult {
    std::string diff_id;
    Compression compression = Compression::kNone;
    bool reused = false;
  };
  absl::StatusOr<LayerResult> AddLayer(absl::string_view digest,
                                       absl::string_view expected_diff_id);

  // Stages the blob read from `fd` (from its current offset) and unpacks
  // it in the same pass, as AddBlob and AddLayer together would with one
  // read of the input instead of three. `expected_digest` and
  // `expected_diff_id` may each be empty. A layer already staged or stored
  // is reused as it is. With both digests known, finding it costs a stat.
  // With neither, it costs a hash of the input when the store contains a
  // blob of the same size. Otherwise the pass runs and its copy is deleted.
  // The layer is unpacked before its digest is known. That adds no risk,
  // because a hostile blob can come with its own matching digest, so the
  // unpacking must be safe for any input anyway.
  // Errors: DataLoss for a digest that does not match, also when the
  // unpacking failed first, and the errors of AddLayer. The staged files
  // are then removed with the transaction.
  struct LayerBlobResult {
    std::string digest;
    LayerResult layer;
  };
  absl::StatusOr<LayerBlobResult> AddLayerBlob(int fd, absl::string_view expected_digest,
                                               absl::string_view expected_diff_id);

  // Records an image with the manifest blob `manifest_digest` (staged or
  // stored) and `names`. Checks that the config and every layer are staged
  // or stored. Returns the image id.
  absl::StatusOr<std::string> AddImage(absl::string_view manifest_digest,
                                       const std::vector<std::string>& names);

  // Creates an empty directory inside the staging area, removed with it,
  // for files such as an archive's extracted members. Returns its path.
  absl::StatusOr<std::string> MakeScratchDirectory();

  // Moves everything staged into the store. After an error the store
  // contains no image of this transaction that it did not contain before.
  absl::Status Commit();

 private:
  friend class Store;
  Transaction(const Store* store, UniqueFd lock, UniqueFd staging,
              std::string staging_path)
      : store_(store), lock_(std::move(lock)), staging_(std::move(staging)),
        staging_path_(std::move(staging_path)) {}

  // The diff id of a layer that is staged or stored for the blob `digest`,
  // or "" when there is none.
  absl::StatusOr<std::string> KnownDiffId(absl::string_view digest,
                                          absl::string_view expected_diff_id) const;
  // Unpacks `stream` into staging and checks its digests.
  absl::StatusOr<LayerResult> ConvertLayer(LayerStream& stream, absl::string_view digest,
                                           absl::string_view expected_diff_id,
                                           const LayerStreamOptions& options);
  // Whether a staged or stored blob has `size` bytes.
  bool HasBlobOfSize(off_t size) const;

  const Store* store_;
  UniqueFd lock_;
  UniqueFd staging_;
  std::string staging_path_;
  absl::flat_hash_map<std::string, std::string> staged_blobs_;   // digest -> path
  absl::flat_hash_map<std::string, std::string> staged_layers_;  // diff id -> path
  absl::flat_hash_map<std::string, std::string> staged_diff_ids_;  // blob -> diff id
  std::vector<format::ImageRecord> records_;
  bool committed_ = false;
};

// Splits "name:tag" into name and tag, adding "latest" when no tag is
// given. A colon before the last "/" belongs to a registry's port.
std::pair<std::string, std::string> SplitReference(absl::string_view reference);

// Returns "name:tag" with the default tag filled in.
std::string NormalizeReference(absl::string_view reference);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_STORE_H_
