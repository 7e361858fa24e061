# MariaDB 10.11 for tests (sourced by up.sh). The server drops to the `mysql` user, so its
# directory belongs to it; --no-defaults keeps /etc/mysql out. root has no password on the
# socket; the fixture user `edgegate` logs in over TCP 127.0.0.1 with a password, with or
# without TLS (a self-signed certificate for 127.0.0.1, exported as tls_ca).

MARIADB_USER=edgegate MARIADB_PASSWORD=edgegate-pw MARIADB_DATABASE=edgegate_test

# start_mariadb DIR: installs a data directory in DIR/data, starts mariadbd, creates fixtures.
start_mariadb() {
  local dir=$1 port
  port=$(pick_port mariadb port)
  mkdir -p "$dir/data" "$dir/run" "$dir/tmp"
  chown -R mysql:mysql "$dir"
  tls_cert "$dir" mysql
  mariadb-install-db --no-defaults --user=mysql --datadir="$dir/data" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
    >"$dir/install.log" 2>&1 || die mariadb "mariadb-install-db failed (see $dir/install.log)"
  launch mariadb "$dir/server.log" \
    mariadbd --no-defaults --user=mysql --datadir="$dir/data" --tmpdir="$dir/tmp" \
    --socket="$dir/run/mysqld.sock" --pid-file="$dir/run/mysqld.pid" --port="$port" \
    --bind-address=127.0.0.1 --skip-log-bin --skip-name-resolve \
    --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=64M \
    --ssl-cert="$dir/tls.crt" --ssl-key="$dir/tls.key"
  wait_for mariadb "mariadb-admin ping" \
    mariadb-admin --no-defaults --socket="$dir/run/mysqld.sock" -uroot ping
  mariadb_fixtures "$dir" "$port"
  write_info mariadb host=127.0.0.1 port:="$port" user="$MARIADB_USER" \
    password="$MARIADB_PASSWORD" database="$MARIADB_DATABASE" admin_user=root admin_password="" \
    url="mysql://$MARIADB_USER:$MARIADB_PASSWORD@127.0.0.1:$port/$MARIADB_DATABASE" \
    socket="$dir/run/mysqld.sock" data_dir="$dir/data" tls_ca="$dir/tls.crt" \
    log="$dir/server.log" pids:="$(pids_json mariadb)"
}

# mariadb_fixtures DIR PORT: database and user (any host: TCP clients come from 127.0.0.1).
mariadb_fixtures() {
  local dir=$1 port=$2
  mariadb --no-defaults --socket="$dir/run/mysqld.sock" -uroot >>"$dir/server.log" 2>&1 <<SQL \
    || die mariadb "creating the fixtures failed"
CREATE DATABASE $MARIADB_DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$MARIADB_PASSWORD';
CREATE USER '$MARIADB_USER'@'localhost' IDENTIFIED BY '$MARIADB_PASSWORD';
GRANT ALL ON $MARIADB_DATABASE.* TO '$MARIADB_USER'@'%';
GRANT ALL ON $MARIADB_DATABASE.* TO '$MARIADB_USER'@'localhost';
SQL
  mariadb --no-defaults -h 127.0.0.1 -P "$port" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" \
    "$MARIADB_DATABASE" -e 'SELECT 1' >/dev/null 2>>"$dir/server.log" \
    || die mariadb "login as $MARIADB_USER over TCP failed"
}
