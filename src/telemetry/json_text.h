// Writing JSON text by hand, for the telemetry formats that are produced on hot or frequent paths
// (access log lines, log entries) where building a DOM would cost more than the line itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace edgegate::telemetry {

// Appends `text` as a JSON string literal (quotes included): `"` `\` and control characters are
// escaped, and bytes that are not valid UTF-8 become U+FFFD, so the output is always valid JSON
// whatever a client or handler sent.
void AppendJsonString(std::string& out, std::string_view text);
// Appends the decimal form of `n`.
void AppendInt(std::string& out, int64_t n);

}  // namespace edgegate::telemetry
