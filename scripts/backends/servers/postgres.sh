# PostgreSQL 15 for tests (sourced by up.sh). initdb refuses root, so the cluster belongs to the
# `postgres` user. Local socket: trust (fixtures); TCP 127.0.0.1: scram-sha-256, so a wrong
# password really fails, with or without TLS (ssl=on, a self-signed certificate for 127.0.0.1,
# exported as tls_ca). fsync is off: the data is thrown away.

PG_BIN=/usr/lib/postgresql/15/bin
PG_USER=edgegate PG_PASSWORD=edgegate-pw PG_DATABASE=edgegate_test
PG_ADMIN_PASSWORD=postgres-pw

# start_postgres DIR: initializes a cluster in DIR/data, starts it, creates the fixtures.
start_postgres() {
  local dir=$1 port pid
  port=$(pick_port postgres port)
  mkdir -p "$dir/data" "$dir/run"
  echo "$PG_ADMIN_PASSWORD" >"$dir/pwfile"
  touch "$dir/server.log"  # pg_ctl -l appends to it as postgres
  chown -R postgres:postgres "$dir"
  tls_cert "$dir" postgres
  runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync \
    >>"$dir/server.log" 2>&1 || die postgres "initdb failed"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t "$READY_TIMEOUT_S" \
    -o "-h 127.0.0.1 -p $port -k $dir/run -c fsync=off -c full_page_writes=off \
        -c synchronous_commit=off -c ssl=on -c ssl_cert_file=$dir/tls.crt \
        -c ssl_key_file=$dir/tls.key" start >/dev/null 9>&- || die postgres "pg_ctl start failed"
  pid=$(head -n 1 "$dir/data/postmaster.pid")
  record_pid postgres "$pid" INT  # SIGINT: fast shutdown, does not wait for clients
  wait_for postgres "pg_isready" pg_isready -q -h 127.0.0.1 -p "$port"
  postgres_fixtures "$dir" "$port"
  write_info postgres host=127.0.0.1 port:="$port" user="$PG_USER" password="$PG_PASSWORD" \
    database="$PG_DATABASE" admin_user=postgres admin_password="$PG_ADMIN_PASSWORD" \
    url="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/$PG_DATABASE" \
    socket_dir="$dir/run" data_dir="$dir/data" tls_ca="$dir/tls.crt" log="$dir/server.log" \
    pids:="$(pids_json postgres)"
}

# postgres_fixtures DIR PORT: role edgegate and database edgegate_test, checked over TCP.
postgres_fixtures() {
  local dir=$1 port=$2
  psql -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" -U postgres -d postgres >>"$dir/server.log" 2>&1 <<SQL \
    || die postgres "creating the fixtures failed"
CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD';
CREATE DATABASE $PG_DATABASE OWNER $PG_USER;
SQL
  PGPASSWORD=$PG_PASSWORD psql -qtA -h 127.0.0.1 -p "$port" -U "$PG_USER" -d "$PG_DATABASE" \
    -c 'SELECT 1' >/dev/null 2>>"$dir/server.log" || die postgres "login as $PG_USER over TCP failed"
}
