// Process logging: one line per event on stderr, "2026-01-01T00:00:00.123Z level message".
// Thread-safe: each line is written with a single write(2). Never logs secrets by contract of
// the callers (API keys and service passwords are not passed in).
#pragma once

#include <string_view>

namespace edgegate::base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Sets the minimum level written (default kInfo). Call before threads start.
void SetLogLevel(LogLevel level);
// Parses "debug" | "info" | "warn" | "error"; false if unknown.
bool ParseLogLevel(std::string_view text, LogLevel* out);
std::string_view LogLevelName(LogLevel level);
void Log(LogLevel level, std::string_view message);

}  // namespace edgegate::base

#define EG_LOG_INFO(msg) ::edgegate::base::Log(::edgegate::base::LogLevel::kInfo, (msg))
#define EG_LOG_WARN(msg) ::edgegate::base::Log(::edgegate::base::LogLevel::kWarn, (msg))
#define EG_LOG_ERROR(msg) ::edgegate::base::Log(::edgegate::base::LogLevel::kError, (msg))
