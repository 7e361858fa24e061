// Validation and parsing of host, method and path patterns. See pattern.h for the rules.
#include "router/pattern.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <unordered_set>

#include "base/swar.h"

namespace edgegate::router {
namespace {

using base::FieldError;
using base::OkStatus;

constexpr std::array<std::string_view, 7> kMethods = {"GET",    "POST", "PUT",    "PATCH",
                                                      "DELETE", "HEAD", "OPTIONS"};
constexpr size_t kMaxHostLength = 253;
constexpr size_t kMaxLabelLength = 63;

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char ToUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHostChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '-' || c == '_'; }

int HexValue(char c) {
  if (IsDigit(c)) {
    return c - '0';
  }
  char l = ToLower(c);
  return (l >= 'a' && l <= 'f') ? l - 'a' + 10 : -1;
}

// Appends rather than "'" + std::string(s): GCC 12 at -O3 warns (-Wrestrict, a false positive)
// on the inlined operator+.
std::string Quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  return out.append(1, '\'').append(s).append(1, '\'');
}

// ---- Hosts ----

Status DomainError(std::string_view pattern, std::string_view why) {
  return FieldError("domain", "invalid domain " + Quoted(pattern) + ": " + std::string(why));
}

// Checks "[v6]" with only hex digits, ':' and '.' inside (the textual form is not normalised).
Status ValidateIpv6Literal(std::string_view pattern) {
  if (pattern.size() < 4 || pattern.back() != ']') {
    return DomainError(pattern, "an IPv6 address is written in brackets, as in [::1], no port");
  }
  std::string_view inner = pattern.substr(1, pattern.size() - 2);
  bool ok = std::all_of(inner.begin(), inner.end(),
                        [](char c) { return HexValue(c) >= 0 || c == ':' || c == '.'; });
  return ok ? OkStatus() : DomainError(pattern, "not an IPv6 address");
}

// Checks a dot-separated host name without any '*'.
Status ValidateHostName(std::string_view full, std::string_view name) {
  if (name.empty() || name.size() > kMaxHostLength) {
    return DomainError(full, "a host name has 1 to 253 characters");
  }
  if (name.front() == '.') {
    return DomainError(full, "must not start with a dot");
  }
  if (name.back() == '.') {
    return DomainError(full, "must not end with a dot");
  }
  size_t label_length = 0;
  for (char c : name) {
    if (c == '.') {
      if (label_length == 0) {
        return DomainError(full, "empty label ('..')");
      }
      label_length = 0;
    } else if (!IsHostChar(c)) {
      return DomainError(full, "character " + Quoted(std::string_view(&c, 1)) +
                                   " is not allowed (letters, digits, '-', '_', '.')");
    } else if (++label_length > kMaxLabelLength) {
      return DomainError(full, "a label has at most 63 characters");
    }
  }
  return OkStatus();
}

// ---- Paths ----

Status PathError(std::string_view pattern, std::string_view why) {
  return FieldError("path", "invalid path " + Quoted(pattern) + ": " + std::string(why));
}

bool IsValidName(std::string_view name) {
  if (name.empty() || !(IsAlpha(name[0]) || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlpha(c) || IsDigit(c) || c == '_'; });
}

// RFC 3986 pchar minus '%' (escapes are checked separately): unreserved, sub-delims, ':', '@'.
bool IsPathChar(char c) {
  static constexpr std::string_view kOthers = "-._~!$&'()*+,;=:@";
  return IsAlpha(c) || IsDigit(c) || kOthers.find(c) != std::string_view::npos;
}

// Parses "{name}" or "{*name}" (the braces included in `text`) into `out`.
Status ParseParamSegment(std::string_view pattern, std::string_view text, PatternSegment& out) {
  if (text.find('}') == std::string_view::npos) {
    return PathError(pattern, "unbalanced braces: " + Quoted(text) + " has no closing '}'");
  }
  if (text.back() != '}') {
    return PathError(
        pattern, "a parameter must be a whole segment, as in /pets/{id}; found " + Quoted(text));
  }
  std::string_view name = text.substr(1, text.size() - 2);
  out.kind = SegmentKind::kParam;
  if (!name.empty() && name[0] == '*') {
    out.kind = SegmentKind::kCatchAll;
    name.remove_prefix(1);
  }
  if (name.find_first_of("{}") != std::string_view::npos) {
    return PathError(pattern, "unbalanced braces in " + Quoted(text));
  }
  if (name.empty()) {
    return PathError(pattern, "empty parameter name in " + Quoted(text));
  }
  if (!IsValidName(name)) {
    return PathError(pattern,
                     "parameter name " + Quoted(name) + " must match [A-Za-z_][A-Za-z0-9_]*");
  }
  out.text = std::string(name);
  return OkStatus();
}

