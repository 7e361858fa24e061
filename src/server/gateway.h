// The composition root: builds every component of `edgegate serve` in dependency order, wires
// them, and owns start-up and shutdown order. Nothing else constructs components or knows more
// than one of them.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "config/options.h"

namespace edgegate::server {

class GatewayParts;

// Lifecycle: Create → Start → Shutdown (once). Thread-compatible.
class Gateway {
 public:
  // Opens the data dir and store, bootstraps the admin key (`env_admin_key` = EDGEGATE_ADMIN_KEY),
  // restores running endpoints and binds both listeners. Errors name the failing option.
  static base::Result<std::unique_ptr<Gateway>> Create(const config::ServeOptions& options,
                                                       std::optional<std::string> env_admin_key);
  ~Gateway();

  void Start();
  // Stops accepting, lets in-flight requests finish within the grace period, stops the loops.
  // Returns true if every connection closed in time.
  bool Shutdown();
  uint16_t data_port() const;
  uint16_t admin_port() const;

 private:
  explicit Gateway(std::unique_ptr<GatewayParts> parts);
  std::unique_ptr<GatewayParts> parts_;
};

// The SDK tree the compiler uses: `configured` if set, else the first of the places a build or
// an install puts it next to the binary. FailedPrecondition naming "sdk-dir" if none holds one.
base::Result<std::string> FindSdkDir(const std::string& configured);

}  // namespace edgegate::server
