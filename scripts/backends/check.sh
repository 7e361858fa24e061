#!/usr/bin/env bash
# Proves with real clients that every backend server of scripts/backends/up.sh works: a query,
# a write read back, and a wrong password refused, per server.
#
# Usage: check.sh [NAME...]   (default: every server in env.json)
# Reads env.sh next to $EDGEGATE_BACKENDS_ENV (default <state-dir>/env.json). Checks every
# server, prints one line each, and exits 1 if any failed (naming it and its log).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$BACKENDS_SCRIPTS/servers/s3.sh"  # s3_request

ENV_JSON=${EDGEGATE_BACKENDS_ENV:-$STATE_DIR/env.json}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
TOKEN=check-$$-$RANDOM

# fail MESSAGE: ends the current check (each runs in a subshell) as failed.
fail() { echo "  $*" >&2; exit 1; }

check_postgres() {
  local sql="CREATE TABLE IF NOT EXISTS check_t (v text); INSERT INTO check_t VALUES ('$TOKEN');
             SELECT v FROM check_t WHERE v = '$TOKEN';"
  [[ $(PGPASSWORD=$EDGEGATE_POSTGRES_PASSWORD psql -qtA -v ON_ERROR_STOP=1 -h 127.0.0.1 \
    -p "$EDGEGATE_POSTGRES_PORT" -U "$EDGEGATE_POSTGRES_USER" -d "$EDGEGATE_POSTGRES_DATABASE" \
    -c "$sql") == "$TOKEN" ]] || fail "insert/select over TCP failed"
  ! PGPASSWORD=wrong psql -qtA -h 127.0.0.1 -p "$EDGEGATE_POSTGRES_PORT" \
    -U "$EDGEGATE_POSTGRES_USER" -d "$EDGEGATE_POSTGRES_DATABASE" -c 'SELECT 1' 2>/dev/null \
    || fail "a wrong password was accepted"
}

check_mariadb() {
  local args=(--no-defaults -h 127.0.0.1 -P "$EDGEGATE_MARIADB_PORT" -u "$EDGEGATE_MARIADB_USER")
  [[ $(mariadb "${args[@]}" -p"$EDGEGATE_MARIADB_PASSWORD" -N "$EDGEGATE_MARIADB_DATABASE" -e \
    "CREATE TABLE IF NOT EXISTS check_t (v varchar(64)); INSERT INTO check_t VALUES ('$TOKEN');
     SELECT v FROM check_t WHERE v = '$TOKEN';") == "$TOKEN" ]] \
    || fail "insert/select over TCP failed"
  ! mariadb "${args[@]}" -pwrong -e 'SELECT 1' 2>/dev/null || fail "a wrong password was accepted"
}

check_redis() {
  local cli=(redis-cli -h 127.0.0.1 -p "$EDGEGATE_REDIS_PORT")
  [[ $(REDISCLI_AUTH=$EDGEGATE_REDIS_PASSWORD "${cli[@]}" SET check "$TOKEN") == OK ]] \
    || fail "AUTH + SET failed"
  [[ $(REDISCLI_AUTH=$EDGEGATE_REDIS_PASSWORD "${cli[@]}" GET check) == "$TOKEN" ]] \
    || fail "GET did not return the value"
  [[ $("${cli[@]}" GET check 2>&1) == *NOAUTH* ]] || fail "GET without AUTH was not refused"
}

check_memcached() {
  local reply
  reply=$(
    exec 3<>"/dev/tcp/127.0.0.1/$EDGEGATE_MEMCACHED_PORT"
    printf 'set check 0 60 %d\r\n%s\r\nget check\r\nquit\r\n' "${#TOKEN}" "$TOKEN" >&3
    timeout 5 cat <&3
  )
  [[ $reply == *STORED*"VALUE check 0 ${#TOKEN}"*"$TOKEN"*END* ]] \
    || fail "set/get over the text protocol failed: $reply"
}

check_s3() {
  local url=$EDGEGATE_S3_ENDPOINT/$EDGEGATE_S3_BUCKET/check-$TOKEN.txt status
  echo "s3 body $TOKEN" >"$WORK/s3.in"
  s3_request PUT "$url" "$WORK/s3.in" || fail "signed PUT object failed"
  s3_request GET "$url" "" "$WORK/s3.out" || fail "signed GET object failed"
  cmp -s "$WORK/s3.in" "$WORK/s3.out" || fail "object read back differs"
  status=$(curl -sS -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:$S3_REGION:s3" \
    --netrc-file <(echo "machine 127.0.0.1 login $EDGEGATE_S3_ACCESS_KEY password wrong") \
    -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" "$url")
  [[ $status == 403 ]] || fail "a wrong secret got $status, not 403"
}

check_smtp() {
  local url=smtp://127.0.0.1:$EDGEGATE_SMTP_PORT method target
  local login=(--user "$EDGEGATE_SMTP_USER:$EDGEGATE_SMTP_PASSWORD")
  local ca=(--cacert "$EDGEGATE_SMTP_TLS_CA")
  for method in PLAIN LOGIN none starttls smtps; do
    printf 'From: a@example.test\r\nTo: b@example.test\r\nSubject: %s %s\r\n\r\nhello\r\n' \
      "$TOKEN" "$method" >"$WORK/mail"
    target=$url
    local args=("${login[@]}")
    case $method in
      PLAIN | LOGIN) args+=(--login-options "AUTH=$method") ;;
      none) args=() ;;
      starttls) args+=(--ssl-reqd "${ca[@]}") ;;  # verified against tls_ca
      smtps)
        target=smtps://127.0.0.1:$EDGEGATE_SMTP_TLS_PORT
        args+=("${ca[@]}")
        ;;
    esac
    curl -fsS "$target" "${args[@]}" --mail-from a@example.test --mail-rcpt b@example.test \
      --mail-rcpt c@example.test --upload-file "$WORK/mail" || fail "sending with $method failed"
    smtp_captured "$method" || fail "no captured message for $method"
  done
  ! curl -fsS "$url" --user "$EDGEGATE_SMTP_USER:wrong" --mail-from a@example.test \
    --mail-rcpt b@example.test --upload-file "$WORK/mail" 2>/dev/null \
    || fail "a wrong password was accepted"
}

