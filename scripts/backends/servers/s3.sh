# S3 for tests (sourced by up.sh): OpenStack Swift with the s3api middleware, which really
# verifies SigV4 (wrong secret -> 403), and tempauth user test:tester / testing. Four processes:
# account, container and object servers and the proxy (workers = 0: no forks), all dropping to
# the `swift` user; tokens are cached in the memcached of this run. /etc/swift/swift.conf (hash
# prefix/suffix, storage policy) comes with the package; rings and configs live in DIR/etc.

S3_ACCESS_KEY=test:tester S3_SECRET_KEY=testing S3_REGION=us-east-1 S3_BUCKET=edgegate-test

# start_s3 DIR: builds rings, starts the four servers, waits for a signed bucket creation.
start_s3() {
  local dir=$1 proxy_port account_port container_port object_port memcached kind
  proxy_port=$(pick_port s3 port)
  read -r account_port container_port object_port < <(free_ports 3)
  memcached=$(json_field "$(server_dir memcached)/info.json" servers)
  mkdir -p "$dir/etc" "$dir/srv/sdb1" "$dir/run"
  "$PY" "$BACKENDS_SCRIPTS/swift_rings.py" "$dir/etc" "$account_port" "$container_port" \
    "$object_port" >"$dir/server.log" 2>&1 || die s3 "building the Swift rings failed"
  swift_storage_conf account "$account_port" "$dir"
  swift_storage_conf container "$container_port" "$dir"
  swift_storage_conf object "$object_port" "$dir"
  swift_proxy_conf "$proxy_port" "$memcached" "$dir"
  chown -R swift:swift "$dir"
  for kind in account container object proxy; do
    # One log for the four (appending): die() shows its tail.
    # No green DNS: only IP addresses are resolved, and its import costs half a second each.
    EVENTLET_NO_GREENDNS=yes launch s3 "$dir/server.log" \
      "swift-$kind-server" "$dir/etc/$kind-server.conf" -v
  done
  wait_for s3 "healthcheck of the proxy" curl -fsS "http://127.0.0.1:$proxy_port/healthcheck"
  wait_for s3 "signed PUT /$S3_BUCKET" s3_request PUT "http://127.0.0.1:$proxy_port/$S3_BUCKET"
  s3_request GET "http://127.0.0.1:$proxy_port/" || die s3 "signed GET / (list buckets) failed"
  write_info s3 host=127.0.0.1 port:="$proxy_port" endpoint="http://127.0.0.1:$proxy_port" \
    access_key="$S3_ACCESS_KEY" secret_key="$S3_SECRET_KEY" region="$S3_REGION" service=s3 \
    path_style:=true bucket="$S3_BUCKET" memcached="$memcached" data_dir="$dir/srv" \
    log="$dir/server.log" pids:="$(pids_json s3)"
}

# s3_request METHOD URL [BODY_FILE [OUT_FILE]]: a SigV4-signed request with curl; fails unless
# 2xx. Swift's s3api wants x-amz-content-sha256 (curl 7.88 does not add it): the body's SHA-256.
# The access key contains a colon, so the credentials go through a netrc file (curl -u would
# split at it).
s3_request() {
  local method=$1 url=$2 body=${3:-} out=${4:-/dev/null} hash body_args=()
  if [[ -n $body ]]; then
    hash=$(sha256sum "$body" | cut -d' ' -f1)
    body_args=(--data-binary "@$body")
  else
    hash=$(printf '' | sha256sum | cut -d' ' -f1)
  fi
  curl -fsS -o "$out" -X "$method" --aws-sigv4 "aws:amz:$S3_REGION:s3" \
    --netrc-file <(echo "machine 127.0.0.1 login $S3_ACCESS_KEY password $S3_SECRET_KEY") \
    -H "x-amz-content-sha256: $hash" "${body_args[@]}" "$url"
}

# json_field FILE KEY: prints KEY of the JSON object in FILE.
json_field() {
  "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# swift_storage_conf KIND PORT DIR: DIR/etc/KIND-server.conf for the account, container or object
# server.
swift_storage_conf() {
  local kind=$1 port=$2 dir=$3
  cat >"$dir/etc/$kind-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
workers = 0
user = swift
swift_dir = $dir/etc
devices = $dir/srv
mount_check = false
log_level = INFO

[pipeline:main]
pipeline = $kind-server

[app:$kind-server]
use = egg:swift#$kind
CONF
}

# swift_proxy_conf PORT MEMCACHED DIR: DIR/etc/proxy-server.conf with s3api and tempauth.
swift_proxy_conf() {
  local port=$1 memcached=$2 dir=$3
  cat >"$dir/etc/proxy-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
workers = 0
user = swift
swift_dir = $dir/etc
log_level = INFO

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
location = $S3_REGION

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = $memcached

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo
CONF
}
