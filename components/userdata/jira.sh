#!/bin/bash
#
# scale-tiers Jira Software bootstrap (cloud-init user data, Amazon Linux 2023).
#
# Runs Jira Software (Data Center distribution, from Atlassian's tarball) as
# user jira on Java 17, behind the internal load balancer, with its own local
# PostgreSQL. Everything that must survive instance replacement is on the
# data volume: JIRA_HOME (/data/jira/home: attachments, indexes, dbconfig.xml)
# and the database (/data/jira/pgsql).
#
# Why a local database and not the application's MySQL: the team tools stay
# out of the customer database's capacity and failure domain (a runaway Jira
# query cannot slow the shop down, a database failover does not take the
# team's tools with it), and out of its later RDS/DMS migration. PostgreSQL
# because it is what Atlassian recommends for Jira.
#
# After the first start a person finishes Jira's setup in the browser
# (licence, administrator); the database step is already done by
# dbconfig.xml. Upgrades: change JIRA_VERSION and re-run; the new version is
# unpacked next to the old one and the symlink moves (read Atlassian's
# upgrade notes first, and snapshot the volume).
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   AWS_REGION_NAME   region for the aws CLI, e.g. ap-northeast-2
#   DATA_VOLUME_ID    EBS data volume, e.g. vol-0123456789abcdef0
#   DATA_DEVICE_NAME  device name used in the attachment, e.g. /dev/sdf
#   JIRA_VERSION      Jira Software version, e.g. 10.3.12
#   DB_SECRET_ARN     secret {"username","password","dbname"} of Jira's
#                     PostgreSQL account
#   BASE_URL          the address users reach, e.g. http://jira.scale-tiers.internal/
#   CLOUDWATCH_AGENT_PARAMETER  SSM parameter holding the CloudWatch agent's
#                     configuration; need not exist (monitoring off)
#
# Safe to run again, by hand or through SSM Run Command, and on a new instance
# attached to an existing data volume: the database cluster is never
# re-initialised, the account is re-synced to its secret (with dbconfig.xml),
# and Jira is restarted only when its configuration changed.
# Log: /var/log/scale-tiers-bootstrap.log (and the console).
set -euo pipefail
# Without these, a failure inside $(...) or a function would go unnoticed or
# unreported.
shopt -s inherit_errexit
set -o errtrace

: "${AWS_REGION_NAME:?rendered by scale-tiers}"
: "${DATA_VOLUME_ID:?rendered by scale-tiers}"
: "${DATA_DEVICE_NAME:?rendered by scale-tiers}"
: "${JIRA_VERSION:?rendered by scale-tiers}"
: "${DB_SECRET_ARN:?rendered by scale-tiers}"
: "${BASE_URL:?rendered by scale-tiers}"
: "${CLOUDWATCH_AGENT_PARAMETER:?rendered by scale-tiers}"

# scale-tiers:include common.sh
# scale-tiers:include tools.sh

# Lower-case names are this script's own, so they can never collide with a
# rendered readonly variable.
readonly mount_point=/data/jira
readonly fs_label=jira-data
readonly jira_home=/data/jira/home
readonly pg_data=/data/jira/pgsql/data
readonly install_root=/opt/atlassian
readonly install_dir="/opt/atlassian/jira-${JIRA_VERSION}"
readonly current_link=/opt/atlassian/jira-current
readonly jira_unit=/etc/systemd/system/jira.service
readonly start_timeout_seconds=900

