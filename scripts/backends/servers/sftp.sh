# A second sshd for tests (sourced by up.sh): SFTP only (internal-sftp, no shell) for user egftp,
# password or a key pair generated here (DIR/client_key, exported as private_key). Its host key's
# fingerprint is exported as host_key_sha256.

# start_sftp DIR: host key, client key pair, DIR/sshd_config; starts sshd -D, waits for a login.
# REQUIRES: ensure_ftp_user ran.
start_sftp() {
  local dir=$1 port home
  home=$(ftp_user_home)
  port=$(pick_port sftp port)
  mkdir -p /run/sshd  # privilege separation directory
  ssh-keygen -q -t ed25519 -N '' -C edgegate-test-host -f "$dir/host_key" >/dev/null
  # ed25519: libssh2 1.10 signs RSA keys with SHA-1 (ssh-rsa), which OpenSSH 9 refuses.
  ssh-keygen -q -t ed25519 -N '' -C edgegate-test-client -f "$dir/client_key" >/dev/null
  cp "$dir/client_key.pub" "$dir/authorized_keys"
  chmod 644 "$dir/authorized_keys"
  cat >"$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile none
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
PasswordAuthentication yes
PubkeyAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $FTP_USER
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
Subsystem sftp internal-sftp -d $home
ForceCommand internal-sftp -d $home
CONF
  /usr/sbin/sshd -t -f "$dir/sshd_config" >"$dir/server.log" 2>&1 \
    || die sftp "sshd -t rejects $dir/sshd_config"
  launch sftp "$dir/server.log" /usr/sbin/sshd -D -e -f "$dir/sshd_config"
  wait_for sftp "SSH greeting" banner "$port" SSH-2.0
  wait_for sftp "password login and listing as $FTP_USER" curl -fsS -o /dev/null --max-time 5 \
    --insecure "sftp://$FTP_USER:$FTP_PASSWORD@127.0.0.1:$port/~/"
  local fingerprint  # "SHA256:<base64>", what a service's config.host_key_sha256 takes
  fingerprint=$(ssh-keygen -l -E sha256 -f "$dir/host_key.pub" | awk '{print $2}')
  write_info sftp host=127.0.0.1 port:="$port" user="$FTP_USER" password="$FTP_PASSWORD" \
    home="$home" private_key="$dir/client_key" public_key="$dir/client_key.pub" \
    host_public_key="$dir/host_key.pub" host_key_sha256="$fingerprint" log="$dir/server.log" \
    pids:="$(pids_json sftp)"
}
