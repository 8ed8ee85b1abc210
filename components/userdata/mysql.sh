#!/bin/bash
#
# scale-tiers MySQL server bootstrap (cloud-init user data, Amazon Linux 2023).
#
# Runs a self-managed MySQL Community Server whose data and binary logs live on
# a separate EBS volume, so the instance can be replaced without losing the
# database: wait for the volume, give it a filesystem only if it has none,
# mount it, install MySQL from MySQL's own EL9 repository, write /etc/my.cnf,
# initialise the data directory only if it is empty, then set the root
# password from Secrets Manager. A primary then gets the application's
# database and user, the replication (and clone donor) account and a
# password-less monitoring account. A replica clones the primary once, starts
# GTID replication from it and publishes its replication state to CloudWatch.
#
# The primary's user data is never applied again after it is created, so
# everything later tiers need is here from the first tier on, and anything
# that appears later (monitoring) is pulled by timers, not pushed.
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   AWS_REGION_NAME           region for the aws CLI, e.g. ap-northeast-2
#   DATA_VOLUME_ID            EBS data volume, e.g. vol-0123456789abcdef0
#   DATA_DEVICE_NAME          device name used in the attachment, e.g. /dev/sdf
#   MYSQL_MAJOR_VERSION       8.4 or 8.0
#   MYSQL_SERVER_ID           server_id, a positive integer unique among
#                             servers that will ever replicate together
#   MYSQL_ROLE                primary or replica
#   PRIMARY_HOST              the primary's DNS name, e.g.
#                             mysql-primary.scale-tiers.internal (a replica
#                             clones and replicates from it; the primary
#                             ignores it)
#   BINLOG_RETENTION_SECONDS  binlog_expire_logs_seconds
#   ROOT_SECRET_ARN           secret {"username":"root","password":...}, the
#                             same for the primary and its replicas
#   APP_SECRET_ARN            secret {"username","password","dbname",...}
#                             (used by the primary only)
#   REPLICATION_SECRET_ARN    secret {"username":"repl","password":...}
#   CLOUDWATCH_AGENT_PARAMETER  SSM parameter holding the CloudWatch agent's
#                             configuration; need not exist (monitoring off)
#   STACK_NAME                the Stack dimension of published metrics
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
: "${MYSQL_ROLE:?rendered by scale-tiers}"
: "${PRIMARY_HOST:?rendered by scale-tiers}"
: "${BINLOG_RETENTION_SECONDS:?rendered by scale-tiers}"
: "${ROOT_SECRET_ARN:?rendered by scale-tiers}"
: "${APP_SECRET_ARN:?rendered by scale-tiers}"
: "${REPLICATION_SECRET_ARN:?rendered by scale-tiers}"
: "${CLOUDWATCH_AGENT_PARAMETER:?rendered by scale-tiers}"
: "${STACK_NAME:?rendered by scale-tiers}"

# scale-tiers:include common.sh

# Lower-case names are this script's own, so they can never collide with a
# rendered readonly variable.
readonly mount_point=/data/mysql
readonly data_dir=/data/mysql/data
readonly binlog_dir=/data/mysql/binlog
readonly fs_label=mysql-data
readonly socket_path=/var/lib/mysql/mysql.sock
readonly error_log=/var/log/mysqld.log
readonly slow_log_dir=/var/log/mysql
readonly pid_dir=/var/run/mysqld
readonly my_cnf=/etc/my.cnf
readonly start_timeout_seconds=600
# A replica may boot long before its primary has finished its own bootstrap.
readonly primary_wait_seconds=1800
# Copying the primary's data; generous, as it grows with the database.
readonly clone_timeout_seconds=21600
readonly replication_check_seconds=300
readonly monitor_user=scale_tiers_monitor
readonly metrics_script=/usr/local/sbin/scale-tiers-mysql-metrics
# AWS DMS resumes CDC from the binary log after a task or instance restart;
# a day of binlogs is what it asks for.
readonly dms_min_binlog_seconds=86400

