# Redis 7 for tests (sourced by up.sh): no persistence, `requirepass` set, foreground process.

REDIS_PASSWORD=edgegate-redis-pw

# start_redis DIR: starts redis-server on a free port and waits for an authenticated PING.
start_redis() {
  local dir=$1 port
  port=$(pick_port redis port)
  mkdir -p "$dir/data"
  cat >"$dir/redis.conf" <<CONF
bind 127.0.0.1
port $port
save ""
appendonly no
daemonize no
dir $dir/data
requirepass $REDIS_PASSWORD
CONF
  launch redis "$dir/server.log" redis-server "$dir/redis.conf"
  wait_for redis "redis-cli AUTH + PING" redis_ping "$port"
  write_info redis host=127.0.0.1 port:="$port" password="$REDIS_PASSWORD" \
    url="redis://:$REDIS_PASSWORD@127.0.0.1:$port/0" data_dir="$dir/data" log="$dir/server.log" \
    pids:="$(pids_json redis)"
}

# redis_ping PORT: true if an authenticated PING answers PONG.
redis_ping() {
  [[ $(REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}