// Parses a literal segment into `out`, decoding %XX escapes.
Status ParseLiteralSegment(std::string_view pattern, std::string_view text, PatternSegment& out) {
  if (text == "." || text == "..") {
    return PathError(pattern, "'.' and '..' segments are not allowed");
  }
  if (text == "*") {
    return PathError(pattern,
                     "a bare '*' segment is not a wildcard; write {*name} to match the "
                     "rest of the path");
  }
  if (text.find('{') == std::string_view::npos && text.find('}') != std::string_view::npos) {
    return PathError(pattern, "unbalanced braces: " + Quoted(text) + " has '}' without '{'");
  }
  for (char c : text) {
    if (c == '{' || c == '}') {
      return PathError(
          pattern, "a parameter must be a whole segment, as in /pets/{id}; found " + Quoted(text));
    }
    if (c != '%' && !IsPathChar(c)) {
      return PathError(pattern, "character " + Quoted(std::string_view(&c, 1)) +
                                    " is not allowed; percent-encode it");
    }
  }
  out.kind = SegmentKind::kLiteral;
  if (!PercentDecode(text, &out.text)) {
    return PathError(pattern, "invalid percent-escape in " + Quoted(text));
  }
  return OkStatus();
}

// Checks the whole-pattern rules that are not about one segment.
Status CheckPathShape(std::string_view pattern) {
  if (pattern.empty() || pattern[0] != '/') {
    return PathError(pattern, "must start with '/'");
  }
  if (pattern.size() > kMaxPathPatternLength) {
    return PathError(pattern.substr(0, 32), "longer than 2048 characters");
  }
  if (pattern.find_first_of("?#") != std::string_view::npos) {
    return PathError(pattern, "must not contain a query ('?') or fragment ('#')");
  }
  if (pattern.size() > 1 && pattern.back() == '/') {
    return PathError(pattern, "must not end with '/' (a request for /a/ also matches /a)");
  }
  if (pattern.find("//") != std::string_view::npos) {
    return PathError(pattern, "empty segment ('//')");
  }
  return OkStatus();
}

// Checks the cross-segment rules: catch-all last, names unique, segment count.
Status CheckSegments(std::string_view pattern, const std::vector<PatternSegment>& segments) {
  if (segments.size() > kMaxPathPatternSegments) {
    return PathError(pattern, "more than 64 segments");
  }
  std::unordered_set<std::string_view> names;
  for (size_t i = 0; i < segments.size(); ++i) {
    const PatternSegment& s = segments[i];
    if (s.kind == SegmentKind::kCatchAll && i + 1 != segments.size()) {
      return PathError(pattern, "{*" + s.text + "} must be the last segment");
    }
    if (s.kind != SegmentKind::kLiteral && !names.insert(s.text).second) {
      return PathError(pattern, "parameter name " + Quoted(s.text) + " is used twice");
    }
  }
  return OkStatus();
}

// Appends `literal` to `out` with every byte that is not a plain path character as %XX.
void AppendCanonicalLiteral(std::string_view literal, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : literal) {
    if (IsPathChar(c)) {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    }
  }
}

}  // namespace

Status ValidateHostPattern(std::string_view pattern) {
  if (pattern.empty()) {
    return FieldError("domain", "domain must not be empty (use '*' for any host)");
  }
  if (pattern == "*") {
    return OkStatus();
  }
  if (pattern.find_first_of(" \t") != std::string_view::npos) {
    return DomainError(pattern, "must not contain spaces");
  }
  if (pattern[0] == '[') {
    return ValidateIpv6Literal(pattern);
  }
  if (pattern.find(':') != std::string_view::npos) {
    return DomainError(pattern, "must not include a port");
  }
  if (pattern.find("**") != std::string_view::npos) {
    return DomainError(pattern, "'**' is not allowed; '*.' matches one or more labels");
  }
  std::string_view name = pattern;
  if (name.starts_with("*.")) {
    name.remove_prefix(2);
  }
  if (name.find('*') != std::string_view::npos) {
    return DomainError(pattern,
                       "'*' is only allowed as the whole first label, as in *.example.com");
  }
  return ValidateHostName(pattern, name);
}

std::string NormalizeHostPattern(std::string_view pattern) {
  std::string out(pattern);
  std::transform(out.begin(), out.end(), out.begin(), ToLower);
  return out;
}

