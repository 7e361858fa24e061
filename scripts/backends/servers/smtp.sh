# SMTP capture for tests (sourced by up.sh): scripts/backends/smtp-capture.js (npm smtp-server),
# AUTH PLAIN/LOGIN or none, STARTTLS offered (not required) with a self-signed certificate for
# 127.0.0.1 (tls_ca), each message written as JSON into DIR/messages.

SMTP_USER=egsmtp SMTP_PASSWORD=egsmtp-pw
# npm packages live outside the source tree (.cache/ is git-ignored), reused between runs.
# smtp-server is pinned to 3.15 (node >= 12): later releases need Node 20, and Debian 12 ships 18.
SMTP_NPM_DIR=$REPO_ROOT/.cache/backends-npm

# smtp_npm_install: installs package-lock.json's packages unless the same lock is installed.
smtp_npm_install() {
  local lock=$BACKENDS_SCRIPTS/package-lock.json
  if cmp -s "$lock" "$SMTP_NPM_DIR/package-lock.json" \
    && [[ -f $SMTP_NPM_DIR/node_modules/smtp-server/package.json ]]; then
    return 0
  fi
  log "smtp: installing npm packages into $SMTP_NPM_DIR"
  mkdir -p "$SMTP_NPM_DIR"
  cp "$BACKENDS_SCRIPTS/package.json" "$lock" "$SMTP_NPM_DIR/"
  (cd "$SMTP_NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2) \
    || { log "smtp: npm ci failed in $SMTP_NPM_DIR"; exit 1; }
}

# start_smtp DIR: starts the capture server (STARTTLS on port, implicit TLS on tls_port) and
# waits for its 220 greeting on both.
start_smtp() {
  local dir=$1 port tls_port
  port=$(pick_port smtp port)
  tls_port=$(pick_port smtp tls_port)
  while [[ $tls_port == "$port" ]]; do tls_port=$(free_ports 1); done  # both unbound yet
  mkdir -p "$dir/messages"
  tls_cert "$dir" root
  NODE_PATH=$SMTP_NPM_DIR/node_modules launch smtp "$dir/server.log" \
    node "$BACKENDS_SCRIPTS/smtp-capture.js" "$port" "$dir/messages" "$SMTP_USER" "$SMTP_PASSWORD" \
    "$dir/tls.key" "$dir/tls.crt" "$tls_port"
  wait_for smtp "220 greeting" banner "$port" 220
  wait_for smtp "220 greeting over implicit TLS" curl -fsS -o /dev/null --max-time 5 \
    --cacert "$dir/tls.crt" -X NOOP "smtps://127.0.0.1:$tls_port"
  write_info smtp host=127.0.0.1 port:="$port" tls_port:="$tls_port" user="$SMTP_USER" \
    password="$SMTP_PASSWORD" auth_methods:='["PLAIN", "LOGIN"]' auth_optional:=true \
    starttls:=true tls_ca="$dir/tls.crt" capture_dir="$dir/messages" log="$dir/server.log" \
    pids:="$(pids_json smtp)"
}
