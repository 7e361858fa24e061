// The message builder of mime.h: argument checks, RFC 2047 header words, quoted-printable bodies
// and the multipart/alternative layout.
#include "services/backends/mime.h"

#include <algorithm>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <cctype>
#include <cstdio>

#include "base/random.h"

namespace edgegate::services::backends::mime {
namespace {

namespace json = boost::json;
namespace base64 = boost::beast::detail::base64;

constexpr size_t kMaxLine = 76;  // RFC 2045 §6.7: encoded lines are at most 76 characters

std::string Base64(std::string_view bytes) {
  std::string out(base64::encoded_size(bytes.size()), '\0');
  out.resize(base64::encode(out.data(), bytes.data(), bytes.size()));
  return out;
}

bool IsAsciiPrintable(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

// The length of the UTF-8 sequence starting with `lead`, or 0 if `lead` cannot start one.
size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) {
    return 1;
  }
  if (lead >= 0xc2 && lead <= 0xdf) {
    return 2;
  }
  if (lead >= 0xe0 && lead <= 0xef) {
    return 3;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    return 4;
  }
  return 0;
}

bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8Length(static_cast<unsigned char>(s[i]));
    if (n == 0 || i + n > s.size()) {
      return false;
    }
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) {
        return false;
      }
    }
    i += n;
  }
  return true;
}

// A header value must be UTF-8 without CR, LF or other controls (except tab): what makes
// header injection impossible.
base::Status CheckHeaderText(std::string_view value, std::string_view field) {
  for (char c : value) {
    if (c == '\r' || c == '\n') {
      return base::InvalidArgument("send: " + std::string(field) + " must not contain CR or LF");
    }
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
      return base::InvalidArgument("send: " + std::string(field) +
                                   " must not contain control characters");
    }
  }
  if (!IsUtf8(value)) {
    return base::InvalidArgument("send: " + std::string(field) + " is not valid UTF-8");
  }
  return base::OkStatus();
}

bool IsAtext(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool IsDotAtom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != s.npos) {
    return false;
  }
  for (char c : s) {
    if (!IsAtext(c) && c != '.') {
      return false;
    }
  }
  return true;
}

bool IsDomain(std::string_view d) {
  if (d.size() >= 2 && d.front() == '[' && d.back() == ']') {
    return IsAsciiPrintable(d) && d.find_first_of(" []\\", 1) == d.size() - 1;
  }
  size_t start = 0;
  while (true) {
    size_t dot = d.find('.', start);
    std::string_view label = d.substr(start, dot == d.npos ? d.npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
        return false;
      }
    }
    if (dot == d.npos) {
      return true;
    }
    start = dot + 1;
  }
}

// "a@b.c" or "Name <a@b.c>" (the name may be quoted) into a Mailbox; InvalidArgument naming
// `field` otherwise.
base::Result<Mailbox> ParseMailbox(std::string_view text, const std::string& field) {
  RETURN_IF_ERROR(CheckHeaderText(text, field));
  Mailbox box;
  size_t open = text.rfind('<');
  if (!text.empty() && text.back() == '>' && open != text.npos) {
    std::string_view name = text.substr(0, open);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
      name.remove_suffix(1);
    }
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    box.name = std::string(name);
    text = text.substr(open + 1, text.size() - open - 2);
  }
  if (!IsAddress(text)) {
    return base::InvalidArgument("send: " + field + " is not an email address");
  }
  box.address = std::string(text);
  return box;
}

// `to`, `cc`, `bcc`, `reply_to`: absent, null, a string or an array of strings.
base::Status ParseMailboxes(const json::object& in, std::string_view key,
                            std::vector<Mailbox>& out) {
  auto it = in.find(key);
  if (it == in.end() || it->value().is_null()) {
    return base::OkStatus();
  }
  const json::value& v = it->value();
  if (v.is_string()) {
    ASSIGN_OR_RETURN(out.emplace_back(), ParseMailbox(v.get_string(), std::string(key)));
    return base::OkStatus();
  }
  if (!v.is_array()) {
    return base::InvalidArgument("send: " + std::string(key) +
                                 " must be a string or an array of strings");
  }
  const json::array& list = v.get_array();
  for (size_t i = 0; i < list.size(); ++i) {
    std::string field = std::string(key) + "[" + std::to_string(i) + "]";
    if (!list[i].is_string()) {
      return base::InvalidArgument("send: " + field + " must be a string");
    }
    ASSIGN_OR_RETURN(out.emplace_back(), ParseMailbox(list[i].get_string(), field));
  }
  return base::OkStatus();
}

