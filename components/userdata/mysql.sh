#!/bin/bash
#
# scale-tiers MySQL server bootstrap (cloud-init user data, Amazon Linux 2023).
#
# Runs a self-managed MySQL Community Server whose data and binary logs live on
# a separate EBS volume, so the instance can be replaced without losing the
# database: wait for the volume, give it a filesystem only if it has none,
# mount it, install MySQL from MySQL's own EL9 repository, write /etc/my.cnf,
# initialise the data directory only if it is empty, then set the root
# password and the application's database and user from Secrets Manager.
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   AWS_REGION_NAME           region for the aws CLI, e.g. ap-northeast-2
#   DATA_VOLUME_ID            EBS data volume, e.g. vol-0123456789abcdef0
#   DATA_DEVICE_NAME          device name used in the attachment, e.g. /dev/sdf
#   MYSQL_MAJOR_VERSION       8.4 or 8.0
#   MYSQL_SERVER_ID           server_id, a positive integer unique among
#                             servers that will ever replicate together
#   BINLOG_RETENTION_SECONDS  binlog_expire_logs_seconds
#   ROOT_SECRET_ARN           secret {"username":"root","password":...}
#   APP_SECRET_ARN            secret {"username","password","dbname",...}
#
# Safe to run again, by hand or through SSM Run Command, and on a new instance
# attached to an existing data volume: a filesystem is never recreated, a data
# directory never re-initialised, and users are re-synced to their secrets (so
# a rotated app password applies on the next run). Secrets never appear in the
# log, in the environment or on a command line.
# Log: /var/log/scale-tiers-bootstrap.log (and the console).
set -euo pipefail
# Without these, a failure inside $(...) or a function would go unnoticed or
# unreported.
shopt -s inherit_errexit
set -o errtrace

: "${AWS_REGION_NAME:?rendered by scale-tiers}"
: "${DATA_VOLUME_ID:?rendered by scale-tiers}"
: "${DATA_DEVICE_NAME:?rendered by scale-tiers}"
: "${MYSQL_MAJOR_VERSION:?rendered by scale-tiers}"
: "${MYSQL_SERVER_ID:?rendered by scale-tiers}"
: "${BINLOG_RETENTION_SECONDS:?rendered by scale-tiers}"
: "${ROOT_SECRET_ARN:?rendered by scale-tiers}"
: "${APP_SECRET_ARN:?rendered by scale-tiers}"

# scale-tiers:include common.sh

# Lower-case names are this script's own, so they can never collide with a
# rendered readonly variable.
readonly mount_point=/data/mysql
readonly data_dir=/data/mysql/data
readonly binlog_dir=/data/mysql/binlog
readonly fs_label=mysql-data
readonly socket_path=/var/lib/mysql/mysql.sock
readonly error_log=/var/log/mysqld.log
readonly pid_dir=/var/run/mysqld
readonly my_cnf=/etc/my.cnf
readonly mysqld_dropin=/etc/systemd/system/mysqld.service.d/scale-tiers.conf
# The instance is created before the volume is attached to it.
readonly attach_timeout_seconds=900
readonly start_timeout_seconds=600

validate_inputs() {
  [[ $AWS_REGION_NAME =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] ||
    die "AWS_REGION_NAME is not a region name: ${AWS_REGION_NAME}"
  [[ $DATA_VOLUME_ID =~ ^vol-[0-9a-f]{8,17}$ ]] ||
    die "DATA_VOLUME_ID is not a volume id: ${DATA_VOLUME_ID}"
  [[ $DATA_DEVICE_NAME =~ ^/dev/[a-z0-9]+$ ]] ||
    die "DATA_DEVICE_NAME must look like /dev/sdf: ${DATA_DEVICE_NAME}"
  case $MYSQL_MAJOR_VERSION in
    8.4 | 8.0) ;;
    *) die "MYSQL_MAJOR_VERSION must be 8.4 or 8.0, not ${MYSQL_MAJOR_VERSION}" ;;
  esac
  if [[ ! $MYSQL_SERVER_ID =~ ^[1-9][0-9]{0,9}$ ]] || ((MYSQL_SERVER_ID > 4294967295)); then
    die "MYSQL_SERVER_ID must be an integer from 1 to 4294967295: ${MYSQL_SERVER_ID}"
  fi
  if [[ ! $BINLOG_RETENTION_SECONDS =~ ^(0|[1-9][0-9]{0,9})$ ]] || ((BINLOG_RETENTION_SECONDS > 4294967295)); then
    die "BINLOG_RETENTION_SECONDS must be an integer from 0 to 4294967295: ${BINLOG_RETENTION_SECONDS}"
  fi
  local arn
  for arn in "$ROOT_SECRET_ARN" "$APP_SECRET_ARN"; do
    [[ $arn =~ ^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$ ]] ||
      die "not a Secrets Manager secret ARN: ${arn}"
  done
}

