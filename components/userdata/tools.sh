# shellcheck shell=bash
#
# Helpers for the servers that run whole applications (web, Jenkins, Jira,
# wiki, CMS). Not a script of its own: the renderer (render.ts) inlines it
# where a script says `# scale-tiers:include tools.sh`, after common.sh. Kept
# apart from common.sh so that the database, cache and broker servers' user
# data stays as it is (and under EC2's limit).
#
# Provides: require_secret_arn, read_secret, secret_field,
# require_plain_secret, require_db_name, read_db_credentials, write_secret_file,
# require_base_url, wait_for_http, download, memory_share_mib,
# start_or_restart, install_when_changed (sets file_changed), the nginx
# helpers (remove_stock_nginx_server, start_or_reload_nginx), and for PHP
# sites install_php_stack, php_fpm_user, write_php_site, setup_local_mariadb,
# mariadb_app_database.

# work_dir is common.sh's, set by the including script.
# shellcheck disable=SC2154

# ---------------------------------------------------------------------------
# Secrets, HTTP readiness and downloads (the team-tool scripts)
# ---------------------------------------------------------------------------

require_secret_arn() {
  [[ $1 =~ ^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$ ]] ||
    die "not a Secrets Manager secret ARN: $1"
}

# Prints a secret's SecretString. Only its ARN is ever logged.
read_secret() {
  retry 6 aws secretsmanager get-secret-value --region "$AWS_REGION_NAME" \
    --secret-id "$1" --query SecretString --output text
}

# Prints a non-empty string field of a JSON document. jq's own error output is
# discarded because it could quote the document, which holds a password.
secret_field() {
  printf '%s' "$1" | jq -er --arg key "$2" '.[$key] | strings | select(length > 0)' 2>/dev/null
}

# Secrets end up in files with quoting rules of their own (systemd, XML,
# SQL literals); line breaks and quotes would need a different escaping in
# each, and the generators never produce them.
require_plain_secret() {
  case $2 in
    *\"* | *\\* | *\'* | *$'\n'* | *$'\r'*)
      die "$1 contains a quote, backslash or line break, which this script does not accept"
      ;;
  esac
}

# Account and database names are pasted into SQL and configuration files.
require_db_name() {
  if [[ ! $2 =~ ^[A-Za-z][A-Za-z0-9_]{0,31}$ ]]; then
    die "$1 '$2' must be a letter then up to 31 characters from [A-Za-z0-9_]"
  fi
}

# read_db_credentials <secret-arn> <user-var> <password-var> <name-var>:
# reads a tool's database secret into the three named variables (the
# caller's locals), with both names checked by require_db_name.
read_db_credentials() {
  local secret value
  secret=$(read_secret "$1")
  value=$(secret_field "$secret" username) || die "database secret has no username"
  printf -v "$2" '%s' "$value"
  value=$(secret_field "$secret" password) || die "database secret has no password"
  printf -v "$3" '%s' "$value"
  value=$(secret_field "$secret" dbname) || die "database secret has no dbname"
  printf -v "$4" '%s' "$value"
  require_db_name "database username" "${!2}"
  require_db_name "database name" "${!4}"
}

# Writes a secret value into a new file (no trailing newline) readable by the
# given owner only. printf is a builtin, so the value never reaches argv.
write_secret_file() {
  local -r file=$1 value=$2 owner=${3:-root}
  (
    umask 077
    printf '%s' "$value" >"$file"
  )
  chown "$owner" "$file"
}

# BASE_URL is the address users type (the internal load balancer's name);
# applications generate links from it, so it has to be exact.
require_base_url() {
  [[ $BASE_URL =~ ^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?/$ ]] ||
    die "BASE_URL must look like http://host.example/ (scheme, host, optional port, trailing /): ${BASE_URL}"
}

# wait_for_http <url> <timeout-seconds>: until the URL answers 200, which is
# what the load balancer's health checks accept (components/collaboration.ts):
# an application that is not installed yet answers with a redirect to its
# installer. Java applications take minutes on their first start (plugins,
# schema).
wait_for_http() {
  local -r url=$1 timeout=$2
  local -r deadline=$((SECONDS + timeout))
  local next_report=$SECONDS status=""
  until status=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$url" 2>/dev/null) && [[ $status == 200 ]]; do
    ((SECONDS < deadline)) || die "${url} did not answer 200 within ${timeout}s (last answer: ${status:-none})"
    if ((SECONDS >= next_report)); then
      log "waiting for ${url}"
      next_report=$((SECONDS + 60))
    fi
    sleep 5
  done
  log "${url} answers"
}

