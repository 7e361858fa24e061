// The client commands of `edgegate`: deploy, endpoints list|show|rm, import, status, logs. Each talks
// to the admin API through AdminClient and returns an exit code from output.h (0 ok, 1 API
// error, 2 usage, 3 unreachable); errors go to stderr, results to stdout (`--json`: the API's
// data, for scripts).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/internal/session.h"

namespace edgegate::cli {

// Registers the client subcommands on `app` and keeps their flag values. Must outlive
// `app.parse`. Thread-compatible.
class ClientCommands {
 public:
  explicit ClientCommands(CLI::App& app);
  ClientCommands(const ClientCommands&) = delete;
  ClientCommands& operator=(const ClientCommands&) = delete;

  // After a successful `app.parse`: the exit code of the client command that was parsed (it is
  // run now), or nullopt if the command line named none of them.
  std::optional<int> RunParsed();

 private:
  struct Command {
    CLI::App* app;
    std::function<int(Session&)> run;
  };

  // Adds --url, --key, --data-dir and --json to `command`.
  void AddConnectionFlags(CLI::App& command);
  void AddDeploy(CLI::App& app);
  void AddEndpoints(CLI::App& app);
  void AddImport(CLI::App& app);
  void AddStatus(CLI::App& app);
  void AddLogs(CLI::App& app);

  ConnectionFlags connection_;
  DeployArgs deploy_;
  ListArgs list_;
  TargetArgs target_;
  ImportArgs import_;
  LogsArgs logs_;
  std::vector<Command> commands_;
};

}  // namespace edgegate::cli
