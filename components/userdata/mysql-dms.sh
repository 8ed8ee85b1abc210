# shellcheck shell=bash
#
# The AWS DMS account and binlog check, for the migration component's SSM
# document (components/migration.ts), which runs it on the self-managed
# primary. Not part of any user data: the primary's user data is never applied
# again, and the account's secret exists only once a migration starts, so the
# document carries this function (and sql_string from mysql.sh) to the server
# whenever it runs: at the replicating phase, again when a secret or this file
# changes, and on a replacement primary.
#
# mysql_dms_account <region> <admin-secret-arn> <server> <min-binlog-hours>
#                   <account-secret-arn | -> [<schema>...]
# Checks that a MySQL server can be an AWS DMS CDC source (binary log on, ROW
# format, FULL row images, binlogs kept at least <min-binlog-hours>) and
# fails listing every setting that is not; then, unless the account secret is
# "-", creates or re-syncs the DMS account from that secret: TLS only,
# REPLICATION CLIENT, REPLICATION SLAVE and SELECT on *.* to read (the source
# side), and write access to the given schemas and awsdms_control (the target
# side: the reverse task writes back into this server). <server> is this
# server's socket path (a self-managed server, logged into as root) or an
# RDS host name (logged into over TLS as its master user, whose binlog
# retention is then set with mysql.rds_set_configuration).
mysql_dms_account() {
  local -r region=$1 admin_arn=$2 server=$3 min_hours=$4 account_arn=$5
  shift 5
  local dir admin admin_user account user password problems=() schema
  [[ $min_hours =~ ^[1-9][0-9]{0,3}$ ]] || {
    echo "min binlog hours must be a positive integer: ${min_hours}" >&2
    return 1
  }
  for schema in "$@"; do
    [[ $schema =~ ^[A-Za-z0-9_$%]{1,64}$ ]] || {
      echo "not a schema name or pattern: ${schema}" >&2
      return 1
    }
  done
  dir=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: dir is local and gone at RETURN time
  trap "rm -rf -- '${dir}'" RETURN
  admin=$(aws secretsmanager get-secret-value --region "$region" --secret-id "$admin_arn" \
    --query SecretString --output text)
  if ! admin_user=$(jq -er '.username | strings' <<<"$admin" 2>/dev/null) ||
    ! password=$(jq -er '.password | strings' <<<"$admin" 2>/dev/null); then
    echo "the admin secret has no username or password" >&2
    return 1
  fi
  [[ $admin_user =~ ^[A-Za-z0-9_]{1,32}$ && $password != *\"* && $password != *$'\n'* ]] || {
    echo "the admin secret's username or password has characters an option file cannot hold" >&2
    return 1
  }
  (
    umask 077
    {
      printf '[client]\nuser="%s"\npassword="%s"\n' "$admin_user" "${password//\\/\\\\}"
      if [[ $server == /* ]]; then
        printf 'socket="%s"\n' "$server"
      else
        printf 'host="%s"\nport=3306\nssl-mode=REQUIRED\nconnect-timeout=10\n' "$server"
      fi
    } >"${dir}/admin.cnf"
  )
  local -r sql=(mysql --defaults-file="${dir}/admin.cnf" --batch --skip-column-names)

  if [[ $server != /* ]]; then
    # RDS purges binlogs as soon as it can unless told to keep them.
    "${sql[@]}" -e "CALL mysql.rds_set_configuration('binlog retention hours', ${min_hours})"
  fi
  local row log_bin format image expire
  row=$("${sql[@]}" -e 'SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@binlog_expire_logs_seconds')
  IFS=$'\t' read -r log_bin format image expire <<<"$row"
  [[ $log_bin == 1 ]] || problems+=("log_bin is OFF (the binary log must be on)")
  [[ $format == ROW ]] || problems+=("binlog_format is ${format}, DMS needs ROW")
  [[ $image == FULL ]] || problems+=("binlog_row_image is ${image}, DMS needs FULL")
  if [[ $server == /* ]]; then
    ((expire == 0 || expire >= min_hours * 3600)) ||
      problems+=("binlog_expire_logs_seconds is ${expire}, DMS needs at least $((min_hours * 3600))")
  else
    local hours
    hours=$("${sql[@]}" -e 'CALL mysql.rds_show_configuration' | awk -F'\t' '$1 == "binlog retention hours" { print $2 }')
    if [[ ! $hours =~ ^[0-9]+$ ]] || ((hours < min_hours)); then
      problems+=("RDS binlog retention hours is ${hours:-NULL}, DMS needs at least ${min_hours}")
    fi
  fi
  if ((${#problems[@]} > 0)); then
    printf '%s is not ready for AWS DMS:\n' "$server" >&2
    printf '  %s\n' "${problems[@]}" >&2
    return 1
  fi
  echo "${server}: binary log ready for AWS DMS (ROW, FULL, ${expire}s / ${min_hours}h kept)"
  [[ $account_arn != - ]] || return 0

  account=$(aws secretsmanager get-secret-value --region "$region" --secret-id "$account_arn" \
    --query SecretString --output text)
  if ! user=$(jq -er '.username | strings' <<<"$account" 2>/dev/null) ||
    ! password=$(jq -er '.password | strings' <<<"$account" 2>/dev/null); then
    echo "the DMS account secret has no username or password" >&2
    return 1
  fi
  [[ $user =~ ^[A-Za-z0-9_]{1,32}$ && $user != root && $user != "$admin_user" ]] || {
    echo "the DMS account secret names an unusable account: ${user}" >&2
    return 1
  }
  local quoted grants=""
  quoted=$(sql_string "$password")
  for schema in "$@"; do
    grants+="GRANT ALTER, CREATE, DROP, INDEX, INSERT, UPDATE, DELETE, SELECT ON \`${schema}\`.* TO '${user}'@'%';"$'\n'
  done
  "${sql[@]}" <<SQL
CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY ${quoted} REQUIRE SSL;
ALTER USER '${user}'@'%' IDENTIFIED BY ${quoted} REQUIRE SSL;
GRANT REPLICATION CLIENT, REPLICATION SLAVE, SELECT ON *.* TO '${user}'@'%';
GRANT ALL PRIVILEGES ON \`awsdms_control\`.* TO '${user}'@'%';
${grants}
SQL
  echo "${server}: account '${user}'@'%' (TLS required) ready for AWS DMS on ${*:-no schema}"
}
