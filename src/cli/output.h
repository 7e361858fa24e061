// What the client commands print: aligned tables, key/value blocks, pretty JSON for `--json`,
// API errors, and compile diagnostics shown the way a compiler shows them (file:line:col, the
// source line, a caret). Pure functions of their inputs, so they are unit-tested without a
// gateway.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace edgegate::cli {

// Exit codes scripts can rely on.
inline constexpr int kExitOk = 0;
inline constexpr int kExitApiError = 1;     // the API answered an error (or something unexpected)
inline constexpr int kExitUsage = 2;        // bad command line, unreadable input file
inline constexpr int kExitUnreachable = 3;  // no answer from the admin URL

// A table cell for `v`: strings as is, null as "-", numbers and booleans in JSON form.
std::string Cell(const boost::json::value& v);

// `v`'s member `name` (null if `v` is not an object or has no such member).
const boost::json::value& Member(const boost::json::value& v, std::string_view name);

// Columns padded to their widest cell, separated by two spaces; no trailing spaces.
std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// `v` as indented JSON (two spaces), ending with a newline.
std::string PrettyJson(const boost::json::value& v);

// Scalars of `object` as "key: value" lines, nested objects flattened as "outer.inner".
std::string FormatKeyValues(const boost::json::value& object, std::string_view prefix = {});

// The 422 details of a compile (`{diagnostics: [{file, line, column, severity, message}],
// output, timed_out}`) as compiler output: "PATH:LINE:COL: severity: message", then the line of
// `source` and a caret under the column. Diagnostics in `handler.cpp` (the gateway's name for
// the uploaded source) are shown under `display_path`; others keep their file and get no
// excerpt. Without parsed diagnostics the raw compiler output is returned.
std::string FormatDiagnostics(const boost::json::value& details, std::string_view display_path,
                              std::string_view source);

}  // namespace edgegate::cli
