# Sourced by scripts/install-*.sh: installs the Debian packages of a list that are missing.
#
# Idempotent and cheap when nothing is missing: one dpkg-query decides, and apt is not touched.
# apt-get update runs only when a missing package is unknown to the local lists (fresh machine)
# or when an install fails on stale lists. Run as root (or with sudo available).

# ensure_packages NAME SPEC...: NAME prefixes the messages; a SPEC is a package name, or
# "package:command" for a package that counts as present when `command` is on the PATH
# (e.g. "nodejs:node": any Node.js will do). Exits the shell on failure.
ensure_packages() {
  local name=$1
  shift
  local specs=("$@") packages=() spec
  for spec in "${specs[@]}"; do packages+=("${spec%%:*}"); done

  # Prints the packages of the list that are not fully installed, one per line.
  missing_packages() {
    local installed spec package command
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" \
      2>/dev/null | awk '$2 == "installed" {print $1}' || true)
    for spec in "${specs[@]}"; do
      package=${spec%%:*}
      command=${spec#*:}
      if [[ $command != "$spec" ]] && command -v "$command" >/dev/null; then
        continue
      fi
      grep -qxF "$package" <<<"$installed" || echo "$package"
    done
  }

  local missing=()
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    echo "$name: all ${#packages[@]} packages already installed"
    return 0
  fi
  local as_root=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || { echo "$name: run as root to install: ${missing[*]}" >&2; exit 1; }
    as_root=(sudo)
  fi
  apt_install() {
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends "${missing[@]}"
  }

  echo "$name: installing ${missing[*]}"
  local needs_update=false p
  for p in "${missing[@]}"; do
    apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || { needs_update=true; break; }
  done
  if $needs_update; then
    "${as_root[@]}" apt-get update
  fi
  if ! apt_install; then
    $needs_update && exit 1
    echo "$name: install failed; refreshing package lists and retrying" >&2
    "${as_root[@]}" apt-get update
    apt_install
  fi

  local still_missing=()
  mapfile -t still_missing < <(missing_packages)
  if ((${#still_missing[@]} > 0)); then
    echo "$name: still missing after install: ${still_missing[*]}" >&2
    exit 1
  fi
  echo "$name: installed ${missing[*]}"
}
