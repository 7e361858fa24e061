// Turns the compiler's text output into structured diagnostics, so the admin API and web UI can
// point at the line of the user's handler that failed instead of showing a wall of text.
// Understands GCC's `file:line:col: severity: message` lines (Clang's format is the same) and
// the GNU linker's error lines, which carry no line number.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edgegate::handlers {

struct Diagnostic {
  std::string file;      // as the compiler printed it ("handler.cpp"); "" for tool/linker lines
  int line = 0;          // 1-based; 0 if unknown
  int column = 0;        // 1-based; 0 if unknown
  std::string severity;  // "error" | "warning" | "note" | "fatal error"
  std::string message;   // the text after the severity, warning option ("[-Wcpp]") included

  bool operator==(const Diagnostic&) const = default;
};

// Extracts the diagnostics from `output` (stdout and stderr of g++, merged), in order.
// Context lines are skipped: "In function ...", "In file included from ...", "required from
// here", the source excerpt and caret lines, "compilation terminated.". Linker errors
// ("undefined reference to", "multiple definition of", "/usr/bin/ld: cannot find ...") become
// severity "error" with file "" and line 0, so a failed link yields at least one diagnostic.
// Never fails: unrecognised lines are skipped. Thread-safe (pure function).
std::vector<Diagnostic> ParseDiagnostics(std::string_view output);

}  // namespace edgegate::handlers