# download <url> <file>: over HTTPS only, failing on HTTP errors, with retries.
download() {
  [[ $1 == https://* ]] || die "refusing to download over plain HTTP: $1"
  retry 5 curl -fsSL --proto '=https' --max-time 900 -o "$2" "$1"
}

# Megabytes that are the given percentage of RAM, within [floor, cap].
memory_share_mib() {
  local -r percent=$1 floor=$2 cap=$3
  local mem_kib size
  mem_kib=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
  [[ $mem_kib =~ ^[0-9]+$ ]] || die "cannot read MemTotal from /proc/meminfo"
  size=$((mem_kib * percent / 100 / 1024))
  ((size >= floor)) || size=$floor
  ((size <= cap)) || size=$cap
  printf '%s' "$size"
}

# systemctl enable --now, or restart when the caller changed its configuration.
start_or_restart() {
  local -r service=$1 changed=$2
  systemctl enable "$service"
  if [[ $changed == true ]] && systemctl is-active --quiet "$service"; then
    log "restarting ${service} to apply its new configuration"
    systemctl restart "$service"
  else
    systemctl start "$service"
  fi
}

# Installs a staged file when it differs; sets file_changed=true if it did.
file_changed=false
install_when_changed() {
  if files_differ "$1" "$2"; then
    install_file "$@"
    file_changed=true
  fi
}

# ---------------------------------------------------------------------------
# nginx (web, wiki and CMS servers)
# ---------------------------------------------------------------------------

readonly nginx_main_conf=/etc/nginx/nginx.conf

# The stock nginx.conf on AL2023 carries its own server block on port 80 that
# serves the distribution's test page and would compete with ours. The awk
# script drops every `server {` ... `}` block directly inside `http { ... }`,
# written as the stock file writes it (`server {` on one line); braces in
# quoted strings and comments are not counted. Once removed there is nothing
# left to drop, which keeps re-runs a no-op.
render_main_conf_without_stock_server() {
  awk '
    {
      code = $0
      gsub(/"[^"]*"|\047[^\047]*\047/, "", code)
      sub(/#.*/, "", code)
      opens = gsub(/\{/, "{", code)
      closes = gsub(/\}/, "}", code)
    }
    skipping {
      depth += opens - closes
      if (depth <= 1) skipping = 0
      next
    }
    depth == 0 && code ~ /^[ \t]*http[ \t]*\{/ { in_http = 1 }
    depth == 1 && in_http && code ~ /^[ \t]*server[ \t]*\{/ {
      depth += opens - closes
      if (depth > 1) skipping = 1
      next
    }
    {
      depth += opens - closes
      if (depth == 0) in_http = 0
      print
    }
  ' "$nginx_main_conf"
}

remove_stock_nginx_server() {
  local -r staged="${work_dir}/nginx.conf"
  render_main_conf_without_stock_server >"$staged"
  if files_differ "$staged" "$nginx_main_conf"; then
    # Keep the package's original once, for comparison after nginx upgrades.
    if [[ ! -e "${nginx_main_conf}.scale-tiers-orig" ]]; then
      cp -p "$nginx_main_conf" "${nginx_main_conf}.scale-tiers-orig"
    fi
    install_file "$staged" "$nginx_main_conf" 0644 root root
  fi
}

# Starts nginx, or reloads it (no dropped connections) to read new files.
start_or_reload_nginx() {
  nginx -t
  if systemctl is-active --quiet nginx; then
    systemctl reload nginx
  fi
  systemctl enable --now nginx
}

# ---------------------------------------------------------------------------
# PHP sites on one server: nginx, php-fpm and a local MariaDB (wiki, CMS)
# ---------------------------------------------------------------------------

# AL2023 ships PHP as versioned package streams; 8.3 is supported by both
# MediaWiki 1.43 and current WordPress.
readonly php_packages='php8.3-fpm php8.3-cli php8.3-mysqlnd php8.3-mbstring php8.3-xml php8.3-intl php8.3-gd php8.3-opcache'
readonly php_fpm_socket=/run/php-fpm/www.sock
readonly mariadb_socket=/var/lib/mysql/mysql.sock

install_php_stack() {
  local -a packages
  read -ra packages <<<"$php_packages"
  install_missing_packages nginx jq mariadb105-server "${packages[@]}"
}

# The user of php-fpm's stock pool (apache on AL2023): it owns what the site
# may write (uploads), and nothing else.
php_fpm_user() {
  local user
  user=$(sed -n 's/^user *= *//p' /etc/php-fpm.d/www.conf | tail -n 1)
  id -u "$user" >/dev/null 2>&1 || die "php-fpm's pool user '${user}' does not exist"
  printf '%s' "$user"
}

# write_php_site <document-root> <extra nginx locations> [<installed-file>]
# One default server on port 80 behind the internal load balancer. PATH_INFO
# is passed on because MediaWiki's default article path is /index.php/Title.
# With <installed-file>, PHP is not reached (503) while that file is missing:
# an application that is not installed answers its pages with its installer
# or a "not set up" page, which no health check can tell from a working site
# and which offers the installation to whoever comes first.
write_php_site() {
  local -r root=$1 locations=$2 installed=${3-}
  local -r staged="${work_dir}/site.conf" site=/etc/nginx/conf.d/scale-tiers.conf
  local gate=""
  if [[ -n $installed ]]; then
    gate="
        if (!-f ${installed}) {
            return 503;
        }"
  fi
  cat >"$staged" <<NGINX
# Written by the scale-tiers bootstrap; rewritten on every run.
server_tokens off;

server {
    listen 80 default_server;
    server_name _;
    root ${root};
    index index.php;
    client_max_body_size 64m;

    location = /scale-tiers-health {
        access_log off;
        default_type text/plain;
        return 200 "ok";
    }
${locations}
    location ~ [^/]\.php(/|\$) {${gate}
        fastcgi_split_path_info ^(.+?\.php)(/.*)\$;
        try_files \$fastcgi_script_name =404;
        include fastcgi_params;
        fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
        fastcgi_param PATH_INFO \$fastcgi_path_info;
        fastcgi_param HTTPS \$fastcgi_https;
        fastcgi_pass unix:${php_fpm_socket};
        fastcgi_read_timeout 300s;
    }
}

# The load balancer terminates TLS; PHP builds links from this.
map \$http_x_forwarded_proto \$fastcgi_https {
    default "";
    https on;
}
NGINX
  if files_differ "$staged" "$site"; then
    install_file "$staged" "$site" 0644 root root
  fi
  remove_stock_nginx_server
  systemctl enable --now php-fpm
  start_or_reload_nginx
}

# Runs SQL (from stdin) as MariaDB's root, which authenticates by the OS
# user over the socket: there is no root password to keep anywhere.
mariadb_root() {
  mysql --no-defaults --protocol=socket --socket="$mariadb_socket" -u root --batch --skip-column-names
}

# Quotes a string as an SQL literal (default sql_mode: backslash escapes).
mariadb_literal() {
  local value=$1
  value=${value//\\/\\\\}
  value=${value//\'/\'\'}
  printf "'%s'" "$value"
}

# setup_local_mariadb <mount-point> <data-dir>
# MariaDB for one application on the same server, its data on the data
# volume, reachable over the socket and 127.0.0.1 only.
setup_local_mariadb() {
  local -r mount=$1 data_dir=$2
  local -r cnf=/etc/my.cnf.d/zz-scale-tiers.cnf staged="${work_dir}/mariadb.cnf"
  local buffer_pool_mib
  buffer_pool_mib=$(memory_share_mib 20 128 4096)
  cat >"$staged" <<CNF
# Written by the scale-tiers bootstrap; read after the package's
# mariadb-server.cnf, so the data volume wins over /var/lib/mysql.
[mysqld]
datadir=${data_dir}
socket=${mariadb_socket}
bind-address=127.0.0.1
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb_buffer_pool_size=${buffer_pool_mib}M
CNF
  file_changed=false
  install_when_changed "$staged" "$cnf" 0644 root root
  require_mount_for_service mariadb "$mount"
  install -d -m 0750 -o mysql -g mysql "$data_dir"
  label_like_for_selinux /var/lib/mysql "$data_dir"
  if [[ ! -d "${data_dir}/mysql" ]]; then
    # Anything else there means an interrupted initialisation or a wrong
    # volume; a person has to look before anything is lost.
    [[ -z $(find "$data_dir" -mindepth 1 -maxdepth 1 -print -quit) ]] ||
      die "${data_dir} is not empty but has no mysql/ directory; refusing to initialise over it"
    log "initialising ${data_dir}"
    mariadb-install-db --user=mysql --datadir="$data_dir" --skip-test-db >/dev/null
  else
    log "${data_dir} is already initialised; keeping it"
  fi
  start_or_restart mariadb "$file_changed"
  local -r deadline=$((SECONDS + 300))
  until mariadb-admin --no-defaults --socket="$mariadb_socket" --connect-timeout=5 ping >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "MariaDB did not answer within 300s; see journalctl -u mariadb"
    sleep 2
  done
}

# mariadb_app_database <user> <password> <dbname>: the application's
# database and account (localhost only), re-synced to the secret on every
# run so a rotated password applies. The SQL goes through a pipe, never argv.
mariadb_app_database() {
  local -r user=$1 password=$2 db_name=$3
  local quoted
  quoted=$(mariadb_literal "$password")
  mariadb_root <<SQL
CREATE DATABASE IF NOT EXISTS \`${db_name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '${user}'@'localhost' IDENTIFIED BY ${quoted};
ALTER USER '${user}'@'localhost' IDENTIFIED BY ${quoted};
GRANT ALL PRIVILEGES ON \`${db_name//_/\\_}\`.* TO '${user}'@'localhost';
SQL
  log "database ${db_name} and account '${user}'@'localhost' are in place"
}
