// Tests for bundle reading: layout (root folder, api/ and spec/), the safety checks made before
// decompression (zip-slip, absolute paths, symlinks, encryption-free sizes and ratios, entry
// count), manifest parsing taken literally, and handler name matching.
#include "admin/bundle.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zip.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/test_util.h"

namespace edgegate::admin {
namespace {

constexpr const char* kSpec =
    "openapi: 3.0.0\ninfo: {title: T, version: '1'}\npaths: {/a: {get: {operationId: getA}}}\n";

struct ZipEntry {
  std::string name;
  std::string data;
  bool symlink = false;
};

// Builds a ZIP (deflate) holding `entries`, in a temp file, and returns its bytes.
std::string MakeZip(const std::vector<ZipEntry>& entries) {
  base::TempDir dir;
  std::string path = (dir.path() / "b.zip").string();
  int error = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  EXPECT_NE(zip, nullptr);
  for (const ZipEntry& e : entries) {
    zip_source_t* src = zip_source_buffer(zip, e.data.data(), e.data.size(), 0);
    zip_int64_t index = zip_file_add(zip, e.name.c_str(), src, ZIP_FL_ENC_UTF_8);
    EXPECT_GE(index, 0) << e.name << ": " << zip_strerror(zip);
    if (e.symlink) {
      zip_file_set_external_attributes(zip, index, 0, ZIP_OPSYS_UNIX, (S_IFLNK | 0777u) << 16);
    }
  }
  EXPECT_EQ(zip_close(zip), 0);
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

bool HasProblem(const BundleParse& parsed, const std::string& entry, const std::string& words) {
  for (const BundleProblem& p : parsed.problems) {
    if (p.entry == entry && p.message.find(words) != std::string::npos) return true;
  }
  return false;
}

std::string Describe(const BundleParse& parsed) {
  std::string out;
  for (const BundleProblem& p : parsed.problems) out += p.entry + ": " + p.message + "\n";
  return out;
}

TEST(BundleTest, ReadsSpecManifestAndHandlers) {
  BundleParse parsed = ReadBundle(MakeZip({{"openapi.yaml", kSpec},
                                           {"bundle.yaml", "name: pets\nversion: 1.2.0\n"},
                                           {"handlers/get_a.cpp", "// a"},
                                           {"README.md", "ignored"}}));
  ASSERT_TRUE(parsed.bundle.has_value()) << Describe(parsed);
  EXPECT_EQ(parsed.bundle->spec.path, "openapi.yaml");
  EXPECT_EQ(parsed.bundle->spec.data, kSpec);
  ASSERT_TRUE(parsed.bundle->manifest.has_value());
  EXPECT_EQ(parsed.bundle->manifest->name, "pets");
  EXPECT_EQ(parsed.bundle->manifest->version, "1.2.0");
  ASSERT_EQ(parsed.bundle->handlers.size(), 1u);
  EXPECT_EQ(parsed.bundle->handlers[0].path, "handlers/get_a.cpp");
  EXPECT_EQ(parsed.bundle->handlers[0].data, "// a");
}

TEST(BundleTest, FindsTheSpecInApiOrSpecAndBelowOneTopFolder) {
  for (std::string name :
       {"api/openapi.json", "spec/openapi.yml", "pets/openapi.yaml", "pets/spec/openapi.yaml"}) {
    BundleParse parsed = ReadBundle(MakeZip({{name, kSpec}, {"pets/x.cpp", ""}}));
    if (!name.starts_with("pets/")) {
      // Two top folders: the root is the archive's root.
      ASSERT_TRUE(parsed.bundle.has_value()) << name << ": " << Describe(parsed);
      EXPECT_EQ(parsed.bundle->spec.path, name);
    } else {
      ASSERT_TRUE(parsed.bundle.has_value()) << name << ": " << Describe(parsed);
      EXPECT_EQ(parsed.bundle->handlers[0].path, "x.cpp");
    }
  }
}

TEST(BundleTest, RequiresExactlyOneSpec) {
  EXPECT_TRUE(HasProblem(ReadBundle(MakeZip({{"x.cpp", ""}})), "bundle", "no OpenAPI spec"));
  EXPECT_TRUE(HasProblem(ReadBundle(MakeZip({{"openapi.yaml", kSpec}, {"api/openapi.json", "{}"}})),
                         "bundle", "several OpenAPI specs"));
}

TEST(BundleTest, RejectsZipSlipAbsolutePathsAndSymlinksListingEach) {
  BundleParse parsed = ReadBundle(MakeZip({{"openapi.yaml", kSpec},
                                           {"../../etc/evil.cpp", "x"},
                                           {"a/../../b.cpp", "x"},
                                           {"/etc/passwd.cpp", "x"},
                                           {"C:/win.cpp", "x"},
                                           {"link.cpp", "/etc/shadow", true}}));
  EXPECT_FALSE(parsed.bundle.has_value());
  EXPECT_TRUE(HasProblem(parsed, "../../etc/evil.cpp", "traversal"));
  EXPECT_TRUE(HasProblem(parsed, "a/../../b.cpp", "traversal"));
  EXPECT_TRUE(HasProblem(parsed, "/etc/passwd.cpp", "absolute"));
  EXPECT_TRUE(HasProblem(parsed, "C:/win.cpp", "absolute"));
  EXPECT_TRUE(HasProblem(parsed, "link.cpp", "symbolic link"));
  EXPECT_EQ(parsed.problems.size(), 5u) << Describe(parsed);
}

TEST(BundleTest, RejectsBackslashesAndControlCharacters) {
  BundleParse parsed =
      ReadBundle(MakeZip({{"openapi.yaml", kSpec}, {"..\\evil.cpp", "x"}, {"a\nb.cpp", "x"}}));
  EXPECT_TRUE(HasProblem(parsed, "..\\evil.cpp", "backslash"));
  EXPECT_TRUE(HasProblem(parsed, "a\nb.cpp", "control character"));
}

TEST(BundleTest, RejectsTooManyEntries) {
  std::vector<ZipEntry> entries{{"openapi.yaml", kSpec}};
  for (int i = 0; i < 20; ++i) entries.push_back({"f" + std::to_string(i) + ".txt", "x"});
  BundleParse parsed = ReadBundle(MakeZip(entries), BundleLimits{.max_entries = 10});
  EXPECT_TRUE(HasProblem(parsed, "bundle", "21 entries")) << Describe(parsed);
}

TEST(BundleTest, RejectsAZipBombByRatioAndSizeBeforeDecompressing) {
  std::string zeros(4u << 20, '\0');  // compresses about 1000:1
  BundleParse parsed =
      ReadBundle(MakeZip({{"openapi.yaml", kSpec}, {"bomb.txt", zeros}}),
                 BundleLimits{.max_total_bytes = 3u << 20, .max_entry_bytes = 2u << 20});
  EXPECT_TRUE(HasProblem(parsed, "bomb.txt", "compression ratio")) << Describe(parsed);
  EXPECT_TRUE(HasProblem(parsed, "bomb.txt", "over the limit")) << Describe(parsed);
  EXPECT_TRUE(HasProblem(parsed, "bundle", "over the limit")) << Describe(parsed);
}

TEST(BundleTest, RejectsBytesThatAreNotAZip) {
  EXPECT_TRUE(HasProblem(ReadBundle("not a zip at all"), "bundle", "not a readable ZIP"));
  EXPECT_TRUE(HasProblem(ReadBundle(""), "bundle", "not a readable ZIP"));
  std::string truncated = MakeZip({{"openapi.yaml", kSpec}});
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(ReadBundle(truncated).bundle.has_value());
}

TEST(ManifestTest, ValuesAreTakenLiterally) {
  std::vector<BundleProblem> problems;
  auto m = ParseManifest(
      "name: ${HOME}\nversion: $EDGEGATE_ADMIN_KEY\ndependencies: [libpq, '${PATH}']\n", problems);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->name, "${HOME}");
  EXPECT_EQ(m->version, "$EDGEGATE_ADMIN_KEY");
  EXPECT_EQ(m->dependencies, (std::vector<std::string>{"libpq", "${PATH}"}));
}

TEST(ManifestTest, ReadsRoutesAsAMapOrAList) {
  std::vector<BundleProblem> problems;
  auto m = ParseManifest("routes:\n  getA: h/a.cpp\n  getB: {handler: h/b.cpp}\n", problems);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->routes.size(), 2u);
  EXPECT_EQ(m->routes[1].operation_id, "getB");
  EXPECT_EQ(m->routes[1].handler, "h/b.cpp");
  m = ParseManifest("routes:\n  - {operation: getC, handler: c.cpp}\n", problems);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->routes[0].operation_id, "getC");
  EXPECT_TRUE(problems.empty());
}

