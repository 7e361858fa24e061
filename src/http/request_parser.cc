// Beast-backed request parser: field recording and smuggling checks.
#include "http/request_parser.h"

#include <boost/beast/http/error.hpp>

#include "base/strings.h"

namespace edgegate::http {

using base::EqualsIgnoreCase;
namespace bhttp = boost::beast::http;

namespace {

std::string_view View(boost::beast::string_view v) { return {v.data(), v.size()}; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Moves `view` into `arena` (which has room reserved) and returns the new view.
std::string_view CopyInto(std::string& arena, std::string_view view) {
  size_t at = arena.size();
  arena.append(view);
  return std::string_view(arena).substr(at, view.size());
}

}  // namespace

void ParsedRequest::Reset() {
  method = target = host = {};
  version = 11;
  headers.clear();
  body.clear();
  expect_continue = false;
  content_length_fields = 0;
  arena.clear();
}

void ParsedRequest::Detach() {
  size_t total = method.size() + target.size() + host.size();
  for (const Header& h : headers) total += h.name.size() + h.value.size();
  // Some views may already point into `arena` (an earlier Detach of this message): copy all into
  // a fresh arena first, then replace the old one.
  std::string fresh;
  fresh.reserve(total + 32);  // > SSO and never reallocated below: the new views stay valid
  method = CopyInto(fresh, method);
  target = CopyInto(fresh, target);
  host = CopyInto(fresh, host);
  for (Header& h : headers) {
    h.name = CopyInto(fresh, h.name);
    h.value = CopyInto(fresh, h.value);
  }
  arena.swap(fresh);  // swapping heap buffers keeps the addresses the views point to
}

RequestParser::RequestParser(ParsedRequest& out, size_t max_header_bytes,
                             size_t max_header_count, uint64_t max_body_bytes)
    : out_(out), max_header_count_(max_header_count) {
  out_.Reset();
  header_limit(static_cast<std::uint32_t>(max_header_bytes));
  body_limit(max_body_bytes);
  eager(true);
}

void RequestParser::on_request_impl(bhttp::verb, string_view method, string_view target,
                                    int version, error_code&) {
  out_.method = View(method);
  out_.target = View(target);
  out_.version = static_cast<unsigned>(version);
}

void RequestParser::on_field_impl(bhttp::field name, string_view name_string, string_view value,
                                  error_code& ec) {
  if (out_.headers.size() >= max_header_count_) {
    ec = bhttp::error::header_limit;
    return;
  }
  std::string_view v = View(value);
  switch (name) {
    case bhttp::field::content_length:
      if (++out_.content_length_fields > 1) {
        ec = bhttp::error::multiple_content_length;
        return;
      }
      break;
    case bhttp::field::transfer_encoding:
      if (!EqualsIgnoreCase(Trim(v), "chunked")) {
        ec = bhttp::error::bad_transfer_encoding;
        return;
      }
      break;
    case bhttp::field::host:
      if (!out_.host.empty()) {
        ec = bhttp::error::bad_value;  // two Host fields: ambiguous routing
        return;
      }
      out_.host = v;
      break;
    case bhttp::field::expect:
      out_.expect_continue = EqualsIgnoreCase(Trim(v), "100-continue");
      break;
    default:
      break;
  }
  out_.headers.push_back(Header{View(name_string), v});
}

void RequestParser::on_header_impl(error_code& ec) {
  if (out_.version >= 11 && out_.host.empty()) {
    ec = bhttp::error::bad_value;  // RFC 9112 §3.2: HTTP/1.1 requests carry Host
  }
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code&) {
  if (content_length) {
    out_.body.reserve(static_cast<size_t>(*content_length));
  }
}

size_t RequestParser::on_body_impl(string_view body, error_code&) {
  out_.body.append(body.data(), body.size());
  return body.size();
}

void RequestParser::on_chunk_header_impl(std::uint64_t, string_view, error_code&) {}

size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  out_.body.append(body.data(), body.size());
  return body.size();
}

int StatusForParseError(const boost::beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) return 431;
  if (ec == bhttp::error::body_limit) return 413;
  return 400;
}

}  // namespace edgegate::http
