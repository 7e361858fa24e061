// multipart/form-data framing: boundary delimiters, part headers, Content-Disposition params.
#include "admin/multipart.h"

#include <cctype>
#include <optional>
#include <utility>

#include "base/strings.h"

namespace edgegate::admin {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr size_t kMaxBoundary = 70;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

base::Status BodyError(std::string message) {
  return base::FieldError("body", "malformed multipart body: " + std::move(message));
}

// Parameters after the first ';' of a header value: name=token or name="quoted \" string".
// nullopt on a malformed list. Names are lower-cased.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseParams(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!(s = Trim(s)).empty()) {
    if (s.front() != ';') return std::nullopt;
    s = Trim(s.substr(1));
    size_t eq = s.find('=');
    if (eq == 0 || eq == s.npos) return std::nullopt;
    std::string name(Trim(s.substr(0, eq)));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    s = Trim(s.substr(eq + 1));
    std::string value;
    if (!s.empty() && s.front() == '"') {
      size_t i = 1;
      for (; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value += s[i];
      }
      if (i == s.size()) return std::nullopt;  // unterminated quote
      s = s.substr(i + 1);
    } else {
      size_t end = s.find(';');
      value = std::string(Trim(s.substr(0, end)));
      s = end == s.npos ? std::string_view() : s.substr(end);
    }
    params.emplace_back(std::move(name), std::move(value));
  }
  return params;
}

bool IsBoundaryChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// Fills `part` from one header line; unknown headers are ignored.
base::Status ReadHeader(std::string_view line, FormPart& part, bool& has_disposition) {
  size_t colon = line.find(':');
  if (colon == 0 || colon == line.npos) {
    return BodyError("part header line without a name");
  }
  std::string_view name = line.substr(0, colon), value = Trim(line.substr(colon + 1));
  if (base::EqualsIgnoreCase(name, "content-type")) {
    part.content_type = std::string(value);
  } else if (base::EqualsIgnoreCase(name, "content-disposition")) {
    size_t semi = value.find(';');
    auto params = ParseParams(semi == value.npos ? std::string_view() : value.substr(semi));
    if (!base::EqualsIgnoreCase(Trim(value.substr(0, semi)), "form-data") || !params) {
      return BodyError("Content-Disposition must be form-data with parameters");
    }
    for (auto& [key, v] : *params) {
      if (key == "name") part.name = std::move(v);
      if (key == "filename") part.filename = std::move(v);
    }
    has_disposition = true;
  }
  return base::OkStatus();
}

// Parses the header block of a part (without its final empty line).
base::Status ReadHeaders(std::string_view block, FormPart& part) {
  bool has_disposition = false;
  while (!block.empty()) {
    size_t end = block.find(kCrlf);
    RETURN_IF_ERROR(ReadHeader(block.substr(0, end), part, has_disposition));
    block = end == block.npos ? std::string_view() : block.substr(end + kCrlf.size());
  }
  if (!has_disposition || part.name.empty()) {
    return BodyError("a part lacks Content-Disposition: form-data; name=\"...\"");
  }
  return base::OkStatus();
}

}  // namespace

base::Result<std::string> MultipartBoundary(std::string_view content_type) {
  size_t semi = content_type.find(';');
  auto error = [](std::string m) { return base::FieldError("Content-Type", std::move(m)); };
  if (!base::EqualsIgnoreCase(Trim(content_type.substr(0, semi)), "multipart/form-data")) {
    return error("expected multipart/form-data");
  }
  auto params = ParseParams(semi == content_type.npos ? "" : content_type.substr(semi));
  if (!params) {
    return error("malformed Content-Type parameters");
  }
  for (const auto& [key, value] : *params) {
    if (key != "boundary") continue;
    bool valid = !value.empty() && value.size() <= kMaxBoundary && value.back() != ' ';
    for (char c : value) valid = valid && IsBoundaryChar(c);
    if (!valid) {
      return error("invalid multipart boundary (1 to 70 characters of RFC 2046's set)");
    }
    return value;
  }
  return error("multipart/form-data without a boundary parameter");
}

base::Result<std::vector<FormPart>> ParseMultipart(std::string_view body,
                                                   std::string_view boundary) {
  const std::string delimiter = "--" + std::string(boundary);
  const std::string separator = std::string(kCrlf) + delimiter;
  if (!body.starts_with(delimiter)) {
    return BodyError("it does not start with the boundary delimiter");
  }
  size_t pos = delimiter.size();
  std::vector<FormPart> parts;
  while (true) {
    std::string_view after = body.substr(pos);
    if (after.starts_with("--")) {
      return parts;  // closing delimiter; the epilogue is ignored
    }
    if (!after.starts_with(kCrlf)) {
      return BodyError("a boundary delimiter is not followed by CRLF or '--'");
    }
    if (parts.size() == kMaxParts) {
      return BodyError("more than " + std::to_string(kMaxParts) + " parts");
    }
    pos += kCrlf.size();
    size_t headers_end = body.find("\r\n\r\n", pos - kCrlf.size());
    if (headers_end == body.npos || headers_end + 2 - pos > kMaxPartHeaderBytes) {
      return BodyError("part headers are unterminated or longer than " +
                       std::to_string(kMaxPartHeaderBytes) + " bytes");
    }
    FormPart part;
    // The block runs from pos to headers_end (empty when the headers end right away).
    std::string_view block = headers_end < pos ? "" : body.substr(pos, headers_end - pos);
    RETURN_IF_ERROR(ReadHeaders(block, part));
    size_t content = headers_end + 4;
    size_t next = body.find(separator, content);
    if (next == body.npos) {
      return BodyError("the closing boundary delimiter is missing");
    }
    part.body = body.substr(content, next - content);
    parts.push_back(std::move(part));
    pos = next + separator.size();
  }
}

}  // namespace edgegate::admin