install_missing_packages() {
  local -a missing=()
  local package
  for package in "$@"; do
    rpm -q --quiet "$package" || missing+=("$package")
  done
  if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    retry 5 dnf install -y "${missing[@]}"
  fi
}

# ---------------------------------------------------------------------------
# Data volume
# ---------------------------------------------------------------------------

# Nitro instances expose EBS volumes as NVMe devices whose by-id link carries
# the volume id, which proves it is the right volume. Xen instances only have
# the attachment name, which the kernel may call /dev/xvdX instead of /dev/sdX.
data_device_candidates() {
  printf '%s\n' "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${DATA_VOLUME_ID//-/}"
  printf '%s\n' "$DATA_DEVICE_NAME"
  if [[ $DATA_DEVICE_NAME =~ ^/dev/sd([a-z]+)$ ]]; then
    printf '/dev/xvd%s\n' "${BASH_REMATCH[1]}"
  fi
}

find_data_device() {
  local candidate
  while IFS= read -r candidate; do
    if [[ -b $candidate ]]; then
      readlink -f -- "$candidate"
      return 0
    fi
  done < <(data_device_candidates)
  return 1
}

wait_for_data_device() {
  local -r deadline=$((SECONDS + attach_timeout_seconds))
  local device next_report=$SECONDS
  until device=$(find_data_device); do
    if ((SECONDS >= deadline)); then
      die "volume ${DATA_VOLUME_ID} (${DATA_DEVICE_NAME}) not attached after ${attach_timeout_seconds}s"
    fi
    if ((SECONDS >= next_report)); then
      log "waiting for volume ${DATA_VOLUME_ID} (${DATA_DEVICE_NAME}) to be attached"
      next_report=$((SECONDS + 60))
    fi
    sleep 5
  done
  # The block device can appear before udev has finished probing it.
  udevadm settle --timeout=30 || true
  # Guard against a device name that points at the root disk or anything else
  # in use: formatting or mounting over it would be unrecoverable.
  local mount_points in_use
  mount_points=$(lsblk -nro MOUNTPOINT -- "$device")
  in_use=$(grep -vxF -e '' -e "$mount_point" <<<"$mount_points" || true)
  [[ -z $in_use ]] || die "${device} (for ${DATA_VOLUME_ID}) is already in use at: ${in_use//$'\n'/ }"
  log "data volume ${DATA_VOLUME_ID} is ${device}"
  printf '%s' "$device"
}

# Prints the filesystem type, creating XFS first only when the device carries
# no signature at all. mkfs.xfs is run without -f, so it would refuse to
# overwrite anything blkid missed.
ensure_filesystem() {
  local -r device=$1
  local probe="" status=0
  # -p probes the device itself instead of trusting blkid's cache.
  probe=$(blkid -p -o export -- "$device") || status=$?
  case $status in
    0) ;;
    2) probe="" ;; # nothing found
    *) die "blkid could not probe ${device} (exit status ${status}); refusing to guess" ;;
  esac

  local fs_type partition_table
  fs_type=$(sed -n 's/^TYPE=//p' <<<"$probe")
  partition_table=$(sed -n 's/^PTTYPE=//p' <<<"$probe")
  if [[ -z $probe ]]; then
    log "${device} is blank; creating XFS labelled ${fs_label}"
    mkfs.xfs -L "$fs_label" -- "$device" >&2
    udevadm settle --timeout=30 || true
    fs_type=xfs
  elif [[ -z $fs_type ]]; then
    die "${device} has no filesystem but is not blank (partition table: ${partition_table:-none}); refusing to format it"
  else
    log "${device} already has a filesystem (${fs_type}); keeping it"
  fi
  printf '%s' "$fs_type"
}

