# Memcached for tests (sourced by up.sh); the S3 server (Swift) caches in it too. As root it must
# drop to `nobody`; it runs in the foreground (with -d the pid file was not written).

# start_memcached DIR: starts memcached on a free port (TCP only) and waits for `version`.
start_memcached() {
  local dir=$1 port
  port=$(pick_port memcached port)
  launch memcached "$dir/server.log" memcached -u nobody -l 127.0.0.1 -p "$port" -U 0 -m 64 -v
  wait_for memcached "version command" memcached_version "$port"
  write_info memcached host=127.0.0.1 port:="$port" servers="127.0.0.1:$port" \
    log="$dir/server.log" pids:="$(pids_json memcached)"
}

# memcached_version PORT: true if the text protocol answers `version`.
memcached_version() {
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'version\r\n' >&3
  IFS= read -r -t 2 line <&3 || { exec 3<&-; return 1; }
  exec 3<&-
  [[ $line == VERSION* ]]
}
