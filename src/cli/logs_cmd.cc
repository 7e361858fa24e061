// `edgegate logs ENDPOINT [-f] [--since N] [--limit N] [--json]`: a page of the endpoint's log
// (GET /api/endpoints/{id}/logs), or with -f the live tail (?follow=1, Server-Sent Events) printed
// as entries arrive until Ctrl-C. Exit codes as the other commands; a tail ended by Ctrl-C exits
// 0, one ended by the gateway (shutdown) 3, one ended because the endpoint was deleted 1.
#include <csignal>
#include <iostream>

#include "cli/internal/session.h"
#include "cli/log_format.h"

namespace edgegate::cli {
namespace {

namespace json = boost::json;

// Set by SIGINT/SIGTERM while following; read by the transfer's progress callback. A signal
// handler can only reach a global.
std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

std::string LogsPath(Session& session, const json::value& endpoint, const LogsArgs& args) {
  std::string path = "/api/endpoints/" + session.client.Escape(Cell(Member(endpoint, "id"))) +
                     "/logs";
  std::string query;
  for (const auto& [key, value] : {std::pair{"since", &args.since}, {"limit", &args.limit}}) {
    if (!value->empty()) {
      query += (query.empty() ? "?" : "&") + std::string(key) + "=" + session.client.Escape(*value);
    }
  }
  if (args.follow) {
    query += query.empty() ? "?follow=1" : "&follow=1";
  }
  return path + query;
}

void PrintEntry(Session& session, std::string_view data) {
  if (session.json) {
    std::cout << data << "\n";  // one JSON object per line (NDJSON)
  } else {
    boost::system::error_code ec;
    json::value entry = json::parse(data, ec);
    std::cout << (ec ? std::string(data) : FormatLogLine(entry)) << "\n";
  }
  std::cout.flush();
}

int PrintPage(Session& session, const json::value& data) {
  if (session.json) {
    std::cout << PrettyJson(data);
    return kExitOk;
  }
  const json::value& entries = Member(data, "entries");
  for (const json::value& e : entries.is_array() ? entries.get_array() : json::array()) {
    std::cout << FormatLogLine(e) << "\n";
  }
  return kExitOk;
}

int Follow(Session& session, const std::string& path) {
  struct sigaction action {};
  action.sa_handler = &OnInterrupt;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  SseParser parser;
  bool deleted = false;
  auto on_data = [&](std::string_view bytes) {
    for (const SseParser::Event& e : parser.Feed(bytes)) {
      if (e.event == "deleted") {
        deleted = true;
        return false;
      }
      if (!e.data.empty()) {
        PrintEntry(session, e.data);
      }
    }
    return !g_interrupted.load();
  };
  auto reply = session.client.Stream(path, on_data, &g_interrupted);
  if (!reply.ok()) {
    return TransportFailure(reply.status());
  }
  if (reply->http_status < 200 || reply->http_status >= 300) {
    return ApiFailure(*reply);
  }
  if (deleted) {
    PrintError("the endpoint was deleted");
    return kExitApiError;
  }
  if (g_interrupted.load()) {
    return kExitOk;
  }
  PrintError("the gateway ended the log stream (shutting down?)");
  return kExitUnreachable;
}

}  // namespace

int RunLogs(Session& session, const LogsArgs& args) {
  json::value endpoint, page;
  if (int code = ResolveEndpoint(session, args.endpoint, &endpoint); code != kExitOk) {
    return code;
  }
  std::string path = LogsPath(session, endpoint, args);
  if (args.follow) {
    return Follow(session, path);
  }
  if (int code = Expect(session.client.Send("GET", path), &page); code != kExitOk) {
    return code;
  }
  return PrintPage(session, page);
}

}  // namespace edgegate::cli