# The fstab entry is keyed by UUID because NVMe device names are not stable
# across boots. nofail keeps a missing volume from dropping the instance into
# emergency mode (where SSM cannot reach it); mysqld is kept off the bare
# mountpoint by the RequiresMountsFor drop-in instead.
ensure_fstab_entry() {
  local -r uuid=$1 fs_type=$2
  local -r entry="UUID=${uuid} ${mount_point} ${fs_type} defaults,noatime,nofail 0 0"
  if grep -qxF -- "$entry" /etc/fstab; then
    return 0
  fi
  # Any other line for this mount point is stale (e.g. a replaced volume).
  local -r staged="${work_dir}/fstab"
  awk -v mount_point="$mount_point" '$2 != mount_point' /etc/fstab >"$staged"
  printf '%s\n' "$entry" >>"$staged"
  cp -p /etc/fstab /etc/fstab.scale-tiers.bak
  install_file "$staged" /etc/fstab 0644 root root
  systemctl daemon-reload
}

mount_data_volume() {
  local -r device=$1
  local fs_type uuid
  fs_type=$(ensure_filesystem "$device")
  uuid=$(blkid -p -o value -s UUID -- "$device")
  [[ -n $uuid ]] || die "${device} has a ${fs_type} filesystem without a UUID"

  install -d -m 0755 "$mount_point"
  ensure_fstab_entry "$uuid" "$fs_type"
  if ! mountpoint -q "$mount_point"; then
    mount "$mount_point"
  fi
  # Everything below writes under the mount point; make sure it really is the
  # data volume and not the root disk's empty directory.
  local source mounted_device
  source=$(findmnt -nro SOURCE --mountpoint "$mount_point")
  mounted_device=$(readlink -f -- "$source")
  [[ $mounted_device == "$device" ]] ||
    die "${mount_point} is mounted from ${source}, expected ${device}"
  log "${device} (UUID ${uuid}) mounted at ${mount_point}"
}

# ---------------------------------------------------------------------------
# MySQL installation and configuration
# ---------------------------------------------------------------------------

install_mysql() {
  local release_package release_url
  case $MYSQL_MAJOR_VERSION in
    8.4)
      release_package=mysql84-community-release
      release_url=https://repo.mysql.com/mysql84-community-release-el9-1.noarch.rpm
      ;;
    8.0)
      release_package=mysql80-community-release
      release_url=https://repo.mysql.com/mysql80-community-release-el9-5.noarch.rpm
      ;;
    *) die "MYSQL_MAJOR_VERSION must be 8.4 or 8.0, not ${MYSQL_MAJOR_VERSION}" ;;
  esac

  install_missing_packages jq
  if ! rpm -q --quiet mysql-community-server; then
    if ! rpm -q --quiet "$release_package"; then
      log "adding MySQL's ${MYSQL_MAJOR_VERSION} repository"
      retry 5 dnf install -y "$release_url"
    fi
    log "installing mysql-community-server ${MYSQL_MAJOR_VERSION}"
    retry 5 dnf install -y mysql-community-server
  fi

  # Switching major versions is an upgrade with its own procedure, never a
  # side effect of re-running this script.
  local installed
  installed=$(rpm -q --qf '%{VERSION}' mysql-community-server)
  [[ $installed == "${MYSQL_MAJOR_VERSION}".* ]] ||
    die "mysql-community-server ${installed} is installed but MYSQL_MAJOR_VERSION is ${MYSQL_MAJOR_VERSION}"
  log "mysql-community-server ${installed} installed"
}

# About 70% of RAM, the usual share for a dedicated database server, rounded
# down to the 128 MiB buffer pool chunk size.
buffer_pool_size_mib() {
  local mem_kib size
  mem_kib=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
  [[ $mem_kib =~ ^[0-9]+$ ]] || die "cannot read MemTotal from /proc/meminfo"
  size=$((mem_kib * 70 / 100 / 1024))
  size=$((size - size % 128))
  if ((size < 128)); then
    size=128
  fi
  printf '%s' "$size"
}

