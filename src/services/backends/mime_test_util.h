// Tests only: small decoders that read back what mime.cc writes (quoted-printable, RFC 2047
// B-encoded words, headers and multipart/alternative parts), so mime_test.cc can round-trip the
// encodings and email_test.cc / outbox_test.cc can assert on captured messages. They handle the
// subset mime.cc produces, nothing more.
#pragma once

#include <boost/beast/core/detail/base64.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/strings.h"

namespace edgegate::services::backends::mime::testing {

inline std::string DecodeQuotedPrintable(std::string_view qp) {
  auto hex = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
  std::string out;
  for (size_t i = 0; i < qp.size(); ++i) {
    if (qp.substr(i, 3) == "=\r\n") {
      i += 2;
    } else if (qp[i] == '=' && i + 2 < qp.size()) {
      out += static_cast<char>(hex(qp[i + 1]) * 16 + hex(qp[i + 2]));
      i += 2;
    } else if (qp.substr(i, 2) == "\r\n") {
      out += '\n';
      i += 1;
    } else {
      out += qp[i];
    }
  }
  return out;
}

inline std::string DecodeBase64(std::string_view text) {
  namespace base64 = boost::beast::detail::base64;
  std::string out(base64::decoded_size(text.size()), '\0');
  out.resize(base64::decode(out.data(), text.data(), text.size()).first);
  return out;
}

// Unfolds a header value and decodes its =?UTF-8?B?...?= words (blanks between two adjacent
// encoded words vanish, as RFC 2047 §6.2 says).
inline std::string DecodeHeader(std::string_view value) {
  std::string unfolded;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value.substr(i, 2) != "\r\n") {
      unfolded += value[i];
    } else {
      ++i;
    }
  }
  std::string out;
  bool after_word = false;
  std::string pending_blanks;
  for (size_t i = 0; i < unfolded.size();) {
    size_t end = unfolded.find("?=", i + 10);
    if (unfolded.compare(i, 10, "=?UTF-8?B?") == 0 && end != std::string::npos) {
      out += DecodeBase64(std::string_view(unfolded).substr(i + 10, end - i - 10));
      pending_blanks.clear();
      after_word = true;
      i = end + 2;
    } else if (unfolded[i] == ' ' || unfolded[i] == '\t') {
      (after_word ? pending_blanks : out) += unfolded[i++];
    } else {
      out += pending_blanks;
      pending_blanks.clear();
      after_word = false;
      out += unfolded[i++];
    }
  }
  return out + pending_blanks;
}

// A message or a body part: unfolded headers and the raw body.
struct ParsedMessage {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  bool Has(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (base::EqualsIgnoreCase(key, name)) {
        return true;
      }
    }
    return false;
  }
  // The first header `name`, unfolded but not decoded; empty when absent.
  std::string Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (base::EqualsIgnoreCase(key, name)) {
        return value;
      }
    }
    return {};
  }
};

inline ParsedMessage ParseMessage(std::string_view raw) {
  ParsedMessage m;
  size_t blank = raw.find("\r\n\r\n");
  std::string_view head = raw.substr(0, blank);
  m.body = blank == std::string_view::npos ? "" : std::string(raw.substr(blank + 4));
  size_t start = 0;
  while (start < head.size()) {
    size_t end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end == head.npos ? head.npos : end - start);
    start = end == head.npos ? head.size() : end + 2;
    if ((line.front() == ' ' || line.front() == '\t') && !m.headers.empty()) {
      m.headers.back().second += line;  // a folded continuation: unfolding drops the CRLF only
      continue;
    }
    size_t colon = line.find(':');
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    m.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return m;
}

// The parts of a multipart message (empty if it has no boundary parameter).
inline std::vector<ParsedMessage> SplitMultipart(const ParsedMessage& message) {
  std::string type = message.Header("Content-Type");
  size_t at = type.find("boundary=\"");
  if (at == std::string::npos) {
    return {};
  }
  std::string boundary = "--" + type.substr(at + 10, type.find('"', at + 10) - at - 10);
  std::vector<ParsedMessage> parts;
  std::string_view body = message.body;
  size_t pos = body.find(boundary);
  while (pos != std::string_view::npos && body.compare(pos + boundary.size(), 2, "--") != 0) {
    size_t start = pos + boundary.size() + 2;  // after the delimiter's CRLF
    size_t next = body.find("\r\n" + boundary, start);
    if (next == std::string_view::npos) {
      break;
    }
    parts.push_back(ParseMessage(body.substr(start, next - start)));
    pos = next + 2;
  }
  return parts;
}

}  // namespace edgegate::services::backends::mime::testing
