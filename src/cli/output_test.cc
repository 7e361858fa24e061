#include "cli/output.h"

#include <gtest/gtest.h>

namespace edgegate::cli {
namespace {

namespace json = boost::json;

TEST(FormatDiagnosticsTest, ShowsUploadedFileDiagnosticsOnTheUsersFileWithLineAndCaret) {
  json::value details = json::parse(
      R"({"diagnostics": [{"file": "handler.cpp", "line": 2, "column": 10, "severity": "error",
          "message": "'foo' was not declared in this scope"}], "output": "raw"})");
  std::string source = "int main() {\n  return foo;\n}\n";
  EXPECT_EQ(FormatDiagnostics(details, "src/bad.cpp", source),
            "src/bad.cpp:2:10: error: 'foo' was not declared in this scope\n"
            "   2 |   return foo;\n"
            "     |          ^\n");
}

TEST(FormatDiagnosticsTest, KeepsOtherFilesWithoutExcerpt) {
  json::value details = json::parse(
      R"({"diagnostics": [{"file": "cc1plus", "line": 0, "column": 0, "severity": "error",
          "message": "boom"}]})");
  EXPECT_EQ(FormatDiagnostics(details, "a.cpp", ""), "cc1plus: error: boom\n");
}

TEST(FormatDiagnosticsTest, FallsBackToRawOutputWithoutDiagnostics) {
  json::value details = json::parse(R"({"diagnostics": [], "output": "ld: failed"})");
  EXPECT_EQ(FormatDiagnostics(details, "a.cpp", ""), "ld: failed\n");
}

TEST(FormatDiagnosticsTest, LineBeyondTheSourceHasNoExcerpt) {
  json::value details = json::parse(
      R"({"diagnostics": [{"file": "handler.cpp", "line": 9, "column": 1, "severity": "note",
          "message": "x"}]})");
  EXPECT_EQ(FormatDiagnostics(details, "a.cpp", "one line\n"), "a.cpp:9:1: note: x\n");
}

TEST(FormatTableTest, PadsColumnsToTheWidestCellWithoutTrailingSpaces) {
  EXPECT_EQ(FormatTable({"NAME", "X"}, {{"hello", "1"}, {"a", ""}}),
            "NAME   X\n"
            "hello  1\n"
            "a\n");
}

TEST(CellTest, PrintsStringsBareNullAsDashAndOthersAsJson) {
  EXPECT_EQ(Cell(json::value("s")), "s");
  EXPECT_EQ(Cell(json::value(nullptr)), "-");
  EXPECT_EQ(Cell(json::value(3)), "3");
  EXPECT_EQ(Cell(json::value(true)), "true");
}

TEST(FormatKeyValuesTest, FlattensNestedObjects) {
  EXPECT_EQ(FormatKeyValues(json::parse(R"({"a": 1, "b": {"c": "d"}})")), "a: 1\nb.c: d\n");
}

TEST(PrettyJsonTest, IndentsAndRoundTrips) {
  json::value v = json::parse(R"({"a": [1, {"b": null}], "c": {}, "d": []})");
  std::string text = PrettyJson(v);
  EXPECT_EQ(json::parse(text), v);
  EXPECT_NE(text.find("\n  \"a\": [\n    1,"), std::string::npos) << text;
}

}  // namespace
}  // namespace edgegate::cli
