// An HTTP/1.1 request parser built on Beast's basic_parser: Beast does the parsing (request line,
// fields, chunked framing, limits); this class only records what it reports as views into the
// connection's input buffer, so that a request with a small body is served without copying its
// header. Stricter than Beast where request smuggling is at stake: a second Content-Length (even
// an equal one) and a Transfer-Encoding other than exactly "chunked" are rejected.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <string>
#include <vector>

#include "http/request.h"

namespace edgegate::http {

// What the parser collected about one request. Reused across the messages of a connection.
// Views point into the input buffer until Detach() copies them into `arena`.
struct ParsedRequest {
  std::string_view method;
  std::string_view target;
  unsigned version = 11;
  std::string_view host;
  std::vector<Header> headers;
  std::string body;
  bool expect_continue = false;
  int content_length_fields = 0;
  std::string arena;

  void Reset();
  // Copies every view into `arena` so the input buffer may be compacted, grown or released. Call
  // it whenever a message is incomplete before reading more: Beast reports the request line and
  // the first fields as soon as they arrive, even while the rest of the header is missing.
  void Detach();
};

// Parses one message. Construct a new one per message (Beast parsers are single-use); the
// ParsedRequest it fills outlives it. Thread-compatible.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  RequestParser(ParsedRequest& out, size_t max_header_bytes, size_t max_header_count,
                uint64_t max_body_bytes);

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code&) override {}

  ParsedRequest& out_;
  size_t max_header_count_;
};

// Returns the status to answer a parse error with: 431 header too large or too many fields, 413
// body too large, 400 for everything else (malformed, smuggling attempts, bad chunks).
int StatusForParseError(const boost::beast::error_code& ec);

}  // namespace edgegate::http
