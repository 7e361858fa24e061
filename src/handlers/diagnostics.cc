// ParseDiagnostics: a line-at-a-time scanner (no std::regex: it is slow, and a compiler's output
// can be megabytes). Each line is one of: a located diagnostic ("f:12:5: error: ..."), a tool
// diagnostic ("cc1plus: fatal error: ...", "collect2: error: ..."), a linker error, or context.
#include "handlers/diagnostics.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace edgegate::handlers {
namespace {

struct SeverityMarker {
  std::string_view needle;
  std::string_view severity;
};

// "fatal error" is not a suffix clash with "error": its needle has no ": " before "error".
constexpr SeverityMarker kMarkers[] = {
    {": fatal error: ", "fatal error"},
    {": error: ", "error"},
    {": warning: ", "warning"},
    {": note: ", "note"},
};

struct Found {
  size_t pos = std::string_view::npos;
  const SeverityMarker* marker = nullptr;
};

// Finds the earliest severity marker in `line`.
Found FindSeverity(std::string_view line) {
  Found best;
  for (const SeverityMarker& marker : kMarkers) {
    size_t pos = line.find(marker.needle);
    if (pos < best.pos) {
      best = Found{pos, &marker};
    }
  }
  return best;
}

// If `text` ends in ":<digits>", strips that suffix and returns the number; otherwise -1.
int TakeTrailingNumber(std::string_view& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return -1;
  }
  std::string_view digits = text.substr(colon + 1);
  bool all_digits =
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  int value = 0;
  if (digits.empty() || !all_digits ||
      std::from_chars(digits.data(), digits.data() + digits.size(), value).ec != std::errc()) {
    return -1;
  }
  text = text.substr(0, colon);
  return value;
}

// "file:line:col: severity: message", "file:line: severity: ..." or "tool: severity: ...".
std::optional<Diagnostic> ParseWithSeverity(std::string_view line) {
  Found found = FindSeverity(line);
  if (found.marker == nullptr) {
    return std::nullopt;
  }
  std::string_view where = line.substr(0, found.pos);
  Diagnostic d;
  d.severity = found.marker->severity;
  d.message = line.substr(found.pos + found.marker->needle.size());
  int last = TakeTrailingNumber(where);
  int first = last >= 0 ? TakeTrailingNumber(where) : -1;
  d.line = first >= 0 ? first : std::max(last, 0);
  d.column = first >= 0 ? last : 0;
  if (d.line > 0) {
    d.file = where;  // without a line number `where` names a tool (cc1plus, collect2, ld)
  }
  return d;
}

// True for "ld", "/usr/bin/ld", "ld.bfd", "ld.gold", "x86_64-linux-gnu-ld.bfd", ...
bool IsLinkerProgram(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') + 1);  // npos + 1 == 0
  return name == "ld" || name.starts_with("ld.") || name.ends_with("-ld") ||
         name.find("-ld.") != std::string_view::npos;
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// A GNU ld error line, with or without the "/usr/bin/ld: " prefix. "…: in function `f':"
// lines only announce the next error and are context.
std::optional<Diagnostic> ParseLinkerError(std::string_view line) {
  size_t colon = line.find(": ");
  bool from_linker = colon != std::string_view::npos && IsLinkerProgram(line.substr(0, colon));
  std::string_view rest = from_linker ? line.substr(colon + 2) : line;
  if (rest.ends_with("':") && Contains(rest, "in function `")) {
    return std::nullopt;
  }
  if (!from_linker && !Contains(rest, "undefined reference to") &&
      !Contains(rest, "multiple definition of")) {
    return std::nullopt;
  }
  return Diagnostic{
      .file = "", .line = 0, .column = 0, .severity = "error", .message = std::string(rest)};
}

bool IsContextLine(std::string_view line) {
  return line.empty() || line.front() == ' ' || line.front() == '\t' ||
         line.starts_with("In file included from") || line == "compilation terminated.";
}

std::optional<Diagnostic> ParseLine(std::string_view line) {
  if (line.ends_with('\r')) {
    line.remove_suffix(1);
  }
  if (IsContextLine(line)) {
    return std::nullopt;  // excerpts may quote user code that looks like a diagnostic
  }
  if (std::optional<Diagnostic> d = ParseWithSeverity(line)) {
    return d;
  }
  return ParseLinkerError(line);
}

}  // namespace

std::vector<Diagnostic> ParseDiagnostics(std::string_view output) {
  std::vector<Diagnostic> diagnostics;
  while (!output.empty()) {
    size_t newline = output.find('\n');
    std::string_view line = output.substr(0, newline);
    output.remove_prefix(newline == std::string_view::npos ? output.size() : newline + 1);
    if (std::optional<Diagnostic> d = ParseLine(line)) {
      diagnostics.push_back(std::move(*d));
    }
  }
  return diagnostics;
}

}  // namespace edgegate::handlers