// A string field: absent/null leaves `present` false.
base::Status ParseText(const json::object& in, std::string_view key, std::string& out,
                       bool* present = nullptr) {
  auto it = in.find(key);
  if (it == in.end() || it->value().is_null()) {
    return base::OkStatus();
  }
  if (!it->value().is_string()) {
    return base::InvalidArgument("send: " + std::string(key) + " must be a string");
  }
  out = std::string(it->value().get_string());
  if (present != nullptr) {
    *present = true;
  }
  return base::OkStatus();
}

// A display name for a header: a quoted-string when ASCII, encoded words otherwise.
std::string DisplayName(std::string_view name) {
  if (!IsAsciiPrintable(name) || name.find("=?") != name.npos) {
    return EncodeHeaderText(name);
  }
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

// Splits a value at its folds ("\r\n "): the encoded words of EncodeHeaderText.
void AppendAtoms(std::string_view value, std::vector<std::string>& atoms) {
  size_t start = 0;
  while (true) {
    size_t fold = value.find("\r\n ", start);
    atoms.emplace_back(value.substr(start, fold == value.npos ? value.npos : fold - start));
    if (fold == value.npos) {
      return;
    }
    start = fold + 3;
  }
}

// "Name: atom atom ...\r\n", folded before an atom that would push a line past 76 characters
// (RFC 2047 §2 limits lines holding encoded words to 76; words are at most 64, so the first
// always fits after the longest header name used here).
std::string FoldedHeader(std::string_view name, const std::vector<std::string>& atoms) {
  std::string out = std::string(name) + ":";
  size_t line = out.size();
  for (size_t i = 0; i < atoms.size(); ++i) {
    if (i > 0 && line + 1 + atoms[i].size() > 76) {
      out += "\r\n";
      line = 0;
    }
    out += " " + atoms[i];
    line += 1 + atoms[i].size();
  }
  return out + "\r\n";
}

// "Name: a, \"B\" <b@c>, =?UTF-8?B?...?= <d@e>\r\n".
std::string AddressHeader(std::string_view name, const std::vector<Mailbox>& boxes) {
  std::vector<std::string> atoms;
  for (size_t i = 0; i < boxes.size(); ++i) {
    std::string comma = i + 1 < boxes.size() ? "," : "";
    if (boxes[i].name.empty()) {
      atoms.push_back(boxes[i].address + comma);
      continue;
    }
    AppendAtoms(DisplayName(boxes[i].name), atoms);
    atoms.push_back("<" + boxes[i].address + ">" + comma);
  }
  return FoldedHeader(name, atoms);
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
  }
  return out;
}

std::string Part(std::string_view type, std::string_view body) {
  return "Content-Type: " + std::string(type) +
         "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
         QuotedPrintable(body);
}

}  // namespace

base::Status CheckSender(const Sender& sender) {
  if (!IsAddress(sender.address)) {
    return base::FieldError("config.from_address",
                            "config.from_address '" + sender.address + "' is not an email address");
  }
  base::Status name = CheckHeaderText(sender.name, "from_name");
  if (!name.ok()) {
    return base::FieldError("config.from_name",
                            "config.from_name must be UTF-8 text without control characters");
  }
  return base::OkStatus();
}

base::Result<SendRequest> ParseSend(const json::array& args) {
  if (args.size() != 1 || !args[0].is_object()) {
    return base::InvalidArgument(
        "send: takes one argument, an object {to, cc, bcc, subject, text, html, reply_to}");
  }
  const json::object& in = args[0].get_object();
  for (const auto& [key, value] : in) {
    static constexpr std::string_view kFields[] = {"to",   "cc",   "bcc",     "subject",
                                                   "text", "html", "reply_to"};
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields)) {
      return base::InvalidArgument("send: unknown field '" + std::string(key) +
                                   "' (known: to, cc, bcc, subject, text, html, reply_to)");
    }
  }
  SendRequest r;
  RETURN_IF_ERROR(ParseMailboxes(in, "to", r.to));
  RETURN_IF_ERROR(ParseMailboxes(in, "cc", r.cc));
  RETURN_IF_ERROR(ParseMailboxes(in, "bcc", r.bcc));
  RETURN_IF_ERROR(ParseMailboxes(in, "reply_to", r.reply_to));
  RETURN_IF_ERROR(ParseText(in, "subject", r.subject));
  RETURN_IF_ERROR(CheckHeaderText(r.subject, "subject"));
  RETURN_IF_ERROR(ParseText(in, "text", r.text, &r.has_text));
  RETURN_IF_ERROR(ParseText(in, "html", r.html, &r.has_html));
  if (r.to.empty() && r.cc.empty() && r.bcc.empty()) {
    return base::InvalidArgument("send: at least one recipient (to, cc or bcc) is required");
  }
  return r;
}

