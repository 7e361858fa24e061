// What `edgegate logs` needs besides HTTP: a Server-Sent Events parser for the live tail, and the
// human-readable form of one endpoint log entry. Pure functions of their input, unit-tested.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace edgegate::cli {

// Splits a text/event-stream byte stream into events (the subset of the SSE format the gateway
// sends: `id:`, `event:`, `data:` and `:` comment lines, LF or CRLF line ends). Bytes may arrive
// split anywhere. Thread-compatible.
class SseParser {
 public:
  struct Event {
    std::string id;
    std::string event;  // "" = the default "message"
    std::string data;   // data lines joined with "\n"
  };
  // Consumes `bytes`; returns the events they completed, in order.
  std::vector<Event> Feed(std::string_view bytes);

 private:
  void Line(std::string_view line, std::vector<Event>& out);
  std::string pending_;  // bytes after the last complete line
  Event current_;
  bool has_fields_ = false;
};

// `entry` (the API's log entry object) as one line:
// "2026-11-26T11:34:51.123Z INFO  handler   v2 3fa9c1-0000000000000004  message".
// The version and request id columns are left out when null.
std::string FormatLogLine(const boost::json::value& entry);

}  // namespace edgegate::cli
