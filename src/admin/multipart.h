// A small, strict reader of multipart/form-data bodies (RFC 7578 over RFC 2046 framing), for
// the bundle upload (`curl -F file=@bundle.zip`). Why hand-written: no well-kept Debian library
// does just this, and the subset needed is small: CRLF line ends, a boundary from the
// Content-Type, per-part headers with Content-Disposition. It is bounded: at most kMaxParts
// parts and kMaxPartHeaderBytes of headers per part; parts are views, never copies.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace edgegate::admin {

inline constexpr size_t kMaxParts = 16;
inline constexpr size_t kMaxPartHeaderBytes = 8 * 1024;

struct FormPart {
  std::string name;          // Content-Disposition name="..."
  std::string filename;      // Content-Disposition filename="..." ("" if none)
  std::string content_type;  // the part's Content-Type ("" if none)
  std::string_view body;     // borrowed from the parsed body
};

// The boundary of a `multipart/form-data; boundary=...` Content-Type value (quoted or not).
// InvalidArgument (field "Content-Type") if the type is another one, or the boundary is missing,
// longer than 70 characters or holds characters RFC 2046 does not allow.
base::Result<std::string> MultipartBoundary(std::string_view content_type);

// Splits `body` into its parts. InvalidArgument (field "body") if the body does not start with
// the boundary delimiter, a part's headers are malformed, unterminated or too long, a part has
// no form-data Content-Disposition with a name, there are more than kMaxParts parts, or the
// closing delimiter is missing. The preamble must be empty; the epilogue is ignored.
// The returned views borrow `body`.
base::Result<std::vector<FormPart>> ParseMultipart(std::string_view body,
                                                   std::string_view boundary);

}  // namespace edgegate::admin