# smtp_captured METHOD: true if the capture directory has the message just sent with METHOD
# (PLAIN, LOGIN, none, or starttls / smtps: a login over STARTTLS / implicit TLS, which the
# capture must record as encrypted).
smtp_captured() {
  "$PY" - "$EDGEGATE_SMTP_CAPTURE_DIR" "$TOKEN $1" "$1" "$EDGEGATE_SMTP_USER" <<'EOF'
import json, pathlib, sys
folder, subject, method, user = sys.argv[1:]
for f in pathlib.Path(folder).glob("*.json"):
    m = json.loads(f.read_text())
    if f"Subject: {subject}\r\n" in m["raw"]:
        want_user = None if method == "none" else user
        ok = (m["from"] == "a@example.test" and m["to"] == ["b@example.test", "c@example.test"]
              and m["auth_user"] == want_user and m["tls"] == (method in ("starttls", "smtps")))
        sys.exit(0 if ok else 1)
sys.exit(1)
EOF
}

check_ftp() {
  local url=ftp://127.0.0.1:$EDGEGATE_FTP_PORT/check-$TOKEN.txt
  local user=(--user "$EDGEGATE_FTP_USER:$EDGEGATE_FTP_PASSWORD")
  echo "ftp body $TOKEN" >"$WORK/ftp.in"
  curl -fsS "${user[@]}" -T "$WORK/ftp.in" "$url" || fail "passive upload failed"
  curl -fsS "${user[@]}" -o "$WORK/ftp.out" "$url" || fail "passive download failed"
  cmp -s "$WORK/ftp.in" "$WORK/ftp.out" || fail "file read back differs"
  curl -fsS "${user[@]}" --ssl-reqd --cacert "$EDGEGATE_FTP_TLS_CA" -o "$WORK/ftps.out" "$url" \
    || fail "download over explicit TLS, verified against tls_ca, failed"
  cmp -s "$WORK/ftp.in" "$WORK/ftps.out" || fail "file read back over TLS differs"
  [[ -f $EDGEGATE_FTP_HOME/check-$TOKEN.txt ]] || fail "upload is not in $EDGEGATE_FTP_HOME"
  ! curl -fsS --user "$EDGEGATE_FTP_USER:wrong" "$url" -o /dev/null 2>/dev/null \
    || fail "a wrong password was accepted"
}

check_sftp() {
  local url=sftp://127.0.0.1:$EDGEGATE_SFTP_PORT/~/check-sftp-$TOKEN.txt
  echo "sftp body $TOKEN" >"$WORK/sftp.in"
  curl -fsS --insecure --user "$EDGEGATE_SFTP_USER:$EDGEGATE_SFTP_PASSWORD" \
    -T "$WORK/sftp.in" "$url" || fail "upload with password failed"
  curl -fsS --insecure --user "$EDGEGATE_SFTP_USER:" --key "$EDGEGATE_SFTP_PRIVATE_KEY" \
    --pubkey "$EDGEGATE_SFTP_PUBLIC_KEY" -o "$WORK/sftp.out" "$url" \
    || fail "download with the private key failed"
  cmp -s "$WORK/sftp.in" "$WORK/sftp.out" || fail "file read back differs"
  [[ -f $EDGEGATE_SFTP_HOME/check-sftp-$TOKEN.txt ]] || fail "upload is not in $EDGEGATE_SFTP_HOME"
  ! curl -fsS --insecure --user "$EDGEGATE_SFTP_USER:wrong" -o /dev/null "$url" 2>/dev/null \
    || fail "a wrong password was accepted"
}

main() {
  [[ -f $ENV_JSON ]] || { log "no $ENV_JSON: run scripts/backends/up.sh first"; exit 1; }
  # shellcheck source=/dev/null  # generated by up.sh
  source "$(dirname "$ENV_JSON")/env.sh"
  local names=("$@") name failed=() logvar
  if ((${#names[@]} == 0)); then
    mapfile -t names < <("$PY" -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["servers"]))' "$ENV_JSON")
  fi
  check_names "${names[@]}"
  for name in "${names[@]}"; do
    logvar=EDGEGATE_${name^^}_LOG
    if [[ -z ${!logvar:-} ]]; then
      echo "check: $name FAILED: not in $ENV_JSON (not running)" >&2
      failed+=("$name")
    elif ("check_$name"); then
      echo "check: $name ok"
    else
      echo "check: $name FAILED (log: ${!logvar})" >&2
      failed+=("$name")
    fi
  done
  ((${#failed[@]} == 0)) || { log "failed: ${failed[*]}"; exit 1; }
}

main "$@"