validate_inputs() {
  require_region
  require_data_volume
  case $MYSQL_MAJOR_VERSION in
    8.4 | 8.0) ;;
    *) die "MYSQL_MAJOR_VERSION must be 8.4 or 8.0, not ${MYSQL_MAJOR_VERSION}" ;;
  esac
  if [[ ! $MYSQL_SERVER_ID =~ ^[1-9][0-9]{0,9}$ ]] || ((MYSQL_SERVER_ID > 4294967295)); then
    die "MYSQL_SERVER_ID must be an integer from 1 to 4294967295: ${MYSQL_SERVER_ID}"
  fi
  case $MYSQL_ROLE in
    primary) ;;
    replica)
      [[ $PRIMARY_HOST =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] ||
        die "PRIMARY_HOST is not a host name: ${PRIMARY_HOST}"
      ;;
    *) die "MYSQL_ROLE must be primary or replica, not ${MYSQL_ROLE}" ;;
  esac
  # The stack name ends up in CloudWatch's shorthand syntax, where , = [ ]
  # and spaces would need quoting.
  [[ $STACK_NAME =~ ^[A-Za-z0-9_./:@+-]+$ ]] ||
    die "STACK_NAME must use only [A-Za-z0-9_./:@+-]: ${STACK_NAME}"
  if [[ ! $BINLOG_RETENTION_SECONDS =~ ^(0|[1-9][0-9]{0,9})$ ]] || ((BINLOG_RETENTION_SECONDS > 4294967295)); then
    die "BINLOG_RETENTION_SECONDS must be an integer from 0 to 4294967295: ${BINLOG_RETENTION_SECONDS}"
  fi
  local arn
  for arn in "$ROOT_SECRET_ARN" "$APP_SECRET_ARN" "$REPLICATION_SECRET_ARN"; do
    [[ $arn =~ ^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$ ]] ||
      die "not a Secrets Manager secret ARN: ${arn}"
  done
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
  local replica_settings=""
  if [[ $MYSQL_ROLE == replica ]]; then
    replica_settings="
# A replica takes writes from replication only, and after a crash throws its
# relay logs away and fetches them again from the source rather than trust
# them.
read_only=ON
super_read_only=ON
relay_log_recovery=ON"
  fi
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
${replica_settings}

# Clone provisions a replica from the primary (both ends need the plugin);
# auth_socket lets root's timers read replication status over the socket
# without a password file. Clone also insists that both ends have the same
# plugins, so both roles load both.
plugin_load_add=mysql_clone.so
plugin_load_add=auth_socket.so

slow_query_log=ON
slow_query_log_file=${slow_log_dir}/slow.log
long_query_time=1

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

