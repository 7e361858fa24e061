// `edgegate endpoints list|show|rm`: the endpoint table, one endpoint with its versions, and
// deletion. Endpoints are named by id or by name (a name shared by several endpoints is refused).
#include <iostream>

#include "cli/internal/session.h"

namespace edgegate::cli {
namespace {

namespace json = boost::json;

const json::array& AsArray(const json::value& v) {
  static const json::array kEmpty;
  return v.is_array() ? v.get_array() : kEmpty;
}

std::string EndpointPath(Session& session, const json::value& endpoint) {
  return "/api/endpoints/" + session.client.Escape(Cell(Member(endpoint, "id")));
}

void PrintVersions(const json::value& versions) {
  std::vector<std::vector<std::string>> rows;
  for (const json::value& v : AsArray(versions)) {
    rows.push_back({Cell(Member(v, "version")), Cell(Member(v, "state")),
                    Cell(Member(v, "in_flight")), Cell(Member(v, "created_at")),
                    Cell(Member(v, "hash")).substr(0, 12)});
  }
  std::cout << "\nversions:\n"
            << FormatTable({"VERSION", "STATE", "IN_FLIGHT", "CREATED", "HASH"}, rows);
}

}  // namespace

int ResolveEndpoint(Session& session, const std::string& id_or_name, json::value* endpoint) {
  if (int code = FindEndpoint(session, id_or_name, {}, endpoint); code != kExitOk) {
    return code;
  }
  if (endpoint->is_null()) {
    PrintError("no endpoint has the ID or name '" + id_or_name + "'");
    return kExitApiError;
  }
  return kExitOk;
}

int RunList(Session& session, const ListArgs& args) {
  std::string query;
  for (const auto& [key, value] : {std::pair{"domain", &args.domain}, {"status", &args.status}}) {
    if (!value->empty()) {
      query += (query.empty() ? "?" : "&") + std::string(key) + "=" + session.client.Escape(*value);
    }
  }
  json::value list;
  if (int code = Expect(session.client.Send("GET", "/api/endpoints" + query), &list);
      code != kExitOk) {
    return code;
  }
  if (session.json) {
    std::cout << PrettyJson(list);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json::value& e : AsArray(list)) {
    rows.push_back({Cell(Member(e, "name")), Cell(Member(e, "method")), Cell(Member(e, "path")),
                    Cell(Member(e, "domain")), Cell(Member(e, "status")),
                    Cell(Member(e, "active_version")), Cell(Member(e, "id"))});
  }
  std::cout << FormatTable({"NAME", "METHOD", "PATH", "DOMAIN", "STATUS", "VERSION", "ID"}, rows);
  return kExitOk;
}

int RunShow(Session& session, const TargetArgs& args) {
  json::value found, endpoint, versions;
  if (int code = ResolveEndpoint(session, args.endpoint, &found); code != kExitOk) {
    return code;
  }
  std::string path = EndpointPath(session, found);
  if (int code = Expect(session.client.Send("GET", path), &endpoint); code != kExitOk) {
    return code;
  }
  if (session.json) {
    std::cout << PrettyJson(endpoint);
    return kExitOk;
  }
  if (int code = Expect(session.client.Send("GET", path + "/versions"), &versions);
      code != kExitOk) {
    return code;
  }
  json::object fields = endpoint.is_object() ? endpoint.get_object() : json::object();
  json::value code = fields.contains("code") ? fields["code"] : json::value();
  fields.erase("code");
  std::cout << FormatKeyValues(fields);
  PrintVersions(versions);
  if (args.code && code.is_string()) {
    std::cout << "\ncode:\n" << code.get_string().c_str();
  }
  return kExitOk;
}

int RunRemove(Session& session, const TargetArgs& args) {
  json::value found, deleted;
  if (int code = ResolveEndpoint(session, args.endpoint, &found); code != kExitOk) {
    return code;
  }
  if (int code = Expect(session.client.Send("DELETE", EndpointPath(session, found)), &deleted);
      code != kExitOk) {
    return code;
  }
  if (session.json) {
    std::cout << PrettyJson(deleted);
  } else {
    std::cout << "deleted " << Cell(Member(found, "name")) << " (" << Cell(Member(found, "id"))
              << ")\n";
  }
  return kExitOk;
}

}  // namespace edgegate::cli
