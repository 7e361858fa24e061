# vsftpd for tests (sourced by up.sh): local user egftp, passive mode on 127.0.0.1 with a port
# range found free at start, seccomp sandbox off (it kills vsftpd in containers). Explicit TLS
# (AUTH TLS) is offered, not required, with a self-signed certificate for 127.0.0.1 (tls_ca).

FTP_PASSIVE_PORTS=20

# start_ftp DIR: writes DIR/vsftpd.conf, starts vsftpd in the foreground, waits for a login.
# REQUIRES: ensure_ftp_user ran.
start_ftp() {
  local dir=$1 port pasv_min pasv_max home
  home=$(ftp_user_home)
  port=$(pick_port ftp port)
  read -r pasv_min pasv_max < <(free_port_range "$FTP_PASSIVE_PORTS") \
    || die ftp "no $FTP_PASSIVE_PORTS consecutive free ports for passive mode"
  mkdir -p "$dir/empty"
  chmod 755 "$dir/empty"
  tls_cert "$dir" root
  cat >"$dir/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$port
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
local_root=$home
chroot_local_user=NO
pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=$pasv_min
pasv_max_port=$pasv_max
port_enable=YES
connect_from_port_20=NO
seccomp_sandbox=NO
secure_chroot_dir=$dir/empty
pam_service_name=vsftpd
xferlog_enable=YES
vsftpd_log_file=$dir/server.log
dual_log_enable=YES
log_ftp_protocol=YES
ssl_enable=YES
rsa_cert_file=$dir/tls.crt
rsa_private_key_file=$dir/tls.key
ssl_ciphers=HIGH
force_local_logins_ssl=NO
force_local_data_ssl=NO
allow_anon_ssl=NO
require_ssl_reuse=NO
CONF
  launch ftp "$dir/server.log" vsftpd "$dir/vsftpd.conf"
  wait_for ftp "220 greeting" banner "$port" 220
  wait_for ftp "login and LIST as $FTP_USER" \
    curl -fsS -o /dev/null --max-time 5 "ftp://$FTP_USER:$FTP_PASSWORD@127.0.0.1:$port/"
  write_info ftp host=127.0.0.1 port:="$port" user="$FTP_USER" password="$FTP_PASSWORD" \
    home="$home" passive_ports:="[$pasv_min, $pasv_max]" tls_ca="$dir/tls.crt" \
    log="$dir/server.log" pids:="$(pids_json ftp)"
}