validate_inputs() {
  require_region
  require_data_volume
  [[ $JIRA_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die "JIRA_VERSION must look like 10.3.12: ${JIRA_VERSION}"
  require_secret_arn "$DB_SECRET_ARN"
  require_base_url
}

install_packages() {
  # fontconfig and a font: Jira draws charts and captchas with Java2D.
  install_missing_packages java-17-amazon-corretto-headless fontconfig dejavu-sans-fonts \
    postgresql15-server jq tar
  if ! id -u jira >/dev/null 2>&1; then
    useradd --system --home-dir "$jira_home" --no-create-home --shell /sbin/nologin jira
  fi
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

setup_postgresql() {
  local -r dropin=/etc/systemd/system/postgresql.service.d/data-dir.conf
  local -r staged="${work_dir}/pg-dropin.conf"
  require_mount_for_service postgresql "$mount_point"
  printf '# Written by the scale-tiers bootstrap: the cluster is on the data volume.\n[Service]\nEnvironment=PGDATA=%s\n' \
    "$pg_data" >"$staged"
  install -d -m 0755 "${dropin%/*}"
  if files_differ "$staged" "$dropin"; then
    install_file "$staged" "$dropin" 0644 root root
    systemctl daemon-reload
  fi
  install -d -m 0700 -o postgres -g postgres "${pg_data%/*}" "$pg_data"
  label_like_for_selinux /var/lib/pgsql "${pg_data%/*}"
  if [[ -s "${pg_data}/PG_VERSION" ]]; then
    log "${pg_data} holds a PostgreSQL $(<"${pg_data}/PG_VERSION") cluster; keeping it"
  else
    [[ -z $(find "$pg_data" -mindepth 1 -maxdepth 1 -print -quit) ]] ||
      die "${pg_data} is not empty but has no PG_VERSION; refusing to initialise over it"
    # listen_addresses stays at its default, localhost; local connections
    # need the OS user (peer), TCP ones a password.
    log "initialising ${pg_data}"
    runuser -u postgres -- initdb --pgdata="$pg_data" --encoding=UTF8 --locale=C \
      --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
  systemctl enable --now postgresql
  local -r deadline=$((SECONDS + 300))
  until runuser -u postgres -- pg_isready -q; do
    ((SECONDS < deadline)) || die "PostgreSQL did not answer within 300s; see journalctl -u postgresql"
    sleep 2
  done
}

# The role and the database, re-synced to the secret on every run. Atlassian
# asks for UTF8 with C collation. The SQL goes through a pipe, never argv.
configure_database() {
  local -r user=$1 password=$2 db_name=$3
  local quoted=${password//\'/\'\'}
  runuser -u postgres -- psql --quiet --no-psqlrc -v ON_ERROR_STOP=1 >/dev/null <<SQL
SELECT 'CREATE ROLE ${user} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${user}')\gexec
ALTER ROLE ${user} WITH LOGIN PASSWORD '${quoted}';
SELECT 'CREATE DATABASE ${db_name} WITH OWNER ${user} ENCODING ''UTF8'' LC_COLLATE ''C'' LC_CTYPE ''C'' TEMPLATE template0' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${db_name}')\gexec
ALTER DATABASE ${db_name} OWNER TO ${user};
SQL
  log "PostgreSQL database ${db_name} and role ${user} are in place"
}

# ---------------------------------------------------------------------------
# Jira
# ---------------------------------------------------------------------------

# Unpacks the version once; it appears complete or not at all (rename).
install_jira() {
  if [[ -d $install_dir ]]; then
    log "Jira ${JIRA_VERSION} is already in ${install_dir}"
  else
    local -r partial="${install_dir}.partial"
    log "downloading Jira Software ${JIRA_VERSION}"
    download "https://www.atlassian.com/software/jira/downloads/binary/atlassian-jira-software-${JIRA_VERSION}.tar.gz" \
      "${work_dir}/jira.tar.gz"
    install -d -m 0755 "$install_root"
    rm -rf -- "$partial"
    install -d -m 0755 "$partial"
    tar -xzf "${work_dir}/jira.tar.gz" -C "$partial" --strip-components=1 --no-same-owner
    rm -f -- "${work_dir}/jira.tar.gz"
    [[ -x "${partial}/bin/start-jira.sh" && -f "${partial}/conf/server.xml" ]] ||
      die "the Jira ${JIRA_VERSION} archive does not look like Jira"
    # The pristine copy that write_server_xml renders from on every run.
    cp -p "${partial}/conf/server.xml" "${partial}/conf/server.xml.dist"
    mv -T -- "$partial" "$install_dir"
  fi
  # Atlassian's layout: the code belongs to root, Jira writes only these.
  chown -R jira:jira "${install_dir}/logs" "${install_dir}/temp" "${install_dir}/work"
  ln -sfn -- "$install_dir" "${current_link}.new"
  mv -fT -- "${current_link}.new" "$current_link"
}

# proxied_server_xml <server.xml> <host> <port> <scheme> <secure>: the file
# with the proxy attributes added to its one active connector on 8080. Jira's
# stock file also holds commented-out proxy examples on 8080, which already
# name a proxyName: they stay as they are. Fails (exit 3) unless exactly one
# connector on 8080 is outside a comment.
proxied_server_xml() {
  local -r file=$1 host=$2 port=$3 scheme=$4 secure=$5
  awk -v attrs="proxyName=\"${host}\" proxyPort=\"${port}\" scheme=\"${scheme}\" secure=\"${secure}\"" '
    !in_comment && /^[[:space:]]*<Connector port="8080"([[:space:]]|\/?>|$)/ {
      sub(/<Connector port="8080"/, "& " attrs)
      active++
    }
    { print }
    {
      rest = $0
      while (1) {
        if (in_comment) {
          at = index(rest, "-->")
          if (!at) break
          in_comment = 0
          rest = substr(rest, at + 3)
        } else {
          at = index(rest, "<!--")
          if (!at) break
          in_comment = 1
          rest = substr(rest, at + 4)
        }
      }
    }
    END { if (active != 1) exit 3 }
  ' "$file"
}

# The connector on 8080 learns the address users see (the load balancer
# talks HTTP to it), so Jira's links and redirects use BASE_URL.
write_server_xml() {
  local scheme host port
  [[ $BASE_URL =~ ^(https?)://([^:/]+)(:([0-9]+))?/$ ]] || die "cannot parse BASE_URL ${BASE_URL}"
  scheme=${BASH_REMATCH[1]} host=${BASH_REMATCH[2]} port=${BASH_REMATCH[4]}
  if [[ -z $port ]]; then
    port=80
    [[ $scheme == http ]] || port=443
  fi
  local secure=false
  [[ $scheme == http ]] || secure=true
  local -r staged="${work_dir}/server.xml"
  proxied_server_xml "${install_dir}/conf/server.xml.dist" "$host" "$port" "$scheme" "$secure" >"$staged" ||
    die "server.xml of Jira ${JIRA_VERSION} has no single active <Connector port=\"8080\"; check proxied_server_xml"
  install_when_changed "$staged" "${install_dir}/conf/server.xml" 0644 root root
}

# The replacements are quoted: bash 5.2 (AL2023's) reads an unquoted & in
# one as the matched text (patsub_replacement), which made "<" "<lt;".
xml_escape() {
  local value=$1
  value=${value//&/'&amp;'}
  value=${value//</'&lt;'}
  value=${value//>/'&gt;'}
  value=${value//\"/'&quot;'}
  printf '%s' "$value"
}

# Makes Jira's setup skip the database step. Written through printf, a
# builtin, into a file only root can read until it is installed for jira.
write_dbconfig() {
  local -r user=$1 password=$2 db_name=$3
  local -r staged="${work_dir}/dbconfig.xml"
  (
    umask 077
    cat >"$staged" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<jira-database-config>
  <name>defaultDS</name>
  <delegator-name>default</delegator-name>
  <database-type>postgres72</database-type>
  <schema-name>public</schema-name>
  <jdbc-datasource>
    <url>jdbc:postgresql://127.0.0.1:5432/${db_name}</url>
    <driver-class>org.postgresql.Driver</driver-class>
    <username>${user}</username>
XML
    printf '    <password>%s</password>\n' "$(xml_escape "$password")" >>"$staged"
    cat >>"$staged" <<XML
    <pool-min-size>20</pool-min-size>
    <pool-max-size>40</pool-max-size>
    <pool-max-wait>30000</pool-max-wait>
    <validation-query>select 1</validation-query>
    <min-evictable-idle-time-millis>60000</min-evictable-idle-time-millis>
    <time-between-eviction-runs-millis>300000</time-between-eviction-runs-millis>
    <pool-max-idle>20</pool-max-idle>
    <pool-remove-abandoned>true</pool-remove-abandoned>
    <pool-remove-abandoned-timeout>300</pool-remove-abandoned-timeout>
    <pool-test-on-borrow>false</pool-test-on-borrow>
    <pool-test-while-idle>true</pool-test-while-idle>
    <connection-properties>tcpKeepAlive=true;socketTimeout=240</connection-properties>
  </jdbc-datasource>
</jira-database-config>
XML
  )
  install_when_changed "$staged" "${jira_home}/dbconfig.xml" 0600 jira jira
}

write_jira_unit() {
  local heap_mib java_home
  # Half the RAM (PostgreSQL and the page cache get the rest), capped where
  # bigger heaps only lengthen garbage collection for a team-sized Jira.
  heap_mib=$(memory_share_mib 50 1024 8192)
  java_home=$(rpm -ql java-17-amazon-corretto-headless | sed -n 's|/bin/java$||p' | head -n 1)
  [[ -n $java_home ]] || die "cannot find Java 17's home"
  local -r staged="${work_dir}/jira.service"
  # -fg keeps Tomcat in the foreground for systemd; the later -Xms/-Xmx in
  # CATALINA_OPTS win over the defaults in Jira's setenv.sh.
  cat >"$staged" <<UNIT
# Written by the scale-tiers Jira bootstrap; rewritten on every run.
[Unit]
Description=Jira Software
Wants=network-online.target
After=network-online.target postgresql.service
Requires=postgresql.service
RequiresMountsFor=${mount_point}

[Service]
User=jira
Group=jira
Environment=JIRA_HOME=${jira_home}
Environment=JAVA_HOME=${java_home}
Environment=JRE_HOME=${java_home}
Environment="CATALINA_OPTS=-Xms${heap_mib}m -Xmx${heap_mib}m"
ExecStart=${current_link}/bin/start-jira.sh -fg
SuccessExitStatus=143
TimeoutStartSec=${start_timeout_seconds}
TimeoutStopSec=180
Restart=on-failure
RestartSec=10

[Install]
WantedBy=multi-user.target
UNIT
  if files_differ "$staged" "$jira_unit"; then
    install_file "$staged" "$jira_unit" 0644 root root
    systemctl daemon-reload
    file_changed=true
  fi
}

main() {
  start_logging
  take_lock
  log "starting (region ${AWS_REGION_NAME}, volume ${DATA_VOLUME_ID}, Jira ${JIRA_VERSION}, ${BASE_URL})"
  validate_inputs
  work_dir=$(mktemp -d)

  mount_data_volume "$DATA_VOLUME_ID" "$DATA_DEVICE_NAME" "$mount_point" "$fs_label"
  install_packages
  install -d -m 0750 -o jira -g jira "$jira_home"
  label_like_for_selinux /var/lib "$jira_home"

  local db_user db_password db_name
  read_db_credentials "$DB_SECRET_ARN" db_user db_password db_name
  [[ $db_user != postgres ]] || die "the database secret must not name the postgres superuser"
  # PostgreSQL folds unquoted names to lower case.
  [[ $db_user$db_name == "${db_user,,}${db_name,,}" ]] || die "PostgreSQL names in the database secret must be lower case"

  setup_postgresql
  configure_database "$db_user" "$db_password" "$db_name"

  file_changed=false
  local -r previous_install=$(readlink -- "$current_link" || true)
  install_jira
  [[ $previous_install == "$install_dir" ]] || file_changed=true
  write_server_xml
  write_dbconfig "$db_user" "$db_password" "$db_name"
  write_jira_unit
  start_or_restart jira "$file_changed"
  wait_for_http http://127.0.0.1:8080/status "$start_timeout_seconds"
  install_cloudwatch_agent_sync
  log "done"
}

main "$@"
