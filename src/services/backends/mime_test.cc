// Unit tests of the message builder: known answers for the encodings, round trips through the
// decoders of mime_test_util.h (which email_test.cc and outbox_test.cc reuse on captured mail),
// argument checks and header-injection attempts.
#include "services/backends/mime.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "services/backends/mime_test_util.h"

namespace edgegate::services::backends::mime {
namespace {

namespace json = boost::json;

TEST(MimeTest, QuotedPrintableKnownAnswers) {
  EXPECT_EQ(QuotedPrintable("Caf\xC3\xA9 = ok \n"), "Caf=C3=A9 =3D ok=20\r\n");
  EXPECT_EQ(QuotedPrintable("a\r\nb\nc"), "a\r\nb\r\nc");
  EXPECT_EQ(QuotedPrintable(".hidden\n.x"), "=2Ehidden\r\n=2Ex");
  EXPECT_EQ(QuotedPrintable("tab\t"), "tab=09");
  EXPECT_EQ(QuotedPrintable(std::string_view("\0\x7f\xff", 3)), "=00=7F=FF");
}

TEST(MimeTest, QuotedPrintableLinesStayWithin76Characters) {
  std::string body(200, 'a');
  body += std::string(100, '\xE2');  // every byte encoded: =E2 must not be split
  std::string qp = QuotedPrintable(body);
  size_t start = 0;
  while (start < qp.size()) {
    size_t end = qp.find("\r\n", start);
    std::string_view line(qp.data() + start, (end == qp.npos ? qp.size() : end) - start);
    EXPECT_LE(line.size(), 76u) << line;
    if (end != qp.npos) {
      EXPECT_EQ(line.back(), '=') << "only soft breaks in one input line";
    }
    start = end == qp.npos ? qp.size() : end + 2;
  }
  EXPECT_EQ(testing::DecodeQuotedPrintable(qp), body);
}

TEST(MimeTest, QuotedPrintableRoundTripsEveryByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes += static_cast<char>(i);
  }
  bytes += bytes + "  trailing \t \n\n  \r\n.";
  std::string qp = QuotedPrintable(bytes);
  for (size_t i = 0; i < qp.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(qp[i]);
    ASSERT_TRUE((c >= 32 && c <= 126) || c == '\t' || (c == '\r' && qp[i + 1] == '\n') ||
                (c == '\n' && qp[i - 1] == '\r'))
        << "raw byte " << int(c) << " at " << i;
  }
  // Line breaks come back as LF: the encoder writes every LF and CRLF as CRLF.
  std::string expected;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (!(bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n')) {
      expected += bytes[i];
    }
  }
  EXPECT_EQ(testing::DecodeQuotedPrintable(qp), expected);
}

TEST(MimeTest, HeaderTextKnownAnswers) {
  EXPECT_EQ(EncodeHeaderText("Hello"), "Hello");
  EXPECT_EQ(EncodeHeaderText("H\xC3\xA9llo"), "=?UTF-8?B?SMOpbGxv?=");
  EXPECT_EQ(EncodeHeaderText("=?x?="), "=?UTF-8?B?PT94Pz0=?=");
  EXPECT_EQ(EncodeHeaderText(""), "");
}

TEST(MimeTest, LongHeaderTextFoldsIntoWholeCharacterWords) {
  std::string subject;
  for (int i = 0; i < 40; ++i) {
    subject +=
        "Gr\xC3\xBC\xC3\x9F"
        "e \xE2\x82\xAC \xF0\x9F\x98\x80 ";  // "Grüße € 😀 "
  }
  std::string encoded = EncodeHeaderText(subject);
  size_t words = 0;
  size_t start = 0;
  while (start < encoded.size()) {
    size_t end = encoded.find("\r\n ", start);
    std::string word = encoded.substr(start, end == encoded.npos ? encoded.npos : end - start);
    EXPECT_LE(word.size(), 64u);
    std::string decoded = testing::DecodeHeader(word);
    EXPECT_FALSE(decoded.empty());
    EXPECT_NE(decoded, word) << "each piece is an encoded word";
    // A word decodes to whole characters: its last byte ends a UTF-8 sequence.
    unsigned char last = static_cast<unsigned char>(decoded.back());
    EXPECT_TRUE(last < 0x80 || last == 0xBC || last == 0x9F || last == 0xAC || last == 0x80)
        << word;
    ++words;
    start = end == encoded.npos ? encoded.size() : end + 3;
  }
  EXPECT_GT(words, 5u);
  EXPECT_EQ(testing::DecodeHeader(encoded), subject);
  std::string long_ascii(120, 'x');
  EXPECT_EQ(testing::DecodeHeader(EncodeHeaderText(long_ascii)), long_ascii);
}

TEST(MimeTest, FormatsDatesPerRfc5322) {
  EXPECT_EQ(FormatDate(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(FormatDate(1795702616), "Thu, 26 Nov 2026 14:16:56 +0000");
}

TEST(MimeTest, RecognisesAddresses) {
  for (const char* good : {"a@b.c", "first.last+tag@example.co.uk", "x_y-z@localhost",
                           "o'neil@[127.0.0.1]", "a!#$%&*=?^`{|}~@x-y.example"}) {
    EXPECT_TRUE(IsAddress(good)) << good;
  }
  for (const char* bad : {"", "a", "@b.c", "a@", "a@b..c", ".a@b.c", "a.@b.c", "a..b@c", "a b@c.d",
                          "a@b c.d", "a@-b.c", "a@b-.c", "a@b.c\r\nBcc: x@y.z", "<a@b.c>",
                          "a@b@c.d", "\xC3\xA9@b.c", "a@b_c.d"}) {
    EXPECT_FALSE(IsAddress(bad)) << bad;
  }
  EXPECT_FALSE(IsAddress(std::string(65, 'a') + "@b.c"));
  EXPECT_FALSE(IsAddress("a@" + std::string(250, 'b') + ".c"));
}

base::Status ParseError(std::string_view json_text) {
  return ParseSend(json::array{json::parse(json_text)}).status();
}

TEST(MimeTest, RefusesBadArgumentsNamingTheField) {
  EXPECT_EQ(ParseError(R"({"to": ["a@b.c", "nope"]})").message(),
            "send: to[1] is not an email address");
  EXPECT_EQ(ParseError(R"({"to": "a@b.c", "cc": 5})").message(),
            "send: cc must be a string or an array of strings");
  EXPECT_EQ(ParseError(R"({"bcc": [1]})").message(), "send: bcc[0] must be a string");
  EXPECT_EQ(ParseError(R"({"subject": "hi"})").message(),
            "send: at least one recipient (to, cc or bcc) is required");
  EXPECT_NE(ParseError(R"({"to": "a@b.c", "body": "x"})").message().find("unknown field 'body'"),
            std::string::npos);
  EXPECT_EQ(ParseError(R"({"to": "a@b.c", "text": 3})").message(), "send: text must be a string");
  EXPECT_EQ(ParseSend(json::array{"a@b.c"}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(ParseSend(json::array{}).status().code(), base::Code::kInvalidArgument);
}

TEST(MimeTest, HeaderInjectionIsImpossible) {
  EXPECT_EQ(ParseError(R"({"to": "a@b.c", "subject": "hi\r\nBcc: victim@x.y"})").message(),
            "send: subject must not contain CR or LF");
  EXPECT_EQ(ParseError(R"({"to": "a@b.c", "subject": "hi\nX: y"})").message(),
            "send: subject must not contain CR or LF");
  EXPECT_EQ(ParseError(R"({"to": "a@b.c\r\nBcc: victim@x.y"})").message(),
            "send: to must not contain CR or LF");
  EXPECT_EQ(ParseError(R"({"to": ["Evil\nBcc: v@x.y <a@b.c>"]})").message(),
            "send: to[0] must not contain CR or LF");
  EXPECT_EQ(ParseError(R"({"to": "a@b.c", "reply_to": "r@b.c\rX: y"})").message(),
            "send: reply_to must not contain CR or LF");
  EXPECT_EQ(ParseError(R"({"to": "a@b.c", "subject": "nul\u0000"})").message(),
            "send: subject must not contain control characters");
  EXPECT_EQ(ParseSend(json::array{json::object{{"to", "a@b.c"}, {"subject", "\xC3("}}})
                .status()
                .message(),
            "send: subject is not valid UTF-8");
  EXPECT_FALSE(CheckSender({"bot@example.com", "Bot\r\nBcc: v@x.y"}).ok());
  EXPECT_EQ(CheckSender({"not an address", ""}).field(), "config.from_address");
  EXPECT_TRUE(CheckSender({"bot@example.com", "Edgegate Bot \xE2\x9C\x89"}).ok());
}

TEST(MimeTest, BuildsMultipartAlternativeWithoutBcc) {
  auto request = ParseSend(json::array{json::parse(R"({
      "to": ["Ann <ann@example.com>", "bob@example.com"], "cc": "Çé <cc@example.com>",
      "bcc": ["hidden@example.com", "BOB@example.com"], "reply_to": "help@example.com",
      "subject": "Grüße aus Köln, Zürich und Malmö: ein langer Betreff ✓", "text": "Hallo Welt\nzweite Zeile", "html": "<p>Hallo</p>"})")});
  ASSERT_TRUE(request.ok()) << request.status().message();
  Message m = Build(*request, {"bot@example.org", "Edgegate Bötli mit langem Anzeigenamen"}, 0);
  EXPECT_EQ(m.from, "bot@example.org");
  EXPECT_EQ(m.recipients, (std::vector<std::string>{"ann@example.com", "bob@example.com",
                                                    "cc@example.com", "hidden@example.com"}));
  EXPECT_TRUE(m.message_id.starts_with("<") && m.message_id.ends_with("@example.org>"))
      << m.message_id;
  EXPECT_EQ(m.data.find("\n"), m.data.find("\r\n") + 1) << "CRLF line ends only";
  for (size_t i = m.data.find('\n'); i != std::string::npos; i = m.data.find('\n', i + 1)) {
    ASSERT_EQ(m.data[i - 1], '\r') << "bare LF at " << i;
  }

  for (size_t start = 0, end; (end = m.data.find("\r\n", start)) != std::string::npos;
       start = end + 2) {
    EXPECT_LE(end - start, 76u) << m.data.substr(start, end - start);
  }

  testing::ParsedMessage parsed = testing::ParseMessage(m.data);
  EXPECT_EQ(parsed.Header("Date"), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(testing::DecodeHeader(parsed.Header("Subject")),
            "Grüße aus Köln, Zürich und Malmö: ein langer Betreff ✓");
  EXPECT_EQ(testing::DecodeHeader(parsed.Header("From")),
            "Edgegate Bötli mit langem Anzeigenamen <bot@example.org>");
  EXPECT_EQ(parsed.Header("To"), "\"Ann\" <ann@example.com>, bob@example.com");
  EXPECT_EQ(testing::DecodeHeader(parsed.Header("Cc")), "Çé <cc@example.com>");
  EXPECT_EQ(parsed.Header("Reply-To"), "help@example.com");
  EXPECT_EQ(parsed.Header("Message-ID"), m.message_id);
  EXPECT_EQ(parsed.Header("MIME-Version"), "1.0");
  EXPECT_FALSE(parsed.Has("Bcc"));
  EXPECT_EQ(m.data.find("hidden@example.com"), std::string::npos);

  std::vector<testing::ParsedMessage> parts = testing::SplitMultipart(parsed);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].Header("Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(parts[0].Header("Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(testing::DecodeQuotedPrintable(parts[0].body), "Hallo Welt\nzweite Zeile");
  EXPECT_EQ(parts[1].Header("Content-Type"), "text/html; charset=UTF-8");
  EXPECT_EQ(testing::DecodeQuotedPrintable(parts[1].body), "<p>Hallo</p>");
}

TEST(MimeTest, BuildsSinglePartMessages) {
  auto html_only = ParseSend(json::array{json::parse(R"({"to": "a@b.c", "html": "<b>x</b>"})")});
  ASSERT_TRUE(html_only.ok());
  testing::ParsedMessage parsed = testing::ParseMessage(Build(*html_only, {"f@b.c", ""}, 0).data);
  EXPECT_EQ(parsed.Header("Content-Type"), "text/html; charset=UTF-8");
  EXPECT_EQ(parsed.Header("From"), "f@b.c");
  EXPECT_EQ(testing::DecodeQuotedPrintable(parsed.body), "<b>x</b>\n");

  auto empty = ParseSend(json::array{json::parse(R"({"bcc": "a@b.c"})")});
  ASSERT_TRUE(empty.ok());
  Message m = Build(*empty, {"f@b.c", ""}, 0);
  parsed = testing::ParseMessage(m.data);
  EXPECT_EQ(parsed.Header("Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_FALSE(parsed.Has("To"));
  EXPECT_EQ(m.recipients, std::vector<std::string>{"a@b.c"});
  EXPECT_EQ(json::serialize(SendResult(m)),
            R"({"message_id":")" + m.message_id + R"(","accepted":["a@b.c"]})");
}

}  // namespace
}  // namespace edgegate::services::backends::mime
