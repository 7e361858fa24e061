#!/usr/bin/env bash
# Stops the backend servers started by scripts/backends/up.sh and rewrites env.json without them.
#
# Usage: down.sh [NAME...]   (default: all)
# Each recorded process gets its stop signal (SIGINT for PostgreSQL's fast shutdown, SIGTERM for
# the others), SIGKILL after 10 s; the script returns once they are gone. Only processes whose pid
# AND start time match up.sh's record are signalled. Data directories stay (for post-mortems);
# the next up.sh replaces them.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# down_locked NAME...: stops NAMEs in parallel and rewrites env.json (holding the lock).
down_locked() {
  local name pids=() failed=() i
  for name in "$@"; do
    if [[ -n $(live_pids "$name") ]]; then
      { stop_server "$name" && log "$name: stopped"; } &
      pids+=("$!:$name")
    else
      rm -f "$(server_dir "$name")/pids"
    fi
  done
  for i in "${pids[@]}"; do
    wait "${i%%:*}" || failed+=("${i#*:}")
  done
  write_env
  ((${#failed[@]} == 0)) || { log "could not stop: ${failed[*]}"; exit 1; }
}

main() {
  local names=("$@")
  ((${#names[@]} > 0)) || names=("${ALL_BACKENDS[@]}")
  check_names "${names[@]}"
  [[ -d $STATE_DIR ]] || { log "nothing to stop: no $STATE_DIR"; return 0; }
  DATA_ROOT=$(data_root)
  with_lock down_locked "${names[@]}"
}

main "$@"
