// SSE parsing and log line formatting for `edgegate logs`.
#include "cli/log_format.h"

#include <algorithm>
#include <cctype>

#include "cli/output.h"

namespace edgegate::cli {

std::vector<SseParser::Event> SseParser::Feed(std::string_view bytes) {
  std::vector<Event> out;
  pending_.append(bytes);
  size_t start = 0;
  for (size_t nl = pending_.find('\n'); nl != std::string::npos;
       nl = pending_.find('\n', start)) {
    std::string_view line(pending_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    Line(line, out);
    start = nl + 1;
  }
  pending_.erase(0, start);
  return out;
}

void SseParser::Line(std::string_view line, std::vector<Event>& out) {
  if (line.empty()) {
    if (has_fields_) {
      out.push_back(std::move(current_));
    }
    current_ = Event();
    has_fields_ = false;
    return;
  }
  if (line.front() == ':') {
    return;  // comment (heartbeat)
  }
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_fields_ && !current_.data.empty()) current_.data.push_back('\n');
    current_.data.append(value);
    has_fields_ = true;
  } else if (field == "id") {
    current_.id = std::string(value);
    has_fields_ = true;
  } else if (field == "event") {
    current_.event = std::string(value);
    has_fields_ = true;
  }  // "retry" and unknown fields: nothing to do
}

std::string FormatLogLine(const boost::json::value& entry) {
  std::string level = Cell(Member(entry, "level"));
  for (char& c : level) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  level.resize(std::max<size_t>(level.size(), 5), ' ');
  std::string source = Cell(Member(entry, "source"));
  source.resize(std::max<size_t>(source.size(), 9), ' ');
  std::string line = Cell(Member(entry, "time")) + " " + level + " " + source;
  if (!Member(entry, "version").is_null()) {
    line += " v" + Cell(Member(entry, "version"));
  }
  if (!Member(entry, "request_id").is_null()) {
    line += " " + Cell(Member(entry, "request_id"));
  }
  return line + "  " + Cell(Member(entry, "message"));
}

}  // namespace edgegate::cli