Message Build(const SendRequest& r, const Sender& sender, std::time_t now) {
  Message m;
  m.from = sender.address;
  m.message_id = "<" + base::RandomHex(16) + sender.address.substr(sender.address.rfind('@')) + ">";
  std::vector<std::string> seen;
  for (const auto* list : {&r.to, &r.cc, &r.bcc}) {
    for (const Mailbox& box : *list) {
      std::string key = LowerAscii(box.address);
      if (std::find(seen.begin(), seen.end(), key) == seen.end()) {
        seen.push_back(std::move(key));
        m.recipients.push_back(box.address);
      }
    }
  }
  std::string& d = m.data;
  d = "Date: " + FormatDate(now) + "\r\n";
  d += AddressHeader("From", {Mailbox{sender.address, sender.name}});
  if (!r.to.empty()) {
    d += AddressHeader("To", r.to);
  }
  if (!r.cc.empty()) {
    d += AddressHeader("Cc", r.cc);
  }
  if (!r.reply_to.empty()) {
    d += AddressHeader("Reply-To", r.reply_to);
  }
  std::vector<std::string> subject;
  AppendAtoms(EncodeHeaderText(r.subject), subject);
  d += FoldedHeader("Subject", subject);
  d += "Message-ID: " + m.message_id + "\r\nMIME-Version: 1.0\r\n";
  if (r.has_text && r.has_html) {
    // "=_" never occurs in quoted-printable output, so the boundary cannot collide with a body.
    std::string boundary = "=_eg_" + base::RandomHex(12);
    d += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
    d += "--" + boundary + "\r\n" + Part("text/plain", r.text) + "\r\n";
    d += "--" + boundary + "\r\n" + Part("text/html", r.html) + "\r\n";
    d += "--" + boundary + "--\r\n";
  } else {
    d += r.has_html ? Part("text/html", r.html) : Part("text/plain", r.text);
    d += "\r\n";
  }
  return m;
}

json::value SendResult(const Message& message) {
  json::array accepted;
  for (const std::string& r : message.recipients) {
    accepted.emplace_back(r);
  }
  return json::object{{"message_id", message.message_id}, {"accepted", std::move(accepted)}};
}

bool IsAddress(std::string_view address) {
  size_t at = address.rfind('@');
  if (address.size() > 254 || at == address.npos || at > 64) {
    return false;
  }
  return IsDotAtom(address.substr(0, at)) && IsDomain(address.substr(at + 1));
}

std::string QuotedPrintable(std::string_view body) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t line = 0;  // characters on the current output line
  auto emit = [&](std::string_view token) {
    if (line + token.size() > kMaxLine - 1) {  // keep room for the soft break's '='
      out += "=\r\n";
      line = 0;
    }
    out += token;
    line += token.size();
  };
  for (size_t i = 0; i < body.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(body[i]);
    if (c == '\n' || (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n')) {
      i += c == '\r' ? 1 : 0;
      out += "\r\n";
      line = 0;
      continue;
    }
    bool line_end = i + 1 == body.size() || body[i + 1] == '\n' ||
                    (body[i + 1] == '\r' && i + 2 < body.size() && body[i + 2] == '\n');
    bool literal = (c >= 33 && c <= 126 && c != '=' && !(c == '.' && line == 0)) ||
                   ((c == ' ' || c == '\t') && !line_end);
    if (literal) {
      emit(std::string_view(reinterpret_cast<const char*>(&body[i]), 1));
    } else {
      const char encoded[3] = {'=', kHex[c >> 4], kHex[c & 15]};
      emit(std::string_view(encoded, 3));
    }
  }
  return out;
}

std::string EncodeHeaderText(std::string_view text) {
  // Short enough that "Subject: " + text fits a 78-character line: no folding needed.
  if (IsAsciiPrintable(text) && text.find("=?") == text.npos && text.size() <= 69) {
    return std::string(text);
  }
  // "=?UTF-8?B?" + base64 + "?=" ≤ 64 characters: at most 52 base64 characters = 39 bytes.
  constexpr size_t kMaxBytes = 39;
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = i;
    while (end < text.size()) {
      size_t n = std::max<size_t>(1, Utf8Length(static_cast<unsigned char>(text[end])));
      if (end + n - i > kMaxBytes) {
        break;
      }
      end += n;
    }
    end = std::max(end, std::min(text.size(), i + 1));  // always progress
    if (!out.empty()) {
      out += "\r\n ";
    }
    out += "=?UTF-8?B?" + Base64(text.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string FormatDate(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

}  // namespace edgegate::services::backends::mime
