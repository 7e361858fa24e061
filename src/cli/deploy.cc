// `edgegate deploy FILE.cpp --route 'METHOD /path'`: create the endpoint named after the file
// (or update the one that has that name), then compile and start it in one POST .../deploy. A
// compile error is shown like a compiler's, on the user's own file.
#include <filesystem>
#include <iostream>

#include "cli/internal/session.h"

namespace edgegate::cli {
namespace {

namespace json = boost::json;

// "GET /path" → {"GET", "/path"}; false unless it is a method, spaces, and a path.
bool ParseRoute(std::string_view route, std::string* method, std::string* path) {
  size_t space = route.find_first_of(" \t");
  size_t start = route.find_first_not_of(" \t", space);
  if (space == 0 || space == std::string_view::npos || start == std::string_view::npos) {
    return false;
  }
  *method = std::string(route.substr(0, space));
  *path = std::string(route.substr(start));
  for (char& c : *method) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return path->front() == '/' && path->find_first_of(" \t") == std::string::npos;
}

// Creates the endpoint or updates `existing` (null: create); `*endpoint` is the API's answer.
int Upsert(Session& session, const DeployArgs& args, const std::string& name,
           const json::value& existing, json::object fields, json::value* endpoint) {
  if (!args.domain.empty()) {
    fields["domain"] = args.domain;
  }
  if (existing.is_null()) {
    fields["name"] = name;
    return Expect(session.client.SendJson("POST", "/api/endpoints", fields), endpoint);
  }
  std::string path = "/api/endpoints/" + session.client.Escape(Cell(Member(existing, "id")));
  return Expect(session.client.SendJson("PUT", path, fields), endpoint);
}

void PrintDeployed(const json::value& endpoint, const json::value& deployed, bool created) {
  std::cout << (created ? "created and deployed " : "deployed ") << Cell(Member(endpoint, "name"))
            << " (" << Cell(Member(endpoint, "id")) << "): version "
            << Cell(Member(deployed, "version")) << " running at "
            << Cell(Member(endpoint, "method")) << " " << Cell(Member(endpoint, "path"))
            << " on domain " << Cell(Member(endpoint, "domain"));
  const json::value& cached = Member(deployed, "cached");
  if (cached.is_bool() && cached.get_bool()) {
    std::cout << " (build cached)";
  } else {
    std::cout << " (built in " << Cell(Member(deployed, "duration_ms")) << " ms)";
  }
  std::cout << "\n";
}

// POST .../deploy; a 422 is printed as compiler diagnostics on `args.file`.
int Deploy(Session& session, const DeployArgs& args, const std::string& source,
           const json::value& endpoint, bool created) {
  std::string id = Cell(Member(endpoint, "id"));
  auto reply = session.client.Send(
      "POST", "/api/endpoints/" + session.client.Escape(id) + "/deploy", {}, "application/json");
  if (reply.ok() && reply->http_status == 422) {
    std::cerr << FormatDiagnostics(reply->details(), args.file, source);
    PrintError(reply->error() + ": " + Cell(Member(endpoint, "name")) + " was not deployed");
    return kExitApiError;
  }
  json::value deployed;
  if (int code = Expect(reply, &deployed); code != kExitOk) {
    return code;
  }
  // Warnings of a successful build still deserve the user's eyes.
  std::cerr << FormatDiagnostics(json::object{{"diagnostics", Member(deployed, "diagnostics")}},
                                 args.file, source);
  if (session.json) {
    json::object out = deployed.is_object() ? deployed.get_object() : json::object();
    out["id"] = id;
    out["name"] = Member(endpoint, "name");
    out["created"] = created;
    std::cout << PrettyJson(out);
  } else {
    PrintDeployed(endpoint, deployed, created);
  }
  return kExitOk;
}

}  // namespace

int RunDeploy(Session& session, const DeployArgs& args) {
  std::string method, path, source;
  if (!ParseRoute(args.route, &method, &path)) {
    PrintError("--route must be 'METHOD /path', e.g. 'GET /hello/{name}': got '" + args.route +
               "'");
    return kExitUsage;
  }
  if (!ReadFile(args.file, &source)) {
    PrintError("cannot read " + args.file);
    return kExitUsage;
  }
  std::string name =
      args.name.empty() ? std::filesystem::path(args.file).stem().string() : args.name;
  json::value existing;
  if (int code = FindEndpoint(session, name, args.domain, &existing); code != kExitOk) {
    return code;
  }
  if (!existing.is_null() && Cell(Member(existing, "name")) != name) {
    existing = nullptr;  // `name` matched another endpoint's id: a name never means an id here
  }
  json::value endpoint;
  json::object fields{{"method", method}, {"path", path}, {"code", source}};
  if (int code = Upsert(session, args, name, existing, std::move(fields), &endpoint);
      code != kExitOk) {
    return code;
  }
  return Deploy(session, args, source, endpoint, existing.is_null());
}

}  // namespace edgegate::cli
