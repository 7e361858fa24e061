#!/usr/bin/env bash
# Installs the Debian 12 packages Edgegate needs to build, run and test.
#
# Idempotent and cheap when nothing is missing (scripts/lib/ensure-packages.sh).
#
# Boost comes from the versioned 1.81 packages: libboost-all-dev is 1.74 (no JSON, no URL).
set -euo pipefail

packages=(
  # toolchain
  build-essential g++ cmake make ccache pkg-config git
  # libraries
  libboost1.81-dev libboost-context1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libssl-dev libcli11-dev libcurl4-openssl-dev
  # admin import: OpenAPI YAML/JSON specs and ZIP bundles
  libyaml-cpp-dev libzip-dev
  # service actor clients (PostgreSQL, MariaDB, Redis, Memcached; libcurl does S3/SMTP/FTP/SFTP)
  libpq-dev libmariadb-dev libhiredis-dev libmemcached-dev libxml2-dev  # libxml2: S3's XML
  # unit tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # end-to-end tests (stdlib only, run with /usr/bin/python3), scripts and load generation
  python3 curl wrk
  # e2e: a real Prometheus text-format parser checks GET /metrics (tests/e2e/test_ops.py)
  python3-prometheus-client
)

source "$(dirname "${BASH_SOURCE[0]}")/lib/ensure-packages.sh"
ensure_packages install-deps "${packages[@]}"
