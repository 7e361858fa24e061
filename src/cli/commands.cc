// Registration of the client commands with CLI11, and the helpers they share for turning an
// admin API answer into output and an exit code.
#include "cli/commands.h"

#include <fstream>
#include <iostream>
#include <sstream>

namespace edgegate::cli {
namespace {

namespace json = boost::json;

void PrintErrorDetails(const json::value& details) {
  if (const json::string* field = Member(details, "field").if_string()) {
    std::cerr << "  field: " << std::string_view(field->data(), field->size()) << "\n";
  }
  if (const json::array* errors = Member(details, "errors").if_array()) {
    for (const json::value& e : *errors) {
      std::string where = Cell(Member(e, "location"));
      if (where == "-") {
        where = Cell(Member(e, "entry"));
      }
      if (where == "-") {
        where = Cell(Member(e, "operation"));
      }
      std::cerr << "  " << where << ": " << Cell(Member(e, "message")) << "\n";
    }
  }
}

}  // namespace

bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *text = buffer.str();
  return static_cast<bool>(in);
}

void PrintError(std::string_view message) { std::cerr << "edgegate: " << message << "\n"; }

int TransportFailure(const base::Status& status) {
  PrintError(status.message());
  return status.code() == base::Code::kUnavailable ? kExitUnreachable : kExitUsage;
}

int ApiFailure(const ApiReply& reply) {
  PrintError(reply.error() + " (HTTP " + std::to_string(reply.http_status) + ")");
  PrintErrorDetails(reply.details());
  if (reply.http_status == 401) {
    std::cerr << "  hint: pass --key, set EDGEGATE_ADMIN_KEY, or point --data-dir at the "
                 "gateway's data directory (admin.key)\n";
  }
  return kExitApiError;
}

int Expect(const base::Result<ApiReply>& reply, json::value* data) {
  if (!reply.ok()) {
    return TransportFailure(reply.status());
  }
  if (!reply->ok()) {
    return ApiFailure(*reply);
  }
  if (data != nullptr) {
    *data = reply->data();
  }
  return kExitOk;
}

int FindEndpoint(Session& session, std::string_view id_or_name, std::string_view domain,
                 json::value* endpoint) {
  std::string path = "/api/endpoints";
  if (!domain.empty()) {
    path += "?domain=" + session.client.Escape(domain);
  }
  json::value list;
  if (int code = Expect(session.client.Send("GET", path), &list); code != 0) {
    return code;
  }
  *endpoint = nullptr;
  int by_name = 0;
  for (const json::value& e : list.is_array() ? list.get_array() : json::array()) {
    if (Cell(Member(e, "id")) == id_or_name) {
      *endpoint = e;
      return kExitOk;
    }
    if (Cell(Member(e, "name")) == id_or_name) {
      ++by_name;
      *endpoint = e;
    }
  }
  if (by_name > 1) {
    PrintError(std::to_string(by_name) + " endpoints are named '" + std::string(id_or_name) +
               "': use an ID (edgegate endpoints list)" + (domain.empty() ? " or --domain" : ""));
    *endpoint = nullptr;
    return kExitApiError;
  }
  return kExitOk;
}

ClientCommands::ClientCommands(CLI::App& app) {
  AddDeploy(app);
  AddEndpoints(app);
  AddImport(app);
  AddStatus(app);
  AddLogs(app);
}

void ClientCommands::AddConnectionFlags(CLI::App& command) {
  command.add_option("--url", connection_.url, "Admin API base URL")
      ->envname("EDGEGATE_ADMIN_URL")
      ->capture_default_str();
  command.add_option("--key", connection_.key, "Admin API key (default: <data-dir>/admin.key)")
      ->envname("EDGEGATE_ADMIN_KEY");
  command.add_option("--data-dir", connection_.data_dir, "Gateway data directory, for admin.key")
      ->envname("EDGEGATE_DATA_DIR")
      ->capture_default_str();
  command.add_flag("--json", connection_.json, "Print the API's data as JSON");
}

