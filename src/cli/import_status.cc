// `edgegate import FILE` (an OpenAPI spec → POST /api/import/openapi, a .zip bundle → POST
// /api/import/bundle) and `edgegate status` (health, plus GET /api/stats when the gateway has
// that route).
#include <filesystem>
#include <iostream>

#include "cli/internal/session.h"

namespace edgegate::cli {
namespace {

namespace json = boost::json;

std::string Lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

// The report's created / updated / unchanged items as one table, then the counts.
void PrintReport(const json::value& report) {
  std::vector<std::vector<std::string>> rows;
  for (const char* action : {"created", "updated", "unchanged"}) {
    const json::value& items = Member(report, action);
    for (const json::value& item : items.is_array() ? items.get_array() : json::array()) {
      rows.push_back({action, Cell(Member(item, "name")), Cell(Member(item, "method")),
                      Cell(Member(item, "path")), Cell(Member(item, "id"))});
    }
  }
  std::cout << FormatTable({"ACTION", "NAME", "METHOD", "PATH", "ID"}, rows);
  const json::value& counts = Member(report, "counts");
  std::cout << "\n" << FormatKeyValues(counts, "counts.");
  for (const char* list : {"compiled", "started"}) {
    if (const json::array* items = Member(report, list).if_array()) {
      std::cout << list << ": " << items->size() << "\n";
    }
  }
}

// The bundle route's query: domain, compile, start.
std::string BundleQuery(Session& session, const ImportArgs& args) {
  std::string query = std::string("?compile=") + (args.compile ? "true" : "false") +
                      "&start=" + (args.start ? "true" : "false");
  if (!args.domain.empty()) {
    query += "&domain=" + session.client.Escape(args.domain);
  }
  return query;
}

}  // namespace

int RunImport(Session& session, const ImportArgs& args) {
  std::string extension = Lower(std::filesystem::path(args.file).extension().string());
  bool bundle = extension == ".zip";
  if (!bundle && extension != ".yaml" && extension != ".yml" && extension != ".json") {
    PrintError("import takes a .yaml, .yml or .json spec or a .zip bundle: got " + args.file);
    return kExitUsage;
  }
  if (!bundle && (args.compile || args.start)) {
    PrintError("--compile and --start apply to .zip bundles only");
    return kExitUsage;
  }
  std::string content;
  if (!ReadFile(args.file, &content)) {
    PrintError("cannot read " + args.file);
    return kExitUsage;
  }
  base::Result<ApiReply> reply = base::Internal("not sent");
  if (bundle) {
    reply = session.client.Send("POST", "/api/import/bundle" + BundleQuery(session, args), content,
                                "application/zip");
  } else {
    json::object body{{"spec", content}};
    if (!args.domain.empty()) {
      body["domain"] = args.domain;
    }
    reply = session.client.SendJson("POST", "/api/import/openapi", body);
  }
  json::value report;
  if (int code = Expect(reply, &report); code != kExitOk) {
    return code;
  }
  if (session.json) {
    std::cout << PrettyJson(report);
  } else {
    PrintReport(report);
  }
  return kExitOk;
}

int RunStatus(Session& session) {
  json::value health, stats;
  if (int code = Expect(session.client.Send("GET", "/api/health"), &health); code != kExitOk) {
    return code;
  }
  auto reply = session.client.Send("GET", "/api/stats");
  bool has_stats = !(reply.ok() && reply->http_status == 404);
  if (has_stats) {
    if (int code = Expect(reply, &stats); code != kExitOk) {
      return code;
    }
  }
  if (session.json) {
    std::cout << PrettyJson(json::object{{"health", health}, {"stats", stats}});
    return kExitOk;
  }
  std::cout << "gateway: " << session.client.url() << "\n" << FormatKeyValues(health);
  if (has_stats) {
    std::cout << FormatKeyValues(stats);
  } else {
    std::cout << "(this gateway has no /api/stats)\n";
  }
  return kExitOk;
}

}  // namespace edgegate::cli
