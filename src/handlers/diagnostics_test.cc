// Tests for ParseDiagnostics, on output captured from g++ 12 and GNU ld 2.40.
#include "handlers/diagnostics.h"

#include <gtest/gtest.h>

namespace edgegate::handlers {
namespace {

Diagnostic Make(std::string file, int line, int column, std::string severity, std::string message) {
  return Diagnostic{std::move(file), line, column, std::move(severity), std::move(message)};
}

TEST(ParseDiagnosticsTest, EmptyOutputHasNoDiagnostics) {
  EXPECT_TRUE(ParseDiagnostics("").empty());
}

TEST(ParseDiagnosticsTest, ReadsLocatedErrorsAndSkipsContext) {
  constexpr char kOutput[] =
      "handler.cpp: In function ‘int h()’:\n"
      "handler.cpp:5:19: error: invalid conversion from ‘const char*’ to "
      "‘int’ [-fpermissive]\n"
      "    5 | int h() { int x = \"a\"; return x; }\n"
      "      |                   ^~~\n"
      "      |                   |\n"
      "      |                   const char*\n";
  std::vector<Diagnostic> got = ParseDiagnostics(kOutput);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].file, "handler.cpp");
  EXPECT_EQ(got[0].line, 5);
  EXPECT_EQ(got[0].column, 19);
  EXPECT_EQ(got[0].severity, "error");
  EXPECT_EQ(got[0].message.rfind("invalid conversion from ", 0), 0u);
}

TEST(ParseDiagnosticsTest, ReadsEverySeverity) {
  constexpr char kOutput[] =
      "handler.cpp:2:2: warning: #warning careful [-Wcpp]\n"
      "handler.cpp:7:3: note: candidate: 'void f()'\n"
      "handler.cpp:1:10: fatal error: nope.h: No such file or directory\n"
      "handler.cpp:9: error: no column here\n";
  std::vector<Diagnostic> want = {
      Make("handler.cpp", 2, 2, "warning", "#warning careful [-Wcpp]"),
      Make("handler.cpp", 7, 3, "note", "candidate: 'void f()'"),
      Make("handler.cpp", 1, 10, "fatal error", "nope.h: No such file or directory"),
      Make("handler.cpp", 9, 0, "error", "no column here"),
  };
  EXPECT_EQ(ParseDiagnostics(kOutput), want);
}

TEST(ParseDiagnosticsTest, TemplateBacktraceKeepsOnlyTheDiagnostic) {
  constexpr char kOutput[] =
      "handler.cpp: In instantiation of 'int f(T) [with T = int]':\n"
      "handler.cpp:4:19:   required from here\n"
      "handler.cpp:3:45: error: request for member 'nope' in 't'\n"
      "    3 | template <typename T> int f(T t) { return t.nope(); }\n"
      "      |                                           ~~^~~~\n";
  std::vector<Diagnostic> want = {
      Make("handler.cpp", 3, 45, "error", "request for member 'nope' in 't'")};
  EXPECT_EQ(ParseDiagnostics(kOutput), want);
}

TEST(ParseDiagnosticsTest, SourceExcerptThatLooksLikeADiagnosticIsContext) {
  constexpr char kOutput[] =
      "handler.cpp:3:7: error: expected ';'\n"
      "    3 |   log(\"a.cpp:1:2: error: fake\")\n"
      "      |       ^\n";
  EXPECT_EQ(ParseDiagnostics(kOutput).size(), 1u);
}

TEST(ParseDiagnosticsTest, IncludeChainIsContext) {
  constexpr char kOutput[] =
      "In file included from /sdk/include/edgegate/sdk.hpp:3,\n"
      "                 from handler.cpp:1:\n"
      "/sdk/include/edgegate/abi.h:10:1: error: boom\n";
  std::vector<Diagnostic> want = {Make("/sdk/include/edgegate/abi.h", 10, 1, "error", "boom")};
  EXPECT_EQ(ParseDiagnostics(kOutput), want);
}

TEST(ParseDiagnosticsTest, ToolDiagnosticsHaveNoFile) {
  constexpr char kOutput[] =
      "cc1plus: fatal error: nofile.cpp: No such file or directory\n"
      "compilation terminated.\n"
      "g++: error: unrecognized command-line option '-fbogus'\n";
  std::vector<Diagnostic> want = {
      Make("", 0, 0, "fatal error", "nofile.cpp: No such file or directory"),
      Make("", 0, 0, "error", "unrecognized command-line option '-fbogus'"),
  };
  EXPECT_EQ(ParseDiagnostics(kOutput), want);
}

TEST(ParseDiagnosticsTest, UndefinedReferenceIsALinkerError) {
  constexpr char kOutput[] =
      "/usr/bin/ld: /tmp/ccoIsV2x.o: in function `use':\n"
      "handler.cpp:(.text+0x1): undefined reference to `missing(int)'\n"
      "collect2: error: ld returned 1 exit status\n";
  std::vector<Diagnostic> want = {
      Make("", 0, 0, "error", "handler.cpp:(.text+0x1): undefined reference to `missing(int)'"),
      Make("", 0, 0, "error", "ld returned 1 exit status"),
  };
  EXPECT_EQ(ParseDiagnostics(kOutput), want);
}

TEST(ParseDiagnosticsTest, LinkerPrefixedErrorsAreErrors) {
  constexpr char kOutput[] =
      "/usr/bin/ld: cannot find -lnosuchlib: No such file or directory\n"
      "/usr/bin/x86_64-linux-gnu-ld.bfd: handler.cpp:(.text+0x0): multiple definition of `f()'\n"
      "/usr/bin/ld: warning: creating DT_TEXTREL in a shared object\n";
  std::vector<Diagnostic> want = {
      Make("", 0, 0, "error", "cannot find -lnosuchlib: No such file or directory"),
      Make("", 0, 0, "error", "handler.cpp:(.text+0x0): multiple definition of `f()'"),
      Make("", 0, 0, "warning", "creating DT_TEXTREL in a shared object"),
  };
  EXPECT_EQ(ParseDiagnostics(kOutput), want);
}

TEST(ParseDiagnosticsTest, ToleratesCarriageReturnsAndAMissingFinalNewline) {
  std::vector<Diagnostic> want = {Make("handler.cpp", 1, 2, "error", "x")};
  EXPECT_EQ(ParseDiagnostics("handler.cpp:1:2: error: x\r\n"), want);
  EXPECT_EQ(ParseDiagnostics("handler.cpp:1:2: error: x"), want);
}

TEST(ParseDiagnosticsTest, IgnoresUnrecognisedLines) {
  EXPECT_TRUE(ParseDiagnostics("random text\nhandler.cpp:12:3:   required from here\n").empty());
}

}  // namespace
}  // namespace edgegate::handlers
