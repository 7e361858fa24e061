# The system user egftp/egftp-pw shared by the FTP and SFTP servers (sourced by up.sh), with one
# home directory under the data root, so a file uploaded over FTP can be read over SFTP.

FTP_USER=egftp FTP_PASSWORD=egftp-pw

# ftp_user_home: prints the shared home directory.
ftp_user_home() { echo "$DATA_ROOT/egftp-home"; }

# ensure_ftp_user: creates the user (shell /bin/sh: PAM's pam_shells wants a listed shell) or
# points it at this checkout's home, sets its password, creates the home.
ensure_ftp_user() {
  local home
  home=$(ftp_user_home)
  if ! id "$FTP_USER" >/dev/null 2>&1; then
    useradd --no-create-home --home-dir "$home" --shell /bin/sh "$FTP_USER"
  elif [[ $(getent passwd "$FTP_USER" | cut -d: -f6) != "$home" ]]; then
    usermod --home "$home" "$FTP_USER"
  fi
  echo "$FTP_USER:$FTP_PASSWORD" | chpasswd
  mkdir -p "$home"
  chown "$FTP_USER:" "$home"
  chmod 755 "$home"
}
