#!/usr/bin/env bash
# Starts the real backend servers the integration tests of service actors talk to, on 127.0.0.1
# free ports chosen now, and describes them in <state-dir>/env.json and env.sh.
#
# Usage: up.sh [NAME...]   (default: all of postgres mariadb redis memcached s3 smtp ftp sftp)
# Environment: EDGEGATE_BACKENDS_DIR (state directory, default <repo>/build/backends),
#   EDGEGATE_BACKENDS_TIMEOUT (seconds each server may take to become ready, default 60).
#
# Idempotent: a server whose recorded processes still run is reused as it is; one that is not
# running gets a fresh data directory (its previous port again, if that is still free). Missing
# Debian packages and the SMTP capture's npm packages are installed first (a no-op when present).
# A server counts as up only after a real client succeeded (and its fixtures exist). Every wait
# is bounded; on failure the message names the server and shows the tail of its log.
set -euo pipefail
set -E

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=/dev/null  # one file per server: servers/NAME.sh defines start_NAME
for server_file in "$BACKENDS_SCRIPTS"/servers/*.sh; do source "$server_file"; done

# packages_for NAME: the Debian packages server NAME and scripts/backends/check.sh need.
packages_for() {
  case $1 in
    postgres) echo postgresql-15 postgresql-client-15 openssl ;;
    mariadb) echo mariadb-server mariadb-client openssl ;;
    redis) echo redis-server redis-tools ;;
    memcached) echo memcached ;;
    s3) echo swift swift-proxy swift-account swift-container swift-object memcached curl ;;
    smtp) echo nodejs:node npm:npm curl openssl ;;
    ftp) echo vsftpd curl openssl ;;
    sftp) echo openssh-server openssh-client curl ;;
  esac
}

# install_packages NAME...: the Debian packages of NAMEs (scripts/lib/ensure-packages.sh).
install_packages() {
  local specs=(python3 util-linux procps) name
  for name in "$@"; do
    # shellcheck disable=SC2207  # package names have no spaces
    specs+=($(packages_for "$name"))
  done
  # shellcheck source=../lib/ensure-packages.sh
  source "$REPO_ROOT/scripts/lib/ensure-packages.sh"
  ensure_packages backends "${specs[@]}" >&2
}

# with_dependencies NAME...: NAMEs in start order, plus memcached when s3 needs it.
with_dependencies() {
  local wanted=" $* " name
  [[ $wanted == *" s3 "* ]] && wanted+=" memcached "
  for name in "${ALL_BACKENDS[@]}"; do
    [[ $wanted == *" $name "* ]] && echo "$name"
  done
  return 0
}

# bring_up NAME: starts NAME from a fresh directory (its previous port again if still free).
bring_up() {
  local name=$1 dir started
  CURRENT=$name
  dir=$(server_dir "$name")
  stop_server "$name"  # leftovers of a half-started or half-stopped run
  [[ -f $dir/info.json ]] && cp "$dir/info.json" "$dir.previous.json"
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 755 "$dir"
  started=$SECONDS
  "start_$name" "$dir"
  log "$name: ready on port $(port_of "$name") in $((SECONDS - started)) s"
}

# port_of NAME: the port in NAME's info.json.
port_of() {
  "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' \
    "$(server_dir "$1")/info.json"
}

# up_locked NAME...: starts the NAMEs that are not running and rewrites env.json (holding the
# lock). memcached goes first (S3 needs its port); the others start in parallel, each in a
# subshell that exits on its first error.
up_locked() {
  local name todo=() pids=() failed=() i
  for name in "$@"; do
    if is_up "$name"; then
      log "$name: already running (pids $(pids_json "$name")), reused"
    else
      todo+=("$name")
    fi
  done
  CURRENT=ftp/sftp
  [[ " ${todo[*]} " =~ " "(ftp|sftp)" " ]] && ensure_ftp_user  # once: useradd is not concurrent
  if [[ " ${todo[*]} " == *" memcached "* ]]; then bring_up memcached; fi
  for name in "${todo[@]}"; do
    [[ $name == memcached ]] && continue
    bring_up "$name" &
    pids+=("$!:$name")
  done
  for i in "${pids[@]}"; do
    wait "${i%%:*}" || failed+=("${i#*:}")
  done
  CURRENT="env"
  write_env
  ((${#failed[@]} == 0)) || { log "failed to start: ${failed[*]} (see the messages above)"; exit 1; }
  log "env: $STATE_DIR/env.json (shell: source $STATE_DIR/env.sh)"
}

main() {
  local names=("$@")
  ((${#names[@]} > 0)) || names=("${ALL_BACKENDS[@]}")
  check_names "${names[@]}"
  mapfile -t names < <(with_dependencies "${names[@]}")
  CURRENT=packages
  trap 'log "$CURRENT: failed: $BASH_COMMAND (line $LINENO)"' ERR
  install_packages "${names[@]}"
  DATA_ROOT=$(data_root)
  mkdir -p "$DATA_ROOT"
  chmod 755 "$DATA_ROOT"
  [[ " ${names[*]} " == *" smtp "* ]] && smtp_npm_install
  with_lock up_locked "${names[@]}"
}

main "$@"
