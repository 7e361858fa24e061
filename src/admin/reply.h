// Admin API replies and request-body validation. Every answer uses one envelope:
//   {"ok": true, "data": ...}  or  {"ok": false, "error": "message", "details": {...}}
// with the HTTP status that fits (never 200 for an error), and validation errors name the field.
#pragma once

#include <boost/json/value.hpp>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace edgegate::admin {

struct Reply {
  Reply() = default;
  Reply(int status_in, boost::json::value body_in)
      : status(status_in), body(std::move(body_in)) {}

  int status = 200;
  boost::json::value body;
  // Extra response headers (name, value), e.g. WWW-Authenticate on 401, Retry-After on 429.
  std::vector<std::pair<std::string, std::string>> headers;
  // A non-JSON answer (GET /metrics): sent as is, with `content_type`, instead of `body`.
  std::optional<std::string> raw_body;
  std::string content_type;
};

Reply Ok(boost::json::value data, int status = 200);
// An error reply from `status` (its code → HTTP status, its field → details.field).
Reply Error(const base::Status& status, boost::json::object details = {});
Reply Error(int http_status, std::string message, boost::json::object details = {});

// Expected JSON type of a body field.
enum class FieldType { kString, kBool, kInt, kStringArray, kAny };

struct FieldSpec {
  std::string_view name;
  FieldType type;
  bool required = false;
};

// Parses `body` as a JSON object and checks it against `fields`: unknown fields, missing required
// ones and wrong types are InvalidArgument naming the field; malformed JSON names "body".
base::Result<boost::json::object> ParseBody(std::string_view body,
                                            std::span<const FieldSpec> fields);
inline base::Result<boost::json::object> ParseBody(std::string_view body,
                                                   std::initializer_list<FieldSpec> fields) {
  return ParseBody(body, std::span<const FieldSpec>(fields.begin(), fields.size()));
}

// Typed readers for a validated object (the type was checked by ParseBody).
std::optional<std::string> GetString(const boost::json::object& o, std::string_view key);
std::optional<bool> GetBool(const boost::json::object& o, std::string_view key);
std::optional<std::vector<std::string>> GetStringArray(const boost::json::object& o,
                                                       std::string_view key);

}  // namespace edgegate::admin
