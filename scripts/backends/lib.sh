# Sourced by scripts/backends/{up,down,check}.sh: paths, free ports, bounded waits and the pid
# records shared by every backend server.
#
# Layout: the state directory ($EDGEGATE_BACKENDS_DIR, default <repo>/build/backends) holds
# env.json, env.sh and a lock; each server has its own directory <data-root>/<name>/ with its
# config, data, log, `pids` (one "pid starttime signal" line per process) and `info.json` (its part
# of env.json). The data root is the state directory unless unprivileged users (postgres, mysql,
# swift, nobody, egftp) cannot reach it (a clone under /root, mode 0700): then it is a directory
# under /tmp named after the state directory, so every run of the same checkout finds it again.
# A process is "ours" only if its pid AND its start time match the record, so a recycled pid is
# never signalled.

BACKENDS_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BACKENDS_SCRIPTS/../.." && pwd)
STATE_DIR=${EDGEGATE_BACKENDS_DIR:-$REPO_ROOT/build/backends}
ALL_BACKENDS=(postgres mariadb redis memcached s3 smtp ftp sftp)
PY=/usr/bin/python3
READY_TIMEOUT_S=${EDGEGATE_BACKENDS_TIMEOUT:-60}
STOP_TIMEOUT_S=10

# log MESSAGE...: progress on stderr, prefixed so it stands out in `make test` output.
log() { echo "backends: $*" >&2; }

# die NAME MESSAGE: names the failing server, points to its log, exits.
die() {
  local name=$1
  shift
  echo "backends: $name: $*" >&2
  local logfile
  logfile="$(server_dir "$name")/server.log"
  if [[ -f $logfile ]]; then
    echo "backends: $name: log: $logfile (last lines below)" >&2
    tail -n 20 "$logfile" | sed "s/^/  $name| /" >&2
  fi
  exit 1
}

# data_root: prints the directory under which server directories live (see the file comment).
data_root() {
  mkdir -p "$STATE_DIR"
  local state
  state=$(cd "$STATE_DIR" && pwd)
  if runuser -u nobody -- test -x "$state" 2>/dev/null; then
    echo "$state"
  else
    echo "/tmp/edgegate-backends-$(echo -n "$state" | sha1sum | cut -c1-12)"
  fi
}

# server_dir NAME: prints the directory of server NAME (not created).
server_dir() { echo "${DATA_ROOT:=$(data_root)}/$1"; }

# is_backend NAME: true if NAME is a known server.
is_backend() {
  local n
  for n in "${ALL_BACKENDS[@]}"; do [[ $n == "$1" ]] && return 0; done
  return 1
}

# check_names NAME...: exits with the list of known names on an unknown one.
check_names() {
  local n
  for n in "$@"; do
    is_backend "$n" || { log "unknown server '$n' (known: ${ALL_BACKENDS[*]})"; exit 2; }
  done
}

# start_time PID: prints the process start time (clock ticks since boot), empty if gone.
start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }  # drop "pid (comm) ": comm may contain spaces
  awk '{print $20}' <<<"$stat"
}

# record_pid NAME PID [SIGNAL]: remembers PID as a process of NAME, stopped with SIGNAL
# (default TERM).
record_pid() {
  local st
  st=$(start_time "$2")
  [[ -n $st ]] || die "$1" "process $2 exited right after start"
  echo "$2 $st ${3:-TERM}" >>"$(server_dir "$1")/pids"
}

# launch NAME LOG COMMAND...: starts COMMAND in the background in its own session (so a Ctrl-C
# of `make` does not reach it), stdin from /dev/null, output appended to LOG, without the lock's
# file descriptor (a server holding it would block every later up.sh), and records its pid.
launch() {
  local name=$1 logfile=$2
  shift 2
  setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  record_pid "$name" $!
}

# live_pids NAME: prints "pid signal" for each recorded process of NAME that still runs.
live_pids() {
  local file pid st sig
  file="$(server_dir "$1")/pids"
  [[ -f $file ]] || return 0
  while read -r pid st sig; do
    [[ -n $pid && $(start_time "$pid") == "$st" ]] && echo "$pid $sig"
  done <"$file"
  return 0
}

# is_up NAME: true if NAME has an info.json and all of its recorded processes run.
is_up() {
  local dir file pid st sig
  dir=$(server_dir "$1")
  file=$dir/pids
  [[ -f $dir/info.json && -s $file ]] || return 1
  while read -r pid st sig; do
    [[ $(start_time "$pid") == "$st" ]] || return 1
  done <"$file"
}

# stop_server NAME: SIGNAL then SIGKILL (after STOP_TIMEOUT_S) for each live process of NAME,
# waits until all are gone, forgets the pids. Keeps data and info.json (up.sh reuses the ports).
stop_server() {
  local name=$1 pid sig pids=() deadline
  while read -r pid sig; do
    [[ -n $pid ]] || continue
    pids+=("$pid")
    kill -s "$sig" "$pid" 2>/dev/null || true
  done < <(live_pids "$name")
  deadline=$((SECONDS + STOP_TIMEOUT_S))
  while any_alive "$name" && ((SECONDS < deadline)); do sleep 0.1; done
  if any_alive "$name"; then
    log "$name: still running after ${STOP_TIMEOUT_S}s, sending SIGKILL"
    while read -r pid sig; do kill -KILL "$pid" 2>/dev/null || true; done < <(live_pids "$name")
    deadline=$((SECONDS + 5))
    while any_alive "$name" && ((SECONDS < deadline)); do sleep 0.1; done
    any_alive "$name" && die "$name" "could not kill pids ${pids[*]}"
  fi
  stop_sessions "$name"
  rm -f "$(server_dir "$name")/pids"
  return 0
}