prepare_directories() {
  install -d -m 0750 -o mysql -g mysql "$data_dir" "$binlog_dir"
  install -d -m 0755 -o mysql -g mysql "$pid_dir"
  install -d -m 0750 -o mysql -g mysql "$slow_log_dir"
  # Made by root here, so it would not get the policy's label for MySQL logs.
  if command -v selinuxenabled >/dev/null && selinuxenabled; then
    restorecon -R "$slow_log_dir"
  fi
  # mysqld runs as mysql and cannot create a file in /var/log itself.
  if [[ ! -e $error_log ]]; then
    install -m 0640 -o mysql -g mysql /dev/null "$error_log"
  fi
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
# Without a host the client uses the local socket; with one, TCP and TLS.
write_client_option_file() {
  local -r file=$1 user=$2 password=${3-} host=${4-}
  (
    umask 077
    {
      printf '[client]\n'
      printf 'user="%s"\n' "$user"
      if [[ -n $password ]]; then
        printf 'password="%s"\n' "$password"
      fi
      if [[ -n $host ]]; then
        printf 'host="%s"\nport=3306\nssl-mode=REQUIRED\nconnect-timeout=10\n' "$host"
      else
        printf 'socket="%s"\n' "$socket_path"
      fi
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
    # A replica starts super_read_only, which blocks even root; its own
    # accounts are replaced by the clone anyway.
    mysql_with "$no_password_file" --skip-password <<SQL
SET @scale_tiers_super_read_only = @@GLOBAL.super_read_only;
SET GLOBAL super_read_only = OFF;
ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "$password");
SET GLOBAL super_read_only = @scale_tiers_super_read_only;
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

# The replication account is also the clone donor account (BACKUP_ADMIN).
# The monitoring account can only log in over the socket as the OS user root
# and only read replication status; it replicates to replicas like every
# other account.
configure_replication_accounts() {
  local -r root_file=$1 repl_secret=$2
  local user password quoted_password
  user=$(json_string "$repl_secret" username) || die "replication secret has no username"
  password=$(json_string "$repl_secret" password) || die "replication secret has no password"
  require_sql_name "replication username" "$user" 32
  [[ $user != root ]] || die "the replication secret must not name the root account"
  require_option_file_safe "replication password" "$password"
  quoted_password=$(sql_string "$password")
  mysql_with "$root_file" <<SQL
CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY ${quoted_password} REQUIRE SSL;
ALTER USER '${user}'@'%' IDENTIFIED BY ${quoted_password} REQUIRE SSL;
GRANT REPLICATION SLAVE, REPLICATION CLIENT, BACKUP_ADMIN ON *.* TO '${user}'@'%';
CREATE USER IF NOT EXISTS '${monitor_user}'@'localhost' IDENTIFIED WITH auth_socket AS 'root';
ALTER USER '${monitor_user}'@'localhost' IDENTIFIED WITH auth_socket AS 'root';
GRANT REPLICATION CLIENT ON *.* TO '${monitor_user}'@'localhost';
SQL
  log "accounts '${user}'@'%' (replication, clone donor; TLS required) and '${monitor_user}'@'localhost' (socket, as root) are in place"
}

# SHOW REPLICA STATUS, one "Field: value" line per column.
replica_status() {
  mysql --defaults-file="$1" --batch --vertical -e 'SHOW REPLICA STATUS'
}

status_field() {
  sed -n "s/^ *$2: //p" <<<"$1"
}

replication_configured() {
  local channels
  channels=$(mysql_with "$1" -e 'SELECT COUNT(*) FROM performance_schema.replication_connection_configuration')
  ((channels > 0))
}

# Prints "STATE<tab>SOURCE<tab>ERROR_NO<tab>ERROR_MESSAGE" of the last clone
# (kept across restarts), or nothing.
clone_status() {
  mysql_with "$1" -e 'SELECT STATE, SOURCE, ERROR_NO, ERROR_MESSAGE FROM performance_schema.clone_status'
}

wait_for_primary() {
  local -r repl_file=$1
  local -r deadline=$((SECONDS + primary_wait_seconds))
  local next_report=$SECONDS error
  until error=$(mysql --defaults-file="$repl_file" --batch -e 'SELECT 1' 2>&1 >/dev/null); do
    ((SECONDS < deadline)) ||
      die "the primary ${PRIMARY_HOST} did not accept the replication account over TLS within ${primary_wait_seconds}s: ${error}"
    if ((SECONDS >= next_report)); then
      log "waiting for the primary ${PRIMARY_HOST}: ${error}"
      next_report=$((SECONDS + 60))
    fi
    sleep 10
  done
  log "the primary ${PRIMARY_HOST} accepts the replication account over TLS"
}

# CLONE replaces this server's data (accounts included: afterwards root has
# the primary's password, which is the same secret) with the primary's, then
# mysqld exits and systemd starts it again (RestartForceExitStatus=16 in
# MySQL's unit). The client loses its connection at that point, so success is
# judged by performance_schema.clone_status once the server is back.
clone_from_primary() {
  local -r root_file=$1 user=$2 password=$3
  local status=0
  log "cloning the primary ${PRIMARY_HOST}; this replaces ${data_dir}"
  # super_read_only would stop CLONE from dropping this server's schemas; the
  # restart puts it back from my.cnf.
  mysql_with "$root_file" <<SQL || status=$?
SET GLOBAL clone_valid_donor_list = '${PRIMARY_HOST}:3306';
SET GLOBAL super_read_only = OFF;
CLONE INSTANCE FROM '${user}'@'${PRIMARY_HOST}':3306 IDENTIFIED BY $(sql_string "$password") REQUIRE SSL;
SQL
  log "CLONE returned (exit status ${status}; a lost connection is expected); waiting for mysqld to restart"

  local -r deadline=$((SECONDS + clone_timeout_seconds))
  local row state source error_no error_message
  while :; do
    ((SECONDS < deadline)) || die "the clone did not complete within ${clone_timeout_seconds}s; see ${error_log}"
    sleep 10
    row=$(clone_status "$root_file" 2>/dev/null) || continue
    IFS=$'\t' read -r state source error_no error_message <<<"$row"
    case $state in
      Completed) break ;;
      Failed)
        # Nothing was replaced, and nothing restarted to restore this.
        mysql_with "$root_file" -e 'SET GLOBAL super_read_only = ON' || true
        die "the clone from ${source} failed: error ${error_no}: ${error_message}"
        ;;
    esac
  done
  wait_for_mysqld
  log "cloned ${source}"
}

start_replication() {
  local -r root_file=$1 user=$2 password=$3
  mysql_with "$root_file" <<SQL
CHANGE REPLICATION SOURCE TO SOURCE_HOST='${PRIMARY_HOST}', SOURCE_PORT=3306, SOURCE_USER='${user}', SOURCE_PASSWORD=$(sql_string "$password"), SOURCE_AUTO_POSITION=1, SOURCE_SSL=1, GET_SOURCE_PUBLIC_KEY=1;
START REPLICA;
SQL
  log "replication from ${PRIMARY_HOST} configured and started"
}

verify_replication() {
  local -r root_file=$1
  local -r deadline=$((SECONDS + replication_check_seconds))
  local status io_running sql_running
  while :; do
    status=$(replica_status "$root_file")
    io_running=$(status_field "$status" Replica_IO_Running)
    sql_running=$(status_field "$status" Replica_SQL_Running)
    if [[ $io_running == Yes && $sql_running == Yes ]]; then
      log "replication is running: $(status_field "$status" Seconds_Behind_Source)s behind ${PRIMARY_HOST}"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      log "Last_IO_Error: $(status_field "$status" Last_IO_Error)"
      log "Last_SQL_Error: $(status_field "$status" Last_SQL_Error)"
      die "replication threads are not both running after ${replication_check_seconds}s (IO: ${io_running:-none}, SQL: ${sql_running:-none})"
    fi
    sleep 5
  done
}

# Clones the primary and starts replication once; on a configured replica
# only verifies. A clone that completed but was not followed by CHANGE
# REPLICATION SOURCE (the run died in between) is not repeated.
configure_replica() {
  local -r root_file=$1 repl_secret=$2
  if replication_configured "$root_file"; then
    log "replication is already configured; verifying it"
    verify_replication "$root_file"
    return 0
  fi
  local user password state source
  user=$(json_string "$repl_secret" username) || die "replication secret has no username"
  password=$(json_string "$repl_secret" password) || die "replication secret has no password"
  require_sql_name "replication username" "$user" 32
  require_option_file_safe "replication password" "$password"

  IFS=$'\t' read -r state source _ <<<"$(clone_status "$root_file")"
  if [[ $state == Completed && $source == "${PRIMARY_HOST}:3306" ]]; then
    log "this server was already cloned from ${source}"
  else
    local -r repl_file="${work_dir}/repl.cnf"
    write_client_option_file "$repl_file" "$user" "$password" "$PRIMARY_HOST"
    wait_for_primary "$repl_file"
    clone_from_primary "$root_file" "$user" "$password"
  fi
  start_replication "$root_file" "$user" "$password"
  verify_replication "$root_file"
}

# Runs from a timer as root; logs in as the monitoring account through
# auth_socket. A replica that cannot be read counts as not replicating.
mysql_replica_metrics() {
  local -r region=$1 stack=$2 socket=$3
  local status="" io_running="" sql_running="" lag="" running=0 readable=true
  if ! status=$(mysql --no-defaults --protocol=socket --socket="$socket" \
    --user=scale_tiers_monitor --connect-timeout=10 --batch --vertical -e 'SHOW REPLICA STATUS'); then
    readable=false
  fi
  io_running=$(sed -n 's/^ *Replica_IO_Running: //p' <<<"$status")
  sql_running=$(sed -n 's/^ *Replica_SQL_Running: //p' <<<"$status")
  lag=$(sed -n 's/^ *Seconds_Behind_Source: //p' <<<"$status")
  if [[ $io_running == Yes && $sql_running == Yes ]]; then
    running=1
  fi
  local -a data=("MetricName=ReplicationRunning,Value=${running},Unit=Count")
  # NULL while a thread is stopped: no lag value rather than a false zero.
  if [[ $lag =~ ^[0-9]+$ ]]; then
    data+=("MetricName=ReplicationLagSeconds,Value=${lag},Unit=Seconds")
  fi
  tool_put_metrics "$region" ScaleTiers/MySQL "{Name=Stack,Value=${stack}},{Name=Role,Value=replica}" "${data[@]}"
  [[ $readable == true ]]
}

install_replica_metrics() {
  write_tool_script "$metrics_script" mysql_replica_metrics "$AWS_REGION_NAME" "$STACK_NAME" "$socket_path"
  install_timer scale-tiers-mysql-metrics 1min "$metrics_script"
}

self_check() {
  local -r root_file=$1
  local row server_id log_bin binlog_format binlog_row_image gtid_mode super_read_only expire
  row=$(mysql_with "$root_file" -e 'SELECT @@server_id, @@log_bin, @@binlog_format, @@binlog_row_image, @@gtid_mode, @@super_read_only, @@binlog_expire_logs_seconds')
  IFS=$'\t' read -r server_id log_bin binlog_format binlog_row_image gtid_mode super_read_only expire <<<"$row"
  log "self-check: server_id=${server_id} log_bin=${log_bin} binlog_format=${binlog_format} binlog_row_image=${binlog_row_image} gtid_mode=${gtid_mode} super_read_only=${super_read_only}"
  if [[ $MYSQL_ROLE == replica ]]; then
    [[ $super_read_only == 1 ]] || die "this replica is not super_read_only"
  else
    [[ $super_read_only == 0 ]] || die "this primary is super_read_only"
  fi
  # What replicas and AWS DMS (mysql-dms.sh checks it again) need.
  [[ $binlog_format == ROW ]] || die "binlog_format is ${binlog_format}, expected ROW"
  [[ $binlog_row_image == FULL ]] || die "binlog_row_image is ${binlog_row_image}, expected FULL"
  ((expire == 0 || expire >= dms_min_binlog_seconds)) ||
    die "binlog_expire_logs_seconds is ${expire}; replicas and AWS DMS need at least ${dms_min_binlog_seconds}"
  [[ $gtid_mode == ON ]] || die "gtid_mode is ${gtid_mode}, expected ON"
  [[ $log_bin == 1 ]] || die "the binary log is off"
  [[ $server_id == "$MYSQL_SERVER_ID" ]] || die "server_id is ${server_id}, expected ${MYSQL_SERVER_ID}"
}

main() {
  start_logging
  take_lock
  log "starting (${MYSQL_ROLE}, region ${AWS_REGION_NAME}, volume ${DATA_VOLUME_ID}, MySQL ${MYSQL_MAJOR_VERSION}, server_id ${MYSQL_SERVER_ID})"
  validate_inputs
  work_dir=$(mktemp -d)

  mount_data_volume "$DATA_VOLUME_ID" "$DATA_DEVICE_NAME" "$mount_point" "$fs_label"

  install_mysql
  write_my_cnf
  require_mount_for_service mysqld "$mount_point"
  prepare_directories
  label_like_for_selinux /var/lib/mysql "$mount_point"

  # Fetched before initialising, so that an unreadable secret stops the run
  # before a passwordless root exists, and that window stays a few seconds.
  local root_secret repl_secret app_secret
  local -r root_file="${work_dir}/root.cnf"
  root_secret=$(fetch_secret "$ROOT_SECRET_ARN")
  repl_secret=$(fetch_secret "$REPLICATION_SECRET_ARN")
  if [[ $MYSQL_ROLE == primary ]]; then
    app_secret=$(fetch_secret "$APP_SECRET_ARN")
  fi

  initialize_data_dir
  start_mysqld
  configure_root "$root_file" "$root_secret"
  if [[ $MYSQL_ROLE == primary ]]; then
    configure_app_account "$root_file" "$app_secret"
    configure_replication_accounts "$root_file" "$repl_secret"
  else
    # The clone brings the primary's accounts, and super_read_only would
    # refuse any change here.
    configure_replica "$root_file" "$repl_secret"
  fi
  self_check "$root_file"
  if [[ $MYSQL_ROLE == replica ]]; then
    install_replica_metrics
  fi
  install_cloudwatch_agent_sync
  log "done"
}

main "$@"