render_my_cnf() {
  local -r buffer_pool_mib=$1
  cat <<CNF
# Written by the scale-tiers MySQL bootstrap (components/userdata/mysql.sh in
# the scale-tiers repository) and rewritten, with a restart, whenever a re-run
# computes something different. Change the script, not this file.
#
# This is the whole file rather than a drop-in, so the package's default
# datadir=/var/lib/mysql can never take over from the data volume.

[mysqld]
user=mysql
datadir=${data_dir}
socket=${socket_path}
log-error=${error_log}
pid-file=${pid_dir}/mysqld.pid

# Replication and change-data-capture readiness. A replica and an AWS DMS CDC
# task both need a row-based binary log with full row images, and a replica
# set up by GTID auto-positioning needs GTIDs on the source. Turning GTIDs on
# later takes a multi-step procedure with a restart of every server involved,
# so all of this is on from the first boot; adding a replica or a DMS task
# then needs no change here. The binary logs live on the data volume so they
# survive instance replacement; so do relay logs, whose default names would
# change with the host name.
server_id=${MYSQL_SERVER_ID}
log_bin=${binlog_dir}/mysql-bin
relay_log=${binlog_dir}/relay-bin
binlog_format=ROW
binlog_row_image=FULL
gtid_mode=ON
enforce_gtid_consistency=ON
log_replica_updates=ON
binlog_expire_logs_seconds=${BINLOG_RETENTION_SECONDS}

# A committed transaction survives a crash, in InnoDB and in the binary log
# that replicas and CDC read.
innodb_flush_log_at_trx_commit=1
sync_binlog=1

# About 70% of this instance's RAM, recomputed on every run.
innodb_buffer_pool_size=${buffer_pool_mib}M

character_set_server=utf8mb4
collation_server=utf8mb4_0900_ai_ci

# Reachable from the application subnets (the security group decides who),
# over TLS only; accounts are matched by address, so no DNS lookups that a
# resolver outage could turn into failed logins.
bind_address=0.0.0.0
require_secure_transport=ON
skip_name_resolve=ON

[client]
socket=${socket_path}
CNF
}

# Sets my_cnf_changed so that a running server is restarted into the new file.
my_cnf_changed=false
write_my_cnf() {
  local -r staged="${work_dir}/my.cnf"
  local buffer_pool_mib
  buffer_pool_mib=$(buffer_pool_size_mib)
  render_my_cnf "$buffer_pool_mib" >"$staged"
  if files_differ "$staged" "$my_cnf"; then
    if [[ -e $my_cnf ]]; then
      cp -p "$my_cnf" "${my_cnf}.scale-tiers.bak"
    fi
    install_file "$staged" "$my_cnf" 0644 root root
    my_cnf_changed=true
  fi
}

# With nofail in fstab, nothing else stops mysqld (and the package's pre-start
# script, which initialises any datadir it finds empty) from starting on the
# root disk's empty mountpoint when the volume is late or missing.
write_mysqld_dropin() {
  local -r staged="${work_dir}/mysqld-dropin.conf"
  cat >"$staged" <<UNIT
# Written by the scale-tiers MySQL bootstrap: the datadir is on the EBS data
# volume, so mysqld must not start until it is mounted.
[Unit]
RequiresMountsFor=${mount_point}
UNIT
  install -d -m 0755 "${mysqld_dropin%/*}"
  if files_differ "$staged" "$mysqld_dropin"; then
    install_file "$staged" "$mysqld_dropin" 0644 root root
    systemctl daemon-reload
  fi
}

prepare_directories() {
  install -d -m 0750 -o mysql -g mysql "$data_dir" "$binlog_dir"
  install -d -m 0755 -o mysql -g mysql "$pid_dir"
  # mysqld runs as mysql and cannot create a file in /var/log itself.
  if [[ ! -e $error_log ]]; then
    install -m 0640 -o mysql -g mysql /dev/null "$error_log"
  fi
}

# AL2023 ships SELinux permissive, where a datadir outside /var/lib/mysql only
# logs denials; under enforcing mode mysqld could not touch the data volume
# unless it carries the same labels as /var/lib/mysql.
label_data_volume_for_selinux() {
  if ! command -v getenforce >/dev/null || [[ $(getenforce) != Enforcing ]]; then
    return 0
  fi
  log "SELinux is enforcing; labelling ${mount_point} like /var/lib/mysql"
  install_missing_packages policycoreutils-python-utils
  semanage fcontext --add --equal /var/lib/mysql "$mount_point" 2>/dev/null ||
    semanage fcontext --modify --equal /var/lib/mysql "$mount_point"
  restorecon -R "$mount_point"
}

initialize_data_dir() {
  if [[ -d "${data_dir}/mysql" ]]; then
    log "${data_dir} is already initialised; keeping it"
    return 0
  fi
  # Files without mysql/ mean an interrupted initialisation or something
  # unexpected on the volume; a person has to look before anything is lost.
  local first_entry
  first_entry=$(find "$data_dir" -mindepth 1 -maxdepth 1 -print -quit)
  if [[ -n $first_entry ]]; then
    die "${data_dir} is not empty but has no mysql/ directory; refusing to initialise over it"
  fi
  # --initialize-insecure leaves root@localhost without a password, reachable
  # only over the local socket, for the seconds until configure_root sets it.
  log "initialising ${data_dir}"
  if ! mysqld --initialize-insecure --user=mysql --datadir="$data_dir"; then
    tail -n 40 "$error_log" >&2 || true
    die "mysqld --initialize-insecure failed"
  fi
}

