// Tests of the SSE parser and the log line format of `edgegate logs`.
#include "cli/log_format.h"

#include <gtest/gtest.h>

namespace edgegate::cli {
namespace {

TEST(SseParserTest, SplitsEventsAcrossArbitraryChunks) {
  std::string stream =
      "retry: 2000\n\nid: 1\ndata: {\"a\":1}\n\n: heartbeat\n\nid: 2\r\ndata: x\r\ndata: y\r\n\r\n"
      "event: deleted\ndata: {}\n\n";
  for (size_t split = 0; split <= stream.size(); ++split) {
    SseParser parser;
    auto events = parser.Feed(std::string_view(stream).substr(0, split));
    auto rest = parser.Feed(std::string_view(stream).substr(split));
    events.insert(events.end(), rest.begin(), rest.end());
    ASSERT_EQ(events.size(), 3u) << "split at " << split;
    EXPECT_EQ(events[0].id, "1");
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].data, "x\ny");
    EXPECT_EQ(events[2].event, "deleted");
  }
}

TEST(FormatLogLineTest, ShowsTimeLevelSourceVersionRequestAndMessage) {
  auto entry = boost::json::parse(
      R"({"seq":4,"time":"2026-11-26T11:34:51.123Z","level":"info","source":"handler",)"
      R"("request_id":"ab-01","version":2,"message":"hello"})");
  EXPECT_EQ(FormatLogLine(entry),
            "2026-11-26T11:34:51.123Z INFO  handler   v2 ab-01  hello");
  auto lifecycle = boost::json::parse(
      R"({"seq":1,"time":"t","level":"warn","source":"lifecycle","request_id":null,)"
      R"("version":null,"message":"stopped"})");
  EXPECT_EQ(FormatLogLine(lifecycle), "t WARN  lifecycle  stopped");
}

}  // namespace
}  // namespace edgegate::cli
