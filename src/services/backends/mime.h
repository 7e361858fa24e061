// Builds the RFC 5322 / MIME text of an email from the `send` operation's argument object, for
// the two email backends (email.cc sends it over SMTP, outbox.cc writes it to a file). Output
// only, so it is written by hand: there is no MIME library in the project, and the rules needed
// to *produce* a message (RFC 2047 encoded words, quoted-printable, multipart/alternative) are
// small. Every header value is checked for CR/LF, so a caller can never inject a header.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace edgegate::services::backends::mime {

// The configured sender (config keys from_address, from_name).
struct Sender {
  std::string address;  // "bot@example.com"
  std::string name;     // display name, UTF-8, may be empty
};

// What `send({to, cc, bcc, subject, text, html, reply_to})` asked for, checked. Addresses are
// bare ("a@b.c"); a "Name <a@b.c>" argument keeps its display name in the header only.
struct Mailbox {
  std::string address;
  std::string name;
};
struct SendRequest {
  std::vector<Mailbox> to, cc, bcc, reply_to;
  std::string subject, text, html;
  bool has_text = false;
  bool has_html = false;
};

// One message ready to go: the envelope and the full text.
struct Message {
  std::string message_id;               // "<hex@sender-domain>", as in the Message-ID header
  std::string from;                     // envelope sender (Sender::address)
  std::vector<std::string> recipients;  // to, cc, then bcc; case-insensitively deduplicated
  std::string data;                     // the message, CRLF line ends, no Bcc header
};

// Checks the configured sender: FieldError naming config.from_address / config.from_name.
base::Status CheckSender(const Sender& sender);

// Parses the arguments of `send` (args[0] is the object). InvalidArgument naming the field
// ("send: to[1] is not an email address", "send: subject must not contain CR or LF", unknown
// fields, no recipient at all).
base::Result<SendRequest> ParseSend(const boost::json::array& args);

// Renders `request` from `sender` at time `now`. REQUIRES: CheckSender(sender).ok().
Message Build(const SendRequest& request, const Sender& sender, std::time_t now);

// The result of `send` per docs/services.md: {"message_id", "accepted": [recipients]}.
boost::json::value SendResult(const Message& message);

// ---- The encodings, exposed for tests ----

// True for a syntactically sane addr-spec: dot-atom local part (≤ 64 bytes), '@', a domain of
// letter/digit/hyphen labels or an address literal "[...]"; ≤ 254 bytes; no spaces or controls.
bool IsAddress(std::string_view address);

// Quoted-printable (RFC 2045 §6.7) of a body: lines of at most 76 characters with soft breaks,
// CRLF hard breaks (LF and CRLF in the input both become CRLF), '=' / trailing blanks / bytes
// outside printable ASCII / a leading '.' as =XX.
std::string QuotedPrintable(std::string_view body);

// `text` as a header value: unchanged when it is at most 69 characters of printable ASCII that
// do not look like an encoded word, else RFC 2047 "=?UTF-8?B?...?=" words of at most 64
// characters (so a header line holding one stays within 76), each holding whole UTF-8
// characters, separated by "\r\n " (folding). REQUIRES: valid UTF-8, no CR/LF.
std::string EncodeHeaderText(std::string_view text);

// RFC 5322 date-time in UTC: "Thu, 26 Nov 2026 14:16:56 +0000".
std::string FormatDate(std::time_t t);

}  // namespace edgegate::services::backends::mime
