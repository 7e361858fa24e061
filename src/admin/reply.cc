// Envelope construction and body validation with Boost.JSON.
#include "admin/reply.h"

#include <boost/json/parse.hpp>

namespace edgegate::admin {
namespace json = boost::json;

Reply Ok(json::value data, int status) {
  json::object o;
  o["ok"] = true;
  o["data"] = std::move(data);
  return {status, std::move(o)};
}

Reply Error(const base::Status& status, json::object details) {
  if (!status.field().empty()) {
    details["field"] = status.field();
  }
  return Error(base::HttpStatusOf(status.code()), status.message(), std::move(details));
}

Reply Error(int http_status, std::string message, json::object details) {
  json::object o;
  o["ok"] = false;
  o["error"] = std::move(message);
  if (!details.empty()) {
    o["details"] = std::move(details);
  }
  return {http_status, std::move(o)};
}

namespace {

bool HasType(const json::value& v, FieldType type) {
  switch (type) {
    case FieldType::kString: return v.is_string();
    case FieldType::kBool: return v.is_bool();
    case FieldType::kInt: return v.is_int64() || v.is_uint64();
    case FieldType::kAny: return true;
    case FieldType::kStringArray:
      if (!v.is_array()) return false;
      for (const json::value& item : v.as_array()) {
        if (!item.is_string()) return false;
      }
      return true;
  }
  return false;
}

std::string_view TypeName(FieldType type) {
  switch (type) {
    case FieldType::kString: return "a string";
    case FieldType::kBool: return "a boolean";
    case FieldType::kInt: return "an integer";
    case FieldType::kStringArray: return "an array of strings";
    case FieldType::kAny: return "any value";
  }
  return "?";
}

}  // namespace

base::Result<json::object> ParseBody(std::string_view body, std::span<const FieldSpec> fields) {
  json::error_code ec;
  json::value v = json::parse(body.empty() ? std::string_view("{}") : body, ec);
  if (ec) {
    return base::FieldError("body", "request body is not valid JSON: " + ec.message());
  }
  if (!v.is_object()) {
    return base::FieldError("body", "request body must be a JSON object");
  }
  json::object& o = v.as_object();
  for (const auto& member : o) {
    const FieldSpec* spec = nullptr;
    for (const FieldSpec& f : fields) {
      if (f.name == member.key()) spec = &f;
    }
    std::string key(member.key());
    if (spec == nullptr) {
      return base::FieldError(key, "unknown field '" + key + "'");
    }
    if (!member.value().is_null() && !HasType(member.value(), spec->type)) {
      return base::FieldError(key, "'" + key + "' must be " + std::string(TypeName(spec->type)));
    }
  }
  for (const FieldSpec& f : fields) {
    auto it = o.find(f.name);
    if (f.required && (it == o.end() || it->value().is_null())) {
      return base::FieldError(std::string(f.name), "'" + std::string(f.name) + "' is required");
    }
  }
  return std::move(o);
}

std::optional<std::string> GetString(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

std::optional<bool> GetBool(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_bool()) return std::nullopt;
  return it->value().as_bool();
}

std::optional<std::vector<std::string>> GetStringArray(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const json::value& item : it->value().as_array()) {
    out.emplace_back(item.as_string());
  }
  return out;
}

}  // namespace edgegate::admin
