// The gateway side of eg_host_api.json_parse: parses JSON text with Boost.JSON's SAX parser
// (no DOM is built in the gateway) and replays it as eg_json_sink events, which the SDK inside
// the handler library turns into an edgegate::Json.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "edgegate/abi.h"

namespace edgegate::host {

// Deepest nesting of arrays/objects accepted; deeper documents are rejected as malformed.
inline constexpr std::size_t kMaxJsonDepth = 64;

// Parses `text` as one strict JSON document (RFC 8259, UTF-8; no comments, no trailing commas,
// nothing but whitespace after the value) and feeds `sink` its events. Strings and keys are
// delivered complete and unescaped. Integers beyond int64 (up to uint64 and beyond) are
// delivered as doubles. Returns true on success; on malformed input, too deep nesting or
// a sink with a null callback, returns false with a one-line reason in *error (events may
// already have been delivered; the sink must discard them). Never throws.
// Thread-safe (no shared state); `sink` callbacks run on the calling thread.
[[nodiscard]] bool ParseJsonToSink(std::string_view text, const eg_json_sink& sink,
                                   std::string* error);

}  // namespace edgegate::host
