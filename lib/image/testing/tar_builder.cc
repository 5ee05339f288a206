#include "lib/image/testing/tar_builder.h"

#include <archive.h>
#include <archive_entry.h>

#include <fstream>
#include <sstream>

namespace pycontain::image::testing {

namespace {

la_ssize_t AppendToString(struct archive*, void* output, const void* data,
                          size_t size) {
  static_cast<std::string*>(output)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

}  // namespace

TarBuilder& TarBuilder::Add(TarEntry entry) {
  entries_.push_back(std::move(entry));
  return *this;
}

TarBuilder& TarBuilder::File(absl::string_view name, absl::string_view content,
                             mode_t mode) {
  TarEntry entry;
  entry.name = std::string(name);
  entry.content = std::string(content);
  entry.mode = mode;
  return Add(entry);
}

TarBuilder& TarBuilder::Directory(absl::string_view name, mode_t mode) {
  TarEntry entry;
  entry.name = std::string(name);
  entry.type = AE_IFDIR;
  entry.mode = mode;
  return Add(entry);
}

TarBuilder& TarBuilder::Symlink(absl::string_view name, absl::string_view target) {
  TarEntry entry;
  entry.name = std::string(name);
  entry.type = AE_IFLNK;
  entry.mode = 0777;
  entry.link = std::string(target);
  return Add(entry);
}

TarBuilder& TarBuilder::Hardlink(absl::string_view name, absl::string_view target) {
  TarEntry entry;
  entry.name = std::string(name);
  entry.link = std::string(target);
  entry.hardlink = true;
  return Add(entry);
}

std::string TarBuilder::Finish() const {
  std::string output;
  struct archive* writer = archive_write_new();
  archive_write_set_format_pax(writer);
  switch (compression_) {
    case Compression::kNone: break;
    case Compression::kGzip: archive_write_add_filter_gzip(writer); break;
    case Compression::kZstd: archive_write_add_filter_zstd(writer); break;
    case Compression::kBzip2: archive_write_add_filter_bzip2(writer); break;
    case Compression::kXz: archive_write_add_filter_xz(writer); break;
  }
  // No padding to 10240-byte records: with a compression filter libarchive
  // would pad the compressed stream with zeros, which is not a valid frame.
  archive_write_set_bytes_in_last_block(writer, 1);
  archive_write_open(writer, &output, nullptr, &AppendToString, nullptr);
  for (const TarEntry& item : entries_) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_copy_pathname(entry, item.name.c_str());
    archive_entry_set_uid(entry, item.uid);
    archive_entry_set_gid(entry, item.gid);
    archive_entry_set_mtime(entry, item.mtime, 0);
    if (item.hardlink) {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_perm(entry, item.mode);
      archive_entry_copy_hardlink(entry, item.link.c_str());
      archive_entry_set_size(entry, 0);
    } else {
      archive_entry_set_filetype(entry, item.type);
      archive_entry_set_perm(entry, item.mode);
      if (item.type == AE_IFLNK) archive_entry_copy_symlink(entry, item.link.c_str());
      archive_entry_set_rdevmajor(entry, item.device_major);
      archive_entry_set_rdevminor(entry, item.device_minor);
      archive_entry_set_size(
          entry, item.type == AE_IFREG ? static_cast<la_int64_t>(item.content.size()) : 0);
    }
    for (const auto& [key, value] : item.xattrs) {
      archive_entry_xattr_add_entry(entry, key.c_str(), value.data(), value.size());
    }
    archive_write_header(writer, entry);
    if (item.type == AE_IFREG && !item.hardlink && !item.content.empty()) {
      archive_write_data(writer, item.content.data(), item.content.size());
    }
    archive_entry_free(entry);
  }
  archive_write_close(writer);
  archive_write_free(writer);
  return output;
}

bool WriteFile(const std::string& path, absl::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace pycontain::image::testing
