// Response builders and HttpError. Content types of the helpers are string literals, so the
// common response allocates only its body (and nothing at all when the body fits SSO).
#include "edgegate/sdk.hpp"

namespace edgegate {
namespace {

constexpr char kJsonType[] = "application/json";
constexpr char kTextType[] = "text/plain; charset=utf-8";
constexpr char kHtmlType[] = "text/html; charset=utf-8";
constexpr char kOctetStreamType[] = "application/octet-stream";

// RFC 9110 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!IsTokenChar(c)) {
      return false;
    }
  }
  return true;
}

// CR, LF and NUL would let a value end the header (response splitting).
bool IsSafeHeaderValue(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool IsContentType(std::string_view name) {
  constexpr std::string_view kName = "content-type";
  if (name.size() != kName.size()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c) != kName[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

const char* HttpError::what() const noexcept { return message_.c_str(); }

Response Response::Error(int status, std::string message) {
  return json(status, Json::object({{"error", std::move(message)}}));
}

Response Response::ok(const Json& body) { return json(200, body); }

Response Response::json(int status, const Json& body) {
  return Response(status, kJsonType, body.dump());
}

Response Response::text(int status, std::string body) {
  return Response(status, kTextType, std::move(body));
}

Response Response::html(int status, std::string body) {
  return Response(status, kHtmlType, std::move(body));
}

Response Response::binary(int status, std::string bytes, std::string content_type) {
  Response response(status, kOctetStreamType, std::move(bytes));
  if (!content_type.empty()) {
    response.with_header("Content-Type", std::move(content_type));
  }
  return response;
}

Response Response::created(const Json& body) {
  return body.is_null() ? Response(201, "", {}) : json(201, body);
}

Response Response::accepted(const Json& body) {
  return body.is_null() ? Response(202, "", {}) : json(202, body);
}

Response Response::no_content() { return Response(204, "", {}); }

Response Response::redirect(std::string location, int status) {
  Response response(status, "", {});
  response.with_header("Location", std::move(location));
  return response;
}

Response Response::bad_request(std::string message) { return Error(400, std::move(message)); }

Response Response::unauthorized(std::string message) { return Error(401, std::move(message)); }

Response Response::forbidden(std::string message) { return Error(403, std::move(message)); }

Response Response::not_found(std::string message) { return Error(404, std::move(message)); }

Response Response::conflict(std::string message) { return Error(409, std::move(message)); }

Response Response::internal_error(std::string message) { return Error(500, std::move(message)); }

Response Response::service_unavailable(std::string message) {
  return Error(503, std::move(message));
}

Response& Response::with_header(std::string name, std::string value) & {
  if (!IsToken(name)) {
    throw std::invalid_argument("invalid header name '" + name + "'");
  }
  if (!IsSafeHeaderValue(value)) {
    throw std::invalid_argument("header '" + name + "' has CR, LF or NUL in its value");
  }
  if (IsContentType(name)) {
    custom_content_type_ = std::move(value);
  } else {
    headers_.push_back(Header{std::move(name), std::move(value)});
  }
  return *this;
}

Response&& Response::with_header(std::string name, std::string value) && {
  return std::move(with_header(std::move(name), std::move(value)));
}

}  // namespace edgegate