namespace {

// Eight bytes at a time over a Host header (runs whenever a loop sees another Host than on its
// previous request): where the first ':' is, and whether an upper-case letter may come before
// it. The upper-case answer may be a false "yes" (a letter after the ':', in a malformed
// header), which only costs a lower-casing copy.
struct HostScan {
  size_t colon;  // offset of the first ':', or the size
  bool maybe_upper;
};

HostScan ScanHost(std::string_view host) {
  using base::swar::kHighs;
  using base::swar::kOnes;
  const char* p = host.data();
  const size_t n = host.size();
  uint64_t upper = 0;
  auto scan_word = [&](uint64_t w) {  // returns the ':' bits of w
    // A byte b < 0x80 is in 'A'..'Z' when b + (0x80 - 'A') has its high bit set and
    // b + (0x80 - 'Z' - 1) does not; ~w drops bytes >= 0x80. Such a byte can carry into its
    // neighbour's first sum only, which at worst makes the neighbour look upper-case.
    upper |= (w + kOnes * (0x80 - 'A')) & ~(w + kOnes * (0x80 - 'Z' - 1)) & ~w & kHighs;
    return base::swar::BytesEqual(w, ':');
  };
  size_t i = 0;
  if (n >= 8) {
    for (; i + 8 <= n; i += 8) {
      if (uint64_t colon = scan_word(base::swar::Load64(p + i))) {
        return {i + base::swar::FirstByte(colon), upper != 0};
      }
    }
    if (i < n) {  // the tail, as the last eight bytes: the overlap was already clean of ':'
      if (uint64_t colon = scan_word(base::swar::Load64(p + n - 8))) {
        return {n - 8 + base::swar::FirstByte(colon), upper != 0};
      }
    }
    return {n, upper != 0};
  }
  bool has_upper = false;
  for (; i < n && p[i] != ':'; ++i) {
    has_upper |= p[i] >= 'A' && p[i] <= 'Z';
  }
  return {i, has_upper};
}

}  // namespace

std::string_view NormalizeRequestHost(std::string_view host, std::string* scratch) {
  bool has_upper = false;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(0, std::min(host.find(']'), host.size() - 1) + 1);
    has_upper = std::any_of(host.begin(), host.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  } else {
    const HostScan scan = ScanHost(host);
    has_upper = scan.maybe_upper;
    host = host.substr(0, scan.colon);
    if (!host.empty() && host.back() == '.') {
      host.remove_suffix(1);
    }
  }
  if (!has_upper) {
    return host;
  }
  scratch->assign(host);
  for (char& c : *scratch) {
    c = ToLower(c);
  }
  return *scratch;
}

Status ValidateMethod(std::string_view method) {
  std::string upper = NormalizeMethod(method);
  if (std::find(kMethods.begin(), kMethods.end(), upper) != kMethods.end()) {
    return OkStatus();
  }
  return FieldError("method", "invalid method " + Quoted(method) +
                                  ": expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
}

std::string NormalizeMethod(std::string_view method) {
  std::string out(method);
  std::transform(out.begin(), out.end(), out.begin(), ToUpper);
  return out;
}

Result<PathPattern> ParsePathPattern(std::string_view pattern) {
  RETURN_IF_ERROR(CheckPathShape(pattern));
  PathPattern parsed;
  std::string_view rest = pattern.substr(1);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view text = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    PatternSegment& segment = parsed.segments.emplace_back();
    if (text[0] == '{') {
      RETURN_IF_ERROR(ParseParamSegment(pattern, text, segment));
    } else {
      RETURN_IF_ERROR(ParseLiteralSegment(pattern, text, segment));
    }
  }
  RETURN_IF_ERROR(CheckSegments(pattern, parsed.segments));
  return parsed;
}

std::string RouteShape(const PathPattern& pattern) {
  if (pattern.segments.empty()) {
    return "/";
  }
  std::string shape;
  for (const PatternSegment& s : pattern.segments) {
    shape.push_back('/');
    switch (s.kind) {
      case SegmentKind::kLiteral:
        AppendCanonicalLiteral(s.text, shape);
        break;
      case SegmentKind::kParam:
        shape += "{}";
        break;
      case SegmentKind::kCatchAll:
        shape += "{*}";
        break;
    }
  }
  return shape;
}

bool PercentDecode(std::string_view in, std::string* out) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    int hi = i + 2 < in.size() ? HexValue(in[i + 1]) : -1;
    int lo = hi >= 0 ? HexValue(in[i + 2]) : -1;
    if (lo < 0) {
      return false;
    }
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace edgegate::router