wait_for_mysqld() {
  local -r deadline=$((SECONDS + start_timeout_seconds))
  # ping exits 0 as soon as the server answers, even with "access denied", so
  # it needs no credentials.
  until mysqladmin --no-defaults --socket="$socket_path" --connect-timeout=5 ping >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "mysqld did not answer within ${start_timeout_seconds}s; see ${error_log}"
    sleep 2
  done
  log "mysqld is answering on ${socket_path}"
}

# A running server keeps the settings it started with, so a changed my.cnf
# means a restart; otherwise this is `systemctl enable --now`.
start_mysqld() {
  local action=start
  if [[ $my_cnf_changed == true ]] && systemctl is-active --quiet mysqld; then
    log "restarting mysqld to apply the new ${my_cnf}"
    action=restart
  fi
  systemctl enable mysqld
  if ! systemctl "$action" mysqld; then
    tail -n 40 "$error_log" >&2 || true
    die "mysqld failed to ${action}; the lines above are the end of ${error_log}"
  fi
  wait_for_mysqld
}

# ---------------------------------------------------------------------------
# Secrets, accounts and the self-check
# ---------------------------------------------------------------------------

fetch_secret() {
  retry 6 aws secretsmanager get-secret-value \
    --region "$AWS_REGION_NAME" \
    --secret-id "$1" \
    --query SecretString \
    --output text
}

# Prints a non-empty string field of a JSON document. jq's own error output is
# discarded because it could quote the document, which holds a password.
json_string() {
  printf '%s' "$1" | jq -er --arg key "$2" '.[$key] | strings | select(length > 0)' 2>/dev/null
}

# Passwords go into client option files inside double quotes, where MySQL
# gives no way to escape a double quote and treats backslashes as escapes; a
# newline would end the value. The generator never produces these, so one
# appearing means the secret was edited by hand: stop rather than guess.
require_option_file_safe() {
  local -r what=$1 value=$2
  case $value in
    *\"* | *\\* | *\'* | *$'\n'* | *$'\r'*)
      die "${what} contains a quote, backslash or line break, which this script does not accept"
      ;;
  esac
}

