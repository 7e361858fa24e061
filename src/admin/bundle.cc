// Bundle ZIP reading with libzip: central-directory checks first, then bounded reads of the
// spec, the manifest and the handler sources. Manifest parsing and handler matching are in
// bundle_manifest.cc.
#include "admin/bundle.h"

#include <sys/stat.h>
#include <zip.h>

#include <memory>
#include <set>

namespace edgegate::admin {
namespace {

constexpr std::string_view kSpecDirs[] = {"", "api/", "spec/"};
constexpr std::string_view kSpecNames[] = {"openapi.yaml", "openapi.yml", "openapi.json"};
constexpr std::string_view kManifestNames[] = {"bundle.yaml", "bundle.yml"};
constexpr std::string_view kHandlerSuffixes[] = {".cpp", ".cc", ".cxx"};

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

// An entry as the central directory describes it.
struct Entry {
  zip_uint64_t index;
  std::string name;
  uint64_t size, compressed;
  bool directory;
};

// Why `name` may not be extracted anywhere, or "".
std::string UnsafeName(std::string_view name) {
  if (name.empty()) return "empty entry name";
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "control character in name";
    if (c == '\\') return "backslash in name (ambiguous path separator)";
  }
  if (name[0] == '/' || (name.size() >= 2 && name[1] == ':')) return "absolute path";
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    std::string_view segment = name.substr(start, end == name.npos ? name.npos : end - start);
    if (segment == "..") return "path traversal ('..' segment)";
    if (end == name.npos) break;
    start = end + 1;
  }
  return "";
}

// Problems an entry has on its own (name, type, encryption, sizes); appends them.
void CheckEntry(zip_t* zip, const zip_stat_t& st, const Entry& e, const BundleLimits& limits,
                std::vector<BundleProblem>& problems) {
  if (std::string why = UnsafeName(e.name); !why.empty()) {
    problems.push_back({e.name, why});
  }
  zip_uint8_t opsys = 0;
  zip_uint32_t attributes = 0;
  if (zip_file_get_external_attributes(zip, e.index, 0, &opsys, &attributes) == 0 &&
      opsys == ZIP_OPSYS_UNIX && S_ISLNK(attributes >> 16)) {
    problems.push_back({e.name, "symbolic link"});
  }
  if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
    problems.push_back({e.name, "encrypted entry"});
  }
  if (e.size > limits.max_entry_bytes) {
    problems.push_back({e.name, "uncompressed size " + std::to_string(e.size) +
                                    " bytes is over the limit of " +
                                    std::to_string(limits.max_entry_bytes)});
  }
  if (e.size >= limits.ratio_min_bytes &&
      e.size / std::max<uint64_t>(e.compressed, 1) > limits.max_ratio) {
    problems.push_back({e.name, "compression ratio over " + std::to_string(limits.max_ratio) +
                                    ":1 (a zip bomb?)"});
  }
}

// Lists the entries, checking each and the archive's totals. Problems are appended.
std::vector<Entry> ListEntries(zip_t* zip, const BundleLimits& limits,
                               std::vector<BundleProblem>& problems) {
  std::vector<Entry> entries;
  zip_int64_t count = zip_get_num_entries(zip, 0);
  if (count < 0 || static_cast<uint64_t>(count) > limits.max_entries) {
    problems.push_back({"bundle", "the bundle has " + std::to_string(count) + " entries; at most " +
                                      std::to_string(limits.max_entries) + " are allowed"});
    return entries;
  }
  uint64_t total = 0;
  std::set<std::string> names;
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(count); ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip, i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
        !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE)) {
      problems.push_back({"entry " + std::to_string(i), "unreadable directory entry"});
      continue;
    }
    Entry e{i, st.name, st.size, st.comp_size, std::string_view(st.name).ends_with("/")};
    CheckEntry(zip, st, e, limits, problems);
    if (!names.insert(e.name).second) {
      problems.push_back({e.name, "duplicate entry name"});
    }
    total += e.size;
    entries.push_back(std::move(e));
  }
  if (total > limits.max_total_bytes) {
    problems.push_back({"bundle", "uncompressed size " + std::to_string(total) +
                                      " bytes is over the limit of " +
                                      std::to_string(limits.max_total_bytes)});
  }
  return entries;
}

