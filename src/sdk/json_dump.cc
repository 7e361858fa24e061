// edgegate::Json serialisation (compact JSON text) and deep equality.
//
// The writer always produces valid JSON even from invalid input: control characters are
// escaped, invalid UTF-8 bytes become U+FFFD, and non-finite doubles become null. Doubles are
// written with std::to_chars (shortest round-trip form) so parse(dump(x)) == x.
#include <charconv>
#include <cmath>

#include "edgegate/sdk.hpp"

namespace edgegate {
namespace {

constexpr char kReplacementCharacter[] = "\xEF\xBF\xBD";  // U+FFFD in UTF-8.

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Returns the length of the well-formed UTF-8 sequence starting at s[i] (whose lead byte is
// >= 0x80), or 0 if it is not well formed (overlong, surrogate, > U+10FFFF, truncated).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned char min_second = 0x80;
  unsigned char max_second = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    min_second = lead == 0xE0 ? 0xA0 : 0x80;
    max_second = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    min_second = lead == 0xF0 ? 0x90 : 0x80;
    max_second = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (s.size() - i < length || byte(1) < min_second || byte(1) > max_second) {
    return 0;
  }
  for (std::size_t k = 2; k < length; ++k) {
    if (!IsContinuation(byte(k))) {
      return 0;
    }
  }
  return length;
}

void AppendControlEscape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
  }
}

void AppendString(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t run = i;  // Copy runs of plain ASCII in one append.
    while (run < s.size()) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
        break;
      }
      ++run;
    }
    out.append(s.data() + i, run - i);
    if (run == s.size()) {
      break;
    }
    const auto c = static_cast<unsigned char>(s[run]);
    i = run + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      AppendControlEscape(out, c);
    } else if (const std::size_t length = Utf8SequenceLength(s, run); length > 0) {
      out.append(s.data() + run, length);
      i = run + length;
    } else {
      out += kReplacementCharacter;
    }
  }
  out += '"';
}

void AppendInt(std::string& out, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void AppendDouble(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) {
    out += ".0";  // Keep it a double when read back.
  }
}

bool NumbersEqual(const Json& a, const Json& b) {
  if (a.is_int() && b.is_int()) {
    return a.as_int() == b.as_int();
  }
  if (a.is_double() && b.is_double()) {
    return a.as_double() == b.as_double();
  }
  const std::int64_t i = a.is_int() ? a.as_int() : b.as_int();
  const double d = a.is_double() ? a.as_double() : b.as_double();
  // Compare exactly: only a double holding an integer inside int64 can equal an int.
  return d >= -9223372036854775808.0 && d < 9223372036854775808.0 && std::trunc(d) == d &&
         static_cast<std::int64_t>(d) == i;
}

bool ObjectsEqual(const Json::Object& a, const Json& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (const Json::Member& member : a) {
    const Json* other = b.find(member.key);
    if (other == nullptr || !(member.value == *other)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string Json::dump() const {
  std::string out;
  dump_to(out);
  return out;
}

void Json::dump_to(std::string& out) const {
  switch (type_) {
    case Type::kNull:
      out += "null";
      return;
    case Type::kBool:
      out += bool_ ? "true" : "false";
      return;
    case Type::kInt:
      AppendInt(out, int_);
      return;
    case Type::kDouble:
      AppendDouble(out, double_);
      return;
    case Type::kString:
      AppendString(out, string_);
      return;
    case Type::kArray:
      out += '[';
      for (std::size_t i = 0; i < array_.size(); ++i) {
        out += i == 0 ? "" : ",";
        array_[i].dump_to(out);
      }
      out += ']';
      return;
    case Type::kObject:
      out += '{';
      for (std::size_t i = 0; i < object_.size(); ++i) {
        out += i == 0 ? "" : ",";
        AppendString(out, object_[i].key);
        out += ':';
        object_[i].value.dump_to(out);
      }
      out += '}';
      return;
  }
}

bool operator==(const Json& a, const Json& b) noexcept {
  if (a.is_number() && b.is_number()) {
    return NumbersEqual(a, b);
  }
  if (a.type_ != b.type_) {
    return false;
  }
  switch (a.type_) {
    case Json::Type::kNull:
      return true;
    case Json::Type::kBool:
      return a.bool_ == b.bool_;
    case Json::Type::kString:
      return a.string_ == b.string_;
    case Json::Type::kArray:
      return a.array_ == b.array_;
    case Json::Type::kObject:
      return ObjectsEqual(a.object_, b);
    default:
      return false;  // Numbers were handled above.
  }
}

}  // namespace edgegate