TEST(ManifestTest, UnknownFieldsWrongTypesAndBadYamlAreProblems) {
  std::vector<BundleProblem> problems;
  EXPECT_FALSE(ParseManifest("name: x\ncolour: red\n", problems).has_value());
  EXPECT_EQ(problems.back().entry, "bundle.yaml: colour");
  EXPECT_FALSE(ParseManifest("dependencies: libpq\n", problems).has_value());
  EXPECT_FALSE(ParseManifest("name: [a, b]\n", problems).has_value());
  EXPECT_FALSE(ParseManifest("name: [a, b\n", problems).has_value());
  EXPECT_NE(problems.back().message.find("line"), std::string::npos);
  EXPECT_FALSE(ParseManifest("routes: {getA: {file: x.cpp}}\n", problems).has_value());
}

TEST(HandlerMatchTest, NamesAreComparedInLowerCaseWithoutSeparators) {
  EXPECT_EQ(NormalizeHandlerName("getPetById"), "getpetbyid");
  EXPECT_EQ(NormalizeHandlerName("get_pet_by_id"), "getpetbyid");
  EXPECT_EQ(NormalizeHandlerName("GetPetById"), "getpetbyid");
  EXPECT_EQ(NormalizeHandlerName("get-pet-by-id"), "getpetbyid");
  EXPECT_EQ(NormalizeHandlerName("find pet by id"), "findpetbyid");
}

