// Tests of the access log: the line format (escaping, nulls) and the buffered writer (lines reach
// the file on Flush and on destruction; a full buffer drops and counts).
#include "telemetry/access_log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "base/test_util.h"

namespace edgegate::telemetry {
namespace {

AccessRecord Sample() {
  AccessRecord r;
  r.time_ms = 1'700'000'000'042;
  r.request_id = "ab12-0000000000000001";
  r.client_ip = "127.0.0.1";
  r.method = "GET";
  r.host = "api.example.com";
  r.path = "/hello/w\"orld";
  r.status = 200;
  r.bytes = 11;
  r.duration_us = 35;
  r.endpoint_id = "e-1";
  r.version = 2;
  return r;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(AccessLineTest, IsOneJsonLineWithEveryField) {
  std::string line;
  AppendAccessLine(line, Sample());
  EXPECT_EQ(line,
            "{\"time\":\"2023-11-14T22:13:20.042Z\",\"request_id\":\"ab12-0000000000000001\","
            "\"client_ip\":\"127.0.0.1\",\"method\":\"GET\",\"host\":\"api.example.com\","
            "\"path\":\"/hello/w\\\"orld\",\"status\":200,\"bytes\":11,\"duration_us\":35,"
            "\"endpoint_id\":\"e-1\",\"version\":2}\n");
}

TEST(AccessLineTest, UnroutedRequestsHaveNullEndpointAndVersion) {
  AccessRecord r = Sample();
  r.endpoint_id = {};
  r.version = 0;
  r.path = "/bad\xff\x01";
  std::string line;
  AppendAccessLine(line, r);
  EXPECT_NE(line.find("\"endpoint_id\":null,\"version\":null}"), std::string::npos);
  EXPECT_NE(line.find("\"path\":\"/bad\xEF\xBF\xBD\\u0001\""), std::string::npos) << line;
}

TEST(AccessLogTest, LinesReachTheFileOnFlushAndClose) {
  base::TempDir dir;
  AccessLogOptions options;
  options.path = (dir.path() / "access.log").string();
  options.flush_interval = std::chrono::hours(1);  // only explicit flushes
  auto log = AccessLog::Open(options);
  ASSERT_TRUE(log.ok()) << log.status().message();
  (*log)->Write({0, false}, Sample());
  (*log)->Write({5, false}, Sample());
  (*log)->Flush();
  EXPECT_EQ((*log)->written(), 2u);
  (*log)->Write({7, false}, Sample());
  log->reset();
  std::string text = ReadFile(options.path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
}

TEST(AccessLogTest, AFullShardDropsAndCounts) {
  base::TempDir dir;
  AccessLogOptions options;
  options.path = (dir.path() / "access.log").string();
  options.max_buffered_bytes = 0;  // the minimum per shard (4 KiB)
  options.flush_interval = std::chrono::hours(1);
  auto log = AccessLog::Open(options);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 200; ++i) (*log)->Write({1, false}, Sample());
  EXPECT_GT((*log)->dropped(), 0u);
  (*log)->Flush();
  EXPECT_EQ((*log)->written() + (*log)->dropped(), 200u);
}

TEST(AccessLogTest, UnwritablePathNamesTheFlag) {
  AccessLogOptions options;
  options.path = "/nonexistent-dir/access.log";
  auto log = AccessLog::Open(options);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().field(), "access-log");
}

}  // namespace
}  // namespace edgegate::telemetry