# Account and database names are pasted into SQL, so they are restricted to
# characters that need no quoting.
require_sql_name() {
  local -r what=$1 value=$2 max_length=$3
  if [[ ! $value =~ ^[A-Za-z0-9_]+$ ]] || ((${#value} > max_length)); then
    die "${what} '${value}' must be 1-${max_length} characters from [A-Za-z0-9_]"
  fi
}

# Quotes a string as an SQL literal (default sql_mode: backslash escapes).
sql_string() {
  local value=$1
  value=${value//\\/\\\\}
  value=${value//\'/\'\'}
  printf "'%s'" "$value"
}

# Writes a client option file readable only by root. The password (if any) is
# written by printf, a shell builtin, so it never appears in a process list.
write_client_option_file() {
  local -r file=$1 user=$2 password=${3-}
  (
    umask 077
    {
      printf '[client]\n'
      printf 'user="%s"\n' "$user"
      if [[ -n $password ]]; then
        printf 'password="%s"\n' "$password"
      fi
      printf 'socket="%s"\n' "$socket_path"
    } >"$file"
  )
}

# Runs the mysql client with only the given option file (no ~/.my.cnf), in
# batch mode. SQL that carries a password comes on stdin from a here-document:
# bash 5.1 and later (AL2023 has 5.2) pass one this small through a pipe, so
# it is never written to disk either.
mysql_with() {
  local -r option_file=$1
  shift
  mysql --defaults-file="$option_file" --batch --skip-column-names "$@"
}

# Writes root_file, an option file that logs in as root with the password
# from the root secret, setting that password first on a fresh datadir.
configure_root() {
  local -r root_file=$1 root_secret=$2
  local user password
  user=$(json_string "$root_secret" username) || die "root secret has no username"
  password=$(json_string "$root_secret" password) || die "root secret has no password"
  # Only root@localhost exists after initialisation; there is deliberately no
  # root@'%'.
  [[ $user == root ]] || die "root secret's username is '${user}', expected 'root'"
  require_option_file_safe "root password" "$password"

  local -r no_password_file="${work_dir}/root-no-password.cnf"
  write_client_option_file "$no_password_file" root
  write_client_option_file "$root_file" root "$password"

  if mysql_with "$no_password_file" --skip-password -e 'SELECT 1' >/dev/null 2>&1; then
    log "root has no password yet (fresh datadir); setting it from the root secret"
    mysql_with "$no_password_file" --skip-password <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "$password");
SQL
  fi
  rm -f -- "$no_password_file"

  if ! mysql_with "$root_file" -e 'SELECT 1' >/dev/null; then
    die "cannot log in as root with the password from ${ROOT_SECRET_ARN}; if the secret was changed outside MySQL, put the old password back in the secret or reset root by hand"
  fi
}

configure_app_account() {
  local -r root_file=$1 app_secret=$2
  local user password db_name
  user=$(json_string "$app_secret" username) || die "app secret has no username"
  password=$(json_string "$app_secret" password) || die "app secret has no password"
  db_name=$(json_string "$app_secret" dbname) || die "app secret has no dbname"
  require_sql_name "app username" "$user" 32
  require_sql_name "app dbname" "$db_name" 64
  [[ $user != root ]] || die "the app secret must not name the root account"
  case ${db_name,,} in
    mysql | sys | information_schema | performance_schema)
      die "the app secret's dbname '${db_name}' is a system schema"
      ;;
  esac

  # In GRANT, _ in a database name is a wildcard; escape it so the grant
  # covers this one database only.
  local -r grant_db=${db_name//_/\\_}
  local quoted_password
  quoted_password=$(sql_string "$password")
  # CREATE ... IF NOT EXISTS leaves an existing user as it is, so ALTER USER
  # re-applies the password: a rotated secret takes effect on the next run.
  mysql_with "$root_file" <<SQL
CREATE DATABASE IF NOT EXISTS \`${db_name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci;
CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY ${quoted_password} REQUIRE SSL;
ALTER USER '${user}'@'%' IDENTIFIED BY ${quoted_password} REQUIRE SSL;
GRANT ALL PRIVILEGES ON \`${grant_db}\`.* TO '${user}'@'%';
SQL
  log "database ${db_name} and account '${user}'@'%' (TLS required) are in place"
}

self_check() {
  local -r root_file=$1
  local row server_id log_bin binlog_format binlog_row_image gtid_mode
  row=$(mysql_with "$root_file" -e 'SELECT @@server_id, @@log_bin, @@binlog_format, @@binlog_row_image, @@gtid_mode')
  IFS=$'\t' read -r server_id log_bin binlog_format binlog_row_image gtid_mode <<<"$row"
  log "self-check: server_id=${server_id} log_bin=${log_bin} binlog_format=${binlog_format} binlog_row_image=${binlog_row_image} gtid_mode=${gtid_mode}"
  [[ $binlog_format == ROW ]] || die "binlog_format is ${binlog_format}, expected ROW"
  [[ $gtid_mode == ON ]] || die "gtid_mode is ${gtid_mode}, expected ON"
  [[ $log_bin == 1 ]] || die "the binary log is off"
  [[ $server_id == "$MYSQL_SERVER_ID" ]] || die "server_id is ${server_id}, expected ${MYSQL_SERVER_ID}"
}

main() {
  start_logging
  take_lock
  log "starting (region ${AWS_REGION_NAME}, volume ${DATA_VOLUME_ID}, MySQL ${MYSQL_MAJOR_VERSION}, server_id ${MYSQL_SERVER_ID})"
  validate_inputs
  work_dir=$(mktemp -d)

  local device
  device=$(wait_for_data_device)
  mount_data_volume "$device"

  install_mysql
  write_my_cnf
  write_mysqld_dropin
  prepare_directories
  label_data_volume_for_selinux

  # Fetched before initialising, so that an unreadable secret stops the run
  # before a passwordless root exists, and that window stays a few seconds.
  local root_secret app_secret
  local -r root_file="${work_dir}/root.cnf"
  root_secret=$(fetch_secret "$ROOT_SECRET_ARN")
  app_secret=$(fetch_secret "$APP_SECRET_ARN")

  initialize_data_dir
  start_mysqld
  configure_root "$root_file" "$root_secret"
  configure_app_account "$root_file" "$app_secret"
  self_check "$root_file"
  log "done"
}

main "$@"