void ClientCommands::AddDeploy(CLI::App& app) {
  CLI::App* deploy = app.add_subcommand(
      "deploy", "Create or update an endpoint from a C++ source file, compile and start it");
  deploy->add_option("file", deploy_.file, "Handler source (.cpp)")->required();
  deploy->add_option("--route", deploy_.route, "Method and path, e.g. 'GET /hello/{name}'")
      ->required();
  deploy->add_option("--domain", deploy_.domain, "Host pattern (default for new endpoints: *)");
  deploy->add_option("--name", deploy_.name, "Endpoint name (default: the file's stem)");
  AddConnectionFlags(*deploy);
  commands_.push_back({deploy, [this](Session& s) { return RunDeploy(s, deploy_); }});
}

void ClientCommands::AddEndpoints(CLI::App& app) {
  CLI::App* endpoints = app.add_subcommand("endpoints", "List, show and remove endpoints");
  endpoints->require_subcommand(1);
  CLI::App* list = endpoints->add_subcommand("list", "List endpoints as a table");
  list->add_option("--domain", list_.domain, "Only endpoints of this domain");
  list->add_option("--status", list_.status, "Only endpoints in this status");
  AddConnectionFlags(*list);
  commands_.push_back({list, [this](Session& s) { return RunList(s, list_); }});
  CLI::App* show = endpoints->add_subcommand("show", "Show one endpoint and its versions");
  show->add_option("endpoint", target_.endpoint, "ID or name")->required();
  show->add_flag("--code", target_.code, "Print the handler source too");
  AddConnectionFlags(*show);
  commands_.push_back({show, [this](Session& s) { return RunShow(s, target_); }});
  CLI::App* rm = endpoints->add_subcommand("rm", "Delete an endpoint (its route answers 404)");
  rm->add_option("endpoint", target_.endpoint, "ID or name")->required();
  AddConnectionFlags(*rm);
  commands_.push_back({rm, [this](Session& s) { return RunRemove(s, target_); }});
}

void ClientCommands::AddImport(CLI::App& app) {
  CLI::App* import = app.add_subcommand(
      "import", "Import an OpenAPI spec (.yaml/.yml/.json) or a handler bundle (.zip)");
  import->add_option("file", import_.file, "Spec or bundle")->required();
  import->add_option("--domain", import_.domain, "Host pattern of the endpoints (default: *)");
  import->add_flag("--compile", import_.compile, "Bundles: compile every handler");
  import->add_flag("--start", import_.start, "Bundles: start every handler");
  AddConnectionFlags(*import);
  commands_.push_back({import, [this](Session& s) { return RunImport(s, import_); }});
}

void ClientCommands::AddStatus(CLI::App& app) {
  CLI::App* status = app.add_subcommand("status", "Gateway health and statistics");
  AddConnectionFlags(*status);
  commands_.push_back({status, [](Session& s) { return RunStatus(s); }});
}

void ClientCommands::AddLogs(CLI::App& app) {
  CLI::App* logs = app.add_subcommand(
      "logs", "Show an endpoint's log (handler lines, compile output, lifecycle events)");
  logs->add_option("endpoint", logs_.endpoint, "ID or name")->required();
  logs->add_flag("-f,--follow", logs_.follow, "Keep printing new entries until Ctrl-C");
  logs->add_option("--since", logs_.since, "Only entries after this seq (default: the newest)");
  logs->add_option("--limit", logs_.limit, "At most this many entries, 1-1000 (default 100)");
  AddConnectionFlags(*logs);
  commands_.push_back({logs, [this](Session& s) { return RunLogs(s, logs_); }});
}

std::optional<int> ClientCommands::RunParsed() {
  for (const Command& command : commands_) {
    if (!command.app->parsed()) {
      continue;
    }
    ConnectionOptions options;
    options.url = connection_.url;
    options.key = connection_.key;
    ResolveKeyFromDataDir(options, connection_.data_dir);
    auto client = AdminClient::Create(std::move(options));
    if (!client.ok()) {
      PrintError(client.status().message());
      return kExitApiError;
    }
    Session session{**client, connection_.json};
    return command.run(session);
  }
  return std::nullopt;
}

}  // namespace edgegate::cli
