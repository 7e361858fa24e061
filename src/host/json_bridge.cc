// ParseJsonToSink: Boost.JSON basic_parser with a handler that forwards to an eg_json_sink.
//
// Boost delivers strings and keys in parts when they contain escapes or span buffers; the
// handler accumulates parts and hands the sink one complete view. Whole strings are forwarded
// straight from the parser's buffer without a copy.
#include "host/json_bridge.h"

#include <boost/json/basic_parser_impl.hpp>
#include <cstdint>
#include <exception>

namespace edgegate::host {
namespace {

using boost::json::error_code;
using boost::json::string_view;

constexpr std::uint64_t kInt64Max = 9223372036854775807ull;

// Handler required by boost::json::basic_parser; every event returns true (never fails).
class SinkHandler {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  explicit SinkHandler(const eg_json_sink& sink) : sink_(sink) {}

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return Emit(sink_.begin_array); }
  bool on_array_end(std::size_t, error_code&) { return Emit(sink_.end_array); }
  bool on_object_begin(error_code&) { return Emit(sink_.begin_object); }
  bool on_object_end(std::size_t, error_code&) { return Emit(sink_.end_object); }
  bool on_string_part(string_view s, std::size_t, error_code&) { return Append(s); }
  bool on_string(string_view s, std::size_t, error_code&) { return Deliver(sink_.on_string, s); }
  bool on_key_part(string_view s, std::size_t, error_code&) { return Append(s); }
  bool on_key(string_view s, std::size_t, error_code&) { return Deliver(sink_.on_key, s); }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t i, string_view, error_code&) {
    sink_.on_int(sink_.self, i);
    return true;
  }
  bool on_uint64(std::uint64_t u, string_view, error_code&) {
    if (u <= kInt64Max) {
      sink_.on_int(sink_.self, static_cast<std::int64_t>(u));
    } else {
      sink_.on_double(sink_.self, static_cast<double>(u));
    }
    return true;
  }
  bool on_double(double d, string_view, error_code&) {
    sink_.on_double(sink_.self, d);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    sink_.on_bool(sink_.self, b ? 1 : 0);
    return true;
  }
  bool on_null(error_code&) { return Emit(sink_.on_null); }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  bool Emit(void (*event)(void*)) {
    event(sink_.self);
    return true;
  }

  bool Append(string_view s) {
    part_.append(s.data(), s.size());
    return true;
  }

  // Hands the sink the whole string: the accumulated parts plus the last piece `s`.
  bool Deliver(void (*event)(void*, eg_str), string_view s) {
    if (part_.empty()) {
      event(sink_.self, eg_str{s.data(), s.size()});
      return true;
    }
    part_.append(s.data(), s.size());
    event(sink_.self, eg_str{part_.data(), part_.size()});
    part_.clear();
    return true;
  }

  const eg_json_sink& sink_;
  std::string part_;  // Parts of the current string or key.
};

bool HasAllCallbacks(const eg_json_sink& sink) {
  return sink.on_null != nullptr && sink.on_bool != nullptr && sink.on_int != nullptr &&
         sink.on_double != nullptr && sink.on_string != nullptr && sink.on_key != nullptr &&
         sink.begin_array != nullptr && sink.end_array != nullptr && sink.begin_object != nullptr &&
         sink.end_object != nullptr;
}

std::string AtOffset(const std::string& reason, std::size_t offset) {
  return reason + " at offset " + std::to_string(offset);
}

// Runs the parser over the whole text; the body of ParseJsonToSink, which adds the try.
bool Parse(std::string_view text, const eg_json_sink& sink, std::string* error) {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::basic_parser<SinkHandler> parser(options, sink);
  error_code ec;
  const std::size_t consumed = parser.write_some(/*more=*/false, text.data(), text.size(), ec);
  if (ec) {
    *error = AtOffset(ec.message(), consumed);
    return false;
  }
  if (consumed != text.size()) {
    *error = AtOffset("unexpected data after the JSON value", consumed);
    return false;
  }
  return true;
}

}  // namespace

bool ParseJsonToSink(std::string_view text, const eg_json_sink& sink, std::string* error) {
  if (!HasAllCallbacks(sink)) {
    *error = "JSON sink has a null callback";
    return false;
  }
  try {
    return Parse(text, sink, error);
  } catch (const std::exception& e) {
    *error = std::string("JSON parse failed: ") + e.what();
  } catch (...) {
    *error = "JSON parse failed";
  }
  return false;
}

}  // namespace edgegate::host
