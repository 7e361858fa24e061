#!/usr/bin/env bash
# Installs the Debian 12 packages the benchmarks need (`make bench`): the load generator, the
# peers Edgegate is measured against, and Google Benchmark for bench/micro.
#
# Idempotent and cheap when nothing is missing: one dpkg-query decides, and apt is not touched.
# Node.js counts as present when a `node` binary is on the PATH, whatever installed it.
# apt-get update runs only when a missing package is unknown to the local lists (fresh machine)
# or when an install fails on stale lists. Run as root (or with sudo available).
set -euo pipefail

packages=(
  wrk                     # load generator
  nginx-light             # peer: nginx, `return 200`
  libnginx-mod-http-lua   # peer: nginx + Lua (`content_by_lua_block`), pulls in the NDK module
  nodejs                  # peer: Node.js `http` server
  libbenchmark-dev        # bench/micro (Google Benchmark)
  procps                  # ps/pgrep, handy when a run is inspected by hand
  util-linux              # taskset (pins servers and wrk to different cores)
)

# Prints the packages from the list that are not fully installed, one per line.
missing_packages() {
  local installed
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null \
    | awk '$2 == "installed" {print $1}' || true)
  local p
  for p in "${packages[@]}"; do
    if [[ $p == nodejs ]] && command -v node >/dev/null; then
      continue
    fi
    grep -qxF "$p" <<<"$installed" || echo "$p"
  done
}

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0)); then
  echo "install-bench-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

as_root=()
if ((EUID != 0)); then
  command -v sudo >/dev/null \
    || { echo "install-bench-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
apt_install() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

echo "install-bench-deps: installing ${missing[*]}"
needs_update=false
for p in "${missing[@]}"; do
  apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || { needs_update=true; break; }
done
if $needs_update; then
  "${as_root[@]}" apt-get update
fi
if ! apt_install; then
  $needs_update && exit 1
  echo "install-bench-deps: install failed; refreshing package lists and retrying" >&2
  "${as_root[@]}" apt-get update
  apt_install
fi

mapfile -t still_missing < <(missing_packages)
if ((${#still_missing[@]} > 0)); then
  echo "install-bench-deps: still missing after install: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-bench-deps: installed ${missing[*]}"
