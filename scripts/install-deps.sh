#!/usr/bin/env bash
# Installs the Debian 12 packages Edgegate needs to build, run and test.
#
# Idempotent and cheap when nothing is missing: one dpkg-query decides, and apt is not touched.
# apt-get update runs only when a missing package is unknown to the local lists (fresh machine)
# or when an install fails on stale lists. Run as root (or with sudo available).
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
  # unit tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # end-to-end tests (stdlib only, run with /usr/bin/python3), scripts and load generation
  python3 curl wrk
)

# Prints the packages from the list that are not fully installed, one per line.
missing_packages() {
  local installed
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null \
    | awk '$2 == "installed" {print $1}' || true)
  local p
  for p in "${packages[@]}"; do
    grep -qxF "$p" <<<"$installed" || echo "$p"
  done
}

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

as_root=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
apt_install() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

echo "install-deps: installing ${missing[*]}"
needs_update=false
for p in "${missing[@]}"; do
  apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || { needs_update=true; break; }
done
if $needs_update; then
  "${as_root[@]}" apt-get update
fi
if ! apt_install; then
  $needs_update && exit 1
  echo "install-deps: install failed; refreshing package lists and retrying" >&2
  "${as_root[@]}" apt-get update
  apt_install
fi

mapfile -t still_missing < <(missing_packages)
if ((${#still_missing[@]} > 0)); then
  echo "install-deps: still missing after install: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps: installed ${missing[*]}"