# stop_sessions NAME: kills what is left in the sessions of NAME's recorded processes (launch()
# makes each the leader of its own session): per-connection children such as vsftpd's or
# sshd's, which outlive their listener while a client stays connected.
stop_sessions() {
  local file members deadline
  file="$(server_dir "$1")/pids"
  [[ -f $file ]] || return 0
  session_members() {
    ps -e -o pid=,sid=,stat= \
      | awk 'NR == FNR {sid[$1] = 1; next} ($2 in sid) && $1 != $2 && $3 !~ /^Z/ {print $1}' \
        "$file" -
  }
  members=$(session_members)
  [[ -n $members ]] || return 0
  # shellcheck disable=SC2086  # a list of pids
  kill -TERM $members 2>/dev/null || true
  deadline=$((SECONDS + 5))
  while [[ -n $(session_members) ]] && ((SECONDS < deadline)); do sleep 0.1; done
  members=$(session_members)
  # shellcheck disable=SC2086
  [[ -z $members ]] || kill -KILL $members 2>/dev/null || true
}

# any_alive NAME: true if a recorded process of NAME still runs (zombies count as gone).
any_alive() {
  local pid sig state
  while read -r pid sig; do
    state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [[ -n $state && $state != Z ]] && return 0
  done < <(live_pids "$1")
  return 1
}

# port_free PORT: true if PORT can be bound on 127.0.0.1 right now.
port_free() {
  "$PY" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is no conflict
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

# free_ports COUNT: prints COUNT distinct ports that the kernel hands out as free on 127.0.0.1.
free_ports() {
  "$PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# free_port_range COUNT: prints "first last" of COUNT consecutive ports free right now.
free_port_range() {
  "$PY" - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(40000, 60000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base, base + n - 1)
    sys.exit(0)
sys.exit(1)
EOF
}

# previous NAME KEY: prints KEY of NAME's last info.json (empty if none): a restarted server
# gets its old port back when it is still free, so a gateway configured with it reconnects.
previous() {
  local file
  file="$(server_dir "$1").previous.json"
  [[ -f $file ]] || return 0
  "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' \
    "$file" "$2"
}

# pick_port NAME KEY: NAME's previous KEY port if still free, else a fresh free port.
pick_port() {
  local old
  old=$(previous "$1" "$2")
  if [[ -n $old ]] && port_free "$old"; then echo "$old"; else free_ports 1; fi
}

# wait_for NAME WHAT COMMAND...: runs COMMAND every 0.1 s until it succeeds; dies after
# READY_TIMEOUT_S, or as soon as NAME's processes are gone.
wait_for() {
  local name=$1 what=$2
  shift 2
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then die "$name" "not ready after ${READY_TIMEOUT_S}s ($what)"; fi
    if [[ -s "$(server_dir "$name")/pids" ]] && ! any_alive "$name"; then
      die "$name" "exited during startup ($what)"
    fi
    sleep 0.1
  done
}

# banner PORT PREFIX: true if a TCP connection to 127.0.0.1:PORT greets with PREFIX.
banner() {
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  IFS= read -r -t 2 line <&3 || { exec 3<&-; return 1; }
  exec 3<&-
  [[ $line == "$2"* ]]
}

# tls_cert DIR OWNER: a self-signed certificate for 127.0.0.1 (no host name) in DIR/tls.crt, its
# key in DIR/tls.key (mode 600), both owned by OWNER. The certificate is its own CA: clients
# verify against DIR/tls.crt, exported as tls_ca.
tls_cert() {
  local dir=$1 owner=$2
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=edgegate-test" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" >/dev/null 2>&1 || die "$CURRENT" "openssl req failed"
  chmod 600 "$dir/tls.key"
  chown "$owner:$owner" "$dir/tls.key" "$dir/tls.crt"
}

# write_info NAME KEY=VALUE... KEY:=JSON...: writes NAME's info.json (strings and raw JSON).
write_info() {
  local name=$1
  shift
  "$PY" - "$@" >"$(server_dir "$name")/info.json" <<'EOF'
import json, sys
out = {}
for arg in sys.argv[1:]:
    key, _, value = arg.partition("=")
    if key.endswith(":"):
        out[key[:-1]] = json.loads(value)
    else:
        out[key] = value
print(json.dumps(out, indent=2))
EOF
}

# pids_json NAME: prints the recorded pids of NAME as a JSON list.
pids_json() {
  local file
  file="$(server_dir "$1")/pids"
  awk 'BEGIN {printf "["} {printf "%s%s", (NR > 1 ? ", " : ""), $1} END {print "]"}' "$file"
}

# write_env: rebuilds env.json and env.sh from the info.json of every running server.
write_env() {
  local names=() n
  for n in "${ALL_BACKENDS[@]}"; do is_up "$n" && names+=("$n"); done
  "$PY" "$BACKENDS_SCRIPTS/write_env.py" "$STATE_DIR" "$DATA_ROOT" "${names[@]}"
}

# with_lock COMMAND...: runs COMMAND holding the state directory's lock (up/down serialize).
with_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/.lock"
  flock -w 120 9 || { log "another up.sh/down.sh holds $STATE_DIR/.lock for 120 s"; exit 1; }
  "$@"
}
