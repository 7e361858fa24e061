// Handler bundles: a ZIP archive holding an OpenAPI spec, an optional `bundle.yaml` manifest and
// handler sources named after the operations they implement. Uploaded by users, so hostile:
// every entry of the central directory is checked (path traversal, absolute paths, symlinks,
// encryption, entry count, declared sizes, compression ratio) BEFORE anything is decompressed,
// all problems are listed, and decompression is capped by the declared sizes. Nothing touches
// the disk: the few files the import needs are read into memory.
//
// The manifest is data, taken literally: no environment variable or other expansion.
// ZIP reading uses libzip and the manifest yaml-cpp; neither type appears in this header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgegate::admin {

struct BundleLimits {
  size_t max_entries = 1000;               // entries in the archive, directories included
  uint64_t max_total_bytes = 64ull << 20;  // uncompressed, all entries together
  uint64_t max_entry_bytes = 16ull << 20;  // uncompressed, one entry
  uint64_t max_ratio = 100;                // uncompressed / compressed, for an entry...
  uint64_t ratio_min_bytes = 1ull << 20;   // ...of at least this many bytes
};

// One problem with a bundle: the entry (or "bundle", "bundle.yaml", ...) and what is wrong.
struct BundleProblem {
  std::string entry;
  std::string message;
};

// A file read from the bundle; `path` is relative to the bundle's root folder, `entry` is its
// name in the archive (they differ when everything is inside one top folder).
struct BundleFile {
  std::string path;
  std::string data;
  std::string entry;
};

struct BundleRoute {
  std::string operation_id;
  std::string handler;  // path of a handler file, relative to the bundle root
};

// bundle.yaml. Every value is taken literally ("${HOME}" stays "${HOME}").
struct BundleManifest {
  std::string name;
  std::string version;
  std::string description;
  std::vector<std::string> dependencies;  // pkg-config packages for every handler of the bundle
  std::vector<BundleRoute> routes;        // explicit operation → handler file mappings
};

struct Bundle {
  BundleFile spec;                         // openapi.yaml|yml|json at the root, in api/ or spec/
  std::optional<BundleManifest> manifest;  // bundle.yaml|yml at the root
  std::vector<BundleFile> handlers;        // *.cpp, *.cc, *.cxx anywhere in the bundle
};

// The bundle, or every problem found (never both empty).
struct BundleParse {
  std::optional<Bundle> bundle;
  std::vector<BundleProblem> problems;
};

// Reads ZIP `data`. The bundle root is the archive's root, or its only top-level folder when
// every entry is inside one (as `zip -r b.zip b/` makes). Problems: not a ZIP; more entries than
// allowed; an entry name that is absolute ("/x", "C:x"), has a ".." segment, a backslash or a
// control character; a duplicate name; a symlink (Unix mode in the external attributes); an
// encrypted entry; sizes or ratios over `limits`; no spec or several; a malformed manifest.
// Thread-safe (no shared state); run it off the I/O loop.
BundleParse ReadBundle(std::string_view data, const BundleLimits& limits = {});

// Parses bundle.yaml text (exposed for tests). Unknown keys and wrong types are problems.
std::optional<BundleManifest> ParseManifest(std::string_view text,
                                            std::vector<BundleProblem>& problems);

// How handler files and operationIds are compared: lower case, '_', '-' and ' ' dropped, so
// "getPetById", "get_pet_by_id", "GetPetById" and "get pet by id" are all "getpetbyid".
std::string NormalizeHandlerName(std::string_view name);

// Assigns handler files to operations: manifest routes first, then by normalised file stem
// against normalised operation names. Returns, per operation, the index into bundle.handlers
// or nullopt. Problems: a route naming an unknown operation or a missing file; two files for
// one operation; a handler file that matches no operation.
std::vector<std::optional<size_t>> MatchHandlers(const Bundle& bundle,
                                                 const std::vector<std::string>& operation_names,
                                                 std::vector<BundleProblem>& problems);

}  // namespace edgegate::admin
