#!/usr/bin/env bash
# Installs the Debian 12 packages the benchmarks need (`make bench`): the load generator, the
# peers Edgegate is measured against, Google Benchmark for bench/micro, and the Redis and
# PostgreSQL servers and clients of the service benchmark (7).
#
# Idempotent and cheap when nothing is missing (scripts/lib/ensure-packages.sh). Node.js counts
# as present when a `node` binary is on the PATH, whatever installed it.
set -euo pipefail

packages=(
  wrk                     # load generator
  nginx-light             # peer: nginx, `return 200`
  libnginx-mod-http-lua   # peer: nginx + Lua (`content_by_lua_block`), pulls in the NDK module
  nodejs:node             # peer: Node.js `http` server (any `node` on the PATH will do)
  libbenchmark-dev        # bench/micro (Google Benchmark)
  procps                  # ps/pgrep, handy when a run is inspected by hand
  util-linux              # taskset (pins servers and wrk to different cores)
  redis-server            # benchmark 7: the Redis that scripts/backends/up.sh starts
  redis-tools             # benchmark 7: redis-benchmark (and redis-cli)
  postgresql-15           # benchmark 7: the PostgreSQL up.sh starts, and its pgbench
  postgresql-client-15    # benchmark 7: psql (up.sh's fixtures), the pgbench on the PATH
)

source "$(dirname "${BASH_SOURCE[0]}")/lib/ensure-packages.sh"
ensure_packages install-bench-deps "${packages[@]}"
