// Request and Context: lookups over the borrowed eg_request views and the host function table.
#include <charconv>

#include "edgegate/sdk.hpp"
#include "sdk/json_builder.h"

namespace edgegate {
namespace {

std::string_view View(eg_str s) noexcept {
  return s.size == 0 ? std::string_view() : std::string_view(s.data, s.size);
}

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) {
      return false;
    }
  }
  return true;
}

bool EqualsExactly(std::string_view a, std::string_view b) { return a == b; }

using NameMatcher = bool (*)(std::string_view, std::string_view);

// The matcher is a template argument, so that each lookup compiles to a direct loop (path_param
// runs on nearly every request of a route with parameters).
template <NameMatcher matches>
std::optional<std::string_view> FindFirst(const eg_pair* pairs, std::size_t count,
                                          std::string_view name) {
  for (std::size_t i = 0; i < count; ++i) {
    if (matches(View(pairs[i].name), name)) {
      return View(pairs[i].value);
    }
  }
  return std::nullopt;
}

template <NameMatcher matches>
std::vector<std::string_view> FindAll(const eg_pair* pairs, std::size_t count,
                                      std::string_view name) {
  std::vector<std::string_view> values;
  for (std::size_t i = 0; i < count; ++i) {
    if (matches(View(pairs[i].name), name)) {
      values.push_back(View(pairs[i].value));
    }
  }
  return values;
}

std::optional<std::int64_t> ParseInt64(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  if (text.empty() || result.ec != std::errc() || result.ptr != end) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

void Request::EnsureQueryLoaded() const {
  if (query_loaded_) {
    return;
  }
  query_loaded_ = true;
  if (host_->query_params != nullptr) {
    query_ = host_->query_params(call_, &query_count_);
  }
  if (query_ == nullptr) {
    query_count_ = 0;
  }
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  EnsureQueryLoaded();
  return FindFirst<EqualsExactly>(query_, query_count_, name);
}

std::vector<std::string_view> Request::query_params(std::string_view name) const {
  EnsureQueryLoaded();
  return FindAll<EqualsExactly>(query_, query_count_, name);
}

std::optional<std::string_view> Request::path_param(std::string_view name) const {
  return FindFirst<EqualsExactly>(request_->path_params, request_->path_param_count, name);
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  return FindFirst<EqualsIgnoreCase>(request_->headers, request_->header_count, name);
}

std::vector<std::string_view> Request::headers(std::string_view name) const {
  return FindAll<EqualsIgnoreCase>(request_->headers, request_->header_count, name);
}

const Json& Request::json() const {
  if (json_.has_value()) {
    return *json_;
  }
  if (body().empty()) {
    throw HttpError(400, "malformed JSON body: empty body");
  }
  Json value;
  std::string error;
  if (!detail::ParseJson(*host_, call_, body(), &value, &error)) {
    throw HttpError(400, "malformed JSON body: " + error);
  }
  json_.emplace(std::move(value));
  return *json_;
}

std::string_view Request::require_query(std::string_view name) const {
  const std::optional<std::string_view> value = query_param(name);
  if (!value.has_value()) {
    throw HttpError(400, "missing query parameter '" + std::string(name) + "'");
  }
  return *value;
}

std::string_view Request::require_path_param(std::string_view name) const {
  const std::optional<std::string_view> value = path_param(name);
  if (!value.has_value()) {
    throw HttpError(400, "missing path parameter '" + std::string(name) + "'");
  }
  return *value;
}

std::optional<std::int64_t> Request::query_int(std::string_view name) const {
  const std::optional<std::string_view> text = query_param(name);
  if (!text.has_value()) {
    return std::nullopt;
  }
  const std::optional<std::int64_t> value = ParseInt64(*text);
  if (!value.has_value()) {
    throw HttpError(400, "query parameter '" + std::string(name) + "' must be an integer");
  }
  return value;
}

void Context::log(LogLevel level, std::string_view message) const {
  int eg_level = EG_LOG_INFO;
  switch (level) {
    case LogLevel::kDebug:
      eg_level = EG_LOG_DEBUG;
      break;
    case LogLevel::kInfo:
      eg_level = EG_LOG_INFO;
      break;
    case LogLevel::kWarn:
      eg_level = EG_LOG_WARN;
      break;
    case LogLevel::kError:
      eg_level = EG_LOG_ERROR;
      break;
  }
  host_->log(call_, eg_level, eg_str{message.data(), message.size()});
}

std::string_view Context::endpoint_id() const noexcept { return View(request_->endpoint_id); }

std::string_view Context::request_id() const noexcept { return View(request_->request_id); }

Json Context::parse_json(std::string_view text) const {
  Json value;
  std::string error;
  if (!detail::ParseJson(*host_, call_, text, &value, &error)) {
    throw std::invalid_argument("malformed JSON: " + error);
  }
  return value;
}

}  // namespace edgegate
