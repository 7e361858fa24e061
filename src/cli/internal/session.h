// Shared by the client command implementations (deploy.cc, endpoints_cmd.cc, import_status.cc):
// their arguments, the session they run in, and how one API call's outcome becomes an exit code.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "cli/client.h"
#include "cli/output.h"

namespace edgegate::cli {

// Flags every client command takes (flag > environment > default).
struct ConnectionFlags {
  std::string url = "http://127.0.0.1:8081";  // --url, EDGEGATE_ADMIN_URL
  std::string key;                            // --key, EDGEGATE_ADMIN_KEY
  std::string data_dir = "./data";            // --data-dir, EDGEGATE_DATA_DIR: admin.key
  bool json = false;                          // --json: print the API's data as JSON
};

struct DeployArgs {
  std::string file;    // the handler source
  std::string route;   // "METHOD /path"
  std::string domain;  // empty: the API's default (`*`) for new endpoints, unchanged otherwise
  std::string name;    // empty: the file's stem
};

struct ListArgs {
  std::string domain;  // filters passed to GET /api/endpoints; empty: no filter
  std::string status;
};

struct TargetArgs {
  std::string endpoint;  // an endpoint's id or name
  bool code = false;     // show: print the source too
};

struct LogsArgs {
  std::string endpoint;  // an endpoint's id or name
  bool follow = false;   // -f: stream new entries until Ctrl-C
  std::string since;     // --since: entries after this seq ("" = the newest `limit`)
  std::string limit;     // --limit: 1..1000 ("" = the API's default, 100)
};

struct ImportArgs {
  std::string file;  // .yaml/.yml/.json spec or .zip bundle
  std::string domain;
  bool compile = false;  // bundles only
  bool start = false;    // bundles only
};

// One command's run: the client and how to print. Borrowed by the command for its duration.
struct Session {
  AdminClient& client;
  bool json = false;
};

// Reads `path` whole into `*text`; false if it cannot be read.
bool ReadFile(const std::string& path, std::string* text);

// Prints `message` as "edgegate: message" on stderr.
void PrintError(std::string_view message);

// The exit code for a failed transport (`status` not ok): 3 unreachable, 2 bad URL. Prints it.
int TransportFailure(const base::Status& status);

// Prints an error reply (its `error`, `details.field`, `details.errors[]`) and returns 1.
int ApiFailure(const ApiReply& reply);

// The outcome of `reply`: kExitOk with the envelope's data in `*data`, or the printed error's
// exit code.
int Expect(const base::Result<ApiReply>& reply, boost::json::value* data);

// Finds the endpoint whose id, or else whose name, is `id_or_name` (its list entry, without
// code) among GET /api/endpoints[?domain=]; `*endpoint` is null when none matches. Returns
// kExitOk, or the printed error's exit code (1 when several endpoints have that name).
int FindEndpoint(Session& session, std::string_view id_or_name, std::string_view domain,
                 boost::json::value* endpoint);

// FindEndpoint by id or name, with "no such endpoint" as an error (exit 1).
int ResolveEndpoint(Session& session, const std::string& id_or_name,
                    boost::json::value* endpoint);

int RunDeploy(Session& session, const DeployArgs& args);
int RunList(Session& session, const ListArgs& args);
int RunShow(Session& session, const TargetArgs& args);
int RunRemove(Session& session, const TargetArgs& args);
int RunImport(Session& session, const ImportArgs& args);
int RunStatus(Session& session);
int RunLogs(Session& session, const LogsArgs& args);

}  // namespace edgegate::cli