Bundle WithHandlers(std::vector<std::string> paths) {
  Bundle b;
  for (auto& p : paths) b.handlers.push_back({p, "// " + p, p});
  return b;
}

TEST(HandlerMatchTest, MatchesFilesToOperationsByNormalisedStem) {
  Bundle b = WithHandlers({"handlers/get_pet_by_id.cpp", "ListPets.cc", "create-pets.cxx"});
  std::vector<BundleProblem> problems;
  auto match = MatchHandlers(b, {"listPets", "createPets", "getPetById", "deletePet"}, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(match[0], 1u);
  EXPECT_EQ(match[1], 2u);
  EXPECT_EQ(match[2], 0u);
  EXPECT_FALSE(match[3].has_value());
}

TEST(HandlerMatchTest, ManifestRoutesWinAndAreChecked) {
  Bundle b = WithHandlers({"impl/show.cpp"});
  b.manifest = BundleManifest{};
  b.manifest->routes = {
      {"showPetById", "./impl/show.cpp"}, {"nope", "impl/show.cpp"}, {"listPets", "missing.cpp"}};
  std::vector<BundleProblem> problems;
  auto match = MatchHandlers(b, {"listPets", "showPetById"}, problems);
  EXPECT_EQ(match[1], 0u);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].message.find("no operation 'nope'"), std::string::npos);
  EXPECT_NE(problems[1].message.find("no handler file 'missing.cpp'"), std::string::npos);
}

TEST(HandlerMatchTest, UnmatchedAndDuplicateFilesAreProblems) {
  Bundle b = WithHandlers({"list_pets.cpp", "a/ListPets.cpp", "helpers.cpp"});
  std::vector<BundleProblem> problems;
  MatchHandlers(b, {"listPets"}, problems);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].entry, "a/ListPets.cpp");
  EXPECT_NE(problems[0].message.find("already has the handler"), std::string::npos);
  EXPECT_EQ(problems[1].entry, "helpers.cpp");
}

}  // namespace
}  // namespace edgegate::admin