// Reads one entry, refusing more bytes than its declared size.
std::optional<std::string> ReadEntry(zip_t* zip, const Entry& e,
                                     std::vector<BundleProblem>& problems) {
  std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(zip, e.index, 0));
  if (!file) {
    problems.push_back({e.name, std::string("cannot read: ") + zip_strerror(zip)});
    return std::nullopt;
  }
  std::string data(e.size + 1, '\0');
  uint64_t got = 0;
  while (got < data.size()) {
    zip_int64_t n = zip_fread(file.get(), data.data() + got, data.size() - got);
    if (n < 0) {
      problems.push_back({e.name, std::string("cannot read: ") + zip_file_strerror(file.get())});
      return std::nullopt;
    }
    if (n == 0) break;
    got += static_cast<uint64_t>(n);
  }
  if (got != e.size) {
    problems.push_back({e.name, "content size differs from the declared size"});
    return std::nullopt;
  }
  data.resize(got);
  return data;
}

// "" or "top/" when every entry lies inside the one folder "top/".
std::string RootFolder(const std::vector<Entry>& entries) {
  std::string root;
  for (const Entry& e : entries) {
    size_t slash = e.name.find('/');
    if (slash == std::string::npos) return "";
    std::string top = e.name.substr(0, slash + 1);
    if (!root.empty() && top != root) return "";
    root = top;
  }
  return root;
}

bool IsHandler(std::string_view path) {
  for (std::string_view suffix : kHandlerSuffixes) {
    if (path.ends_with(suffix)) return true;
  }
  return false;
}

// Sorts the files of the bundle into spec, manifest and handlers; reads only those.
std::optional<Bundle> Assemble(zip_t* zip, const std::vector<Entry>& entries,
                               std::vector<BundleProblem>& problems) {
  std::string root = RootFolder(entries);
  Bundle bundle;
  std::vector<std::string> specs;
  for (const Entry& e : entries) {
    if (e.directory) continue;
    std::string path = e.name.substr(root.size());
    bool is_spec = false, is_manifest = false;
    for (std::string_view dir : kSpecDirs) {
      for (std::string_view n : kSpecNames)
        is_spec = is_spec || path == std::string(dir) + std::string(n);
    }
    for (std::string_view n : kManifestNames) is_manifest = is_manifest || path == n;
    if (!is_spec && !is_manifest && !IsHandler(path)) continue;  // README, tests, assets
    std::optional<std::string> data = ReadEntry(zip, e, problems);
    if (!data) continue;
    if (is_spec) {
      specs.push_back(path);
      bundle.spec = {path, std::move(*data), e.name};
    } else if (is_manifest) {
      bundle.manifest = ParseManifest(*data, problems);
    } else {
      bundle.handlers.push_back({path, std::move(*data), e.name});
    }
  }
  if (specs.empty()) {
    problems.push_back({"bundle",
                        "no OpenAPI spec: add openapi.yaml, openapi.yml or "
                        "openapi.json at the bundle root, or in api/ or spec/"});
  } else if (specs.size() > 1) {
    std::string list;
    for (const std::string& s : specs) list += (list.empty() ? "" : ", ") + s;
    problems.push_back({"bundle", "several OpenAPI specs (" + list + "): keep one"});
  }
  if (!problems.empty()) return std::nullopt;
  return bundle;
}

}  // namespace

BundleParse ReadBundle(std::string_view data, const BundleLimits& limits) {
  BundleParse result;
  if (data.empty()) {  // libzip would open it as an empty archive
    result.problems.push_back({"bundle", "not a readable ZIP archive: no data"});
    return result;
  }
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(data.data(), data.size(), 0, &error);
  ZipPtr zip(source ? zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error) : nullptr);
  if (!zip) {
    result.problems.push_back(
        {"bundle", std::string("not a readable ZIP archive: ") + zip_error_strerror(&error)});
    if (source) zip_source_free(source);
    zip_error_fini(&error);
    return result;
  }
  zip_error_fini(&error);
  std::vector<Entry> entries = ListEntries(zip.get(), limits, result.problems);
  if (result.problems.empty()) {  // nothing is decompressed from a bundle that failed a check
    result.bundle = Assemble(zip.get(), entries, result.problems);
  }
  return result;
}

}  // namespace edgegate::admin
