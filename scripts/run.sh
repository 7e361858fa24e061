#!/usr/bin/env bash
# Starts the gateway on its embedded defaults, deploys every example handler through the admin
# API, prints ready-to-paste curl commands and keeps the gateway in the foreground.
#
# Ctrl-C or SIGTERM stops the gateway gracefully (SIGTERM is forwarded, then waited for).
# Settings, all optional:
#   EDGEGATE_BIN           binary (default build/src/cli/edgegate)
#   EDGEGATE_DATA_DIR      data directory (default ./data)
#   EDGEGATE_LISTEN        data plane address (gateway default 0.0.0.0:8080)
#   EDGEGATE_ADMIN_LISTEN  admin address (gateway default 127.0.0.1:8081)
#   EDGEGATE_ADMIN_KEY     admin key; otherwise the one the gateway wrote to <data>/admin.key
# Other EDGEGATE_* variables reach the gateway unchanged.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly health_wait_s=30
readonly stop_wait_s=30
bin=${EDGEGATE_BIN:-build/src/cli/edgegate}
data_dir=${EDGEGATE_DATA_DIR:-./data}
listen=${EDGEGATE_LISTEN:-0.0.0.0:8080}
admin_listen=${EDGEGATE_ADMIN_LISTEN:-127.0.0.1:8081}

# Turns a listen address into a URL a local client can reach (wildcard hosts → 127.0.0.1).
local_url() {
  local host=${1%:*} port=${1##*:}
  case $host in "" | 0.0.0.0 | "[::]" | "::") host=127.0.0.1 ;; esac
  echo "http://$host:$port"
}
data_url=$(local_url "$listen")
admin_url=$(local_url "$admin_listen")

if [[ ! -x $bin ]]; then
  echo "run: no gateway binary at $bin (run 'make build' first)" >&2
  exit 1
fi

args=(serve --data-dir "$data_dir")
[[ -n ${EDGEGATE_LISTEN:-} ]] && args+=(--listen "$EDGEGATE_LISTEN")
[[ -n ${EDGEGATE_ADMIN_LISTEN:-} ]] && args+=(--admin-listen "$EDGEGATE_ADMIN_LISTEN")
echo "run: $bin ${args[*]}"
env -u EDGEGATE_BIN "$bin" "${args[@]}" &  # EDGEGATE_BIN is this script's, not the gateway's
gateway_pid=$!

# Forwards SIGTERM, waits (bounded) for the gateway and exits with its status.
stop_gateway() {
  trap - INT TERM
  echo
  echo "run: stopping the gateway (pid $gateway_pid)"
  kill -TERM "$gateway_pid" 2>/dev/null
  local waited=0
  while kill -0 "$gateway_pid" 2>/dev/null && ((waited < stop_wait_s * 10)); do
    sleep 0.1
    ((waited++))
  done
  if kill -0 "$gateway_pid" 2>/dev/null; then
    echo "run: gateway still running after ${stop_wait_s}s; sending SIGKILL" >&2
    kill -KILL "$gateway_pid" 2>/dev/null
  fi
  wait "$gateway_pid"
  exit $?
}
trap stop_gateway INT TERM

ready=false
for ((i = 0; i < health_wait_s * 10; i++)); do
  if ! kill -0 "$gateway_pid" 2>/dev/null; then
    wait "$gateway_pid"
    rc=$?
    echo "run: the gateway exited during start-up (status $rc)" >&2
    exit "$rc"
  fi
  if curl -fsS --max-time 1 -o /dev/null "$admin_url/api/health" 2>/dev/null; then
    ready=true
    break
  fi
  sleep 0.1
done
if ! $ready; then
  echo "run: no answer from $admin_url/api/health within ${health_wait_s}s" >&2
  stop_gateway
fi

/usr/bin/python3 scripts/deploy_examples.py \
  --admin-url "$admin_url" --data-url "$data_url" \
  --key-file "$data_dir/admin.key" --examples examples/handlers \
  || echo "run: deploying the examples failed (see above); the gateway keeps running" >&2

echo "run: gateway running (pid $gateway_pid); press Ctrl-C to stop"
wait "$gateway_pid"
rc=$?
echo "run: the gateway exited (status $rc)"
exit "$rc"
