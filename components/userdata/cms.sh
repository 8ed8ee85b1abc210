#!/bin/bash
#
# scale-tiers CMS bootstrap (cloud-init user data, Amazon Linux 2023).
#
# The CMS is WordPress, the mainstream open-source CMS, on nginx and php-fpm
# with a local MariaDB, behind the internal load balancer. WordPress lives
# entirely on the data volume (/data/cms/wordpress: core, wp-config.php,
# plugins, themes, uploads) with its database (/data/cms/mysql), so updates
# made from its admin pages and everything uploaded survive instance
# replacement. A local database keeps it out of the customer database's
# capacity, failure domain and later migration.
#
# WordPress is downloaded, configured and installed with wp-cli (its phar is
# checked against the published SHA-512), each step only when not done yet.
# Passwords reach wp-cli on stdin (--prompt), never on its command line.
# The files belong to php-fpm's user so that WordPress can update itself and
# install plugins; that is WordPress' usual model, and the reason this
# server holds nothing else.
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   AWS_REGION_NAME   region for the aws CLI, e.g. ap-northeast-2
#   DATA_VOLUME_ID    EBS data volume, e.g. vol-0123456789abcdef0
#   DATA_DEVICE_NAME  device name used in the attachment, e.g. /dev/sdf
#   DB_SECRET_ARN     secret {"username","password","dbname"} of WordPress'
#                     MariaDB account
#   ADMIN_SECRET_ARN  secret {"username","password","email"} of the first
#                     administrator (used by the installation only)
#   BASE_URL          the address users reach, e.g. http://cms.scale-tiers.internal/
#   CLOUDWATCH_AGENT_PARAMETER  SSM parameter holding the CloudWatch agent's
#                     configuration; need not exist (monitoring off)
#   HEALTH_PATH       the load balancer's health check, a WordPress page (not
#                     nginx's /scale-tiers-health) that answers 200, e.g.
#                     /wp-login.php: a site whose PHP, files or database fail,
#                     or that is not installed (WordPress then redirects to its
#                     installer), must fail it
#
# Safe to run again, by hand or through SSM Run Command, and on a new instance
# attached to an existing data volume.
# Log: /var/log/scale-tiers-bootstrap.log (and the console).
set -euo pipefail
# Without these, a failure inside $(...) or a function would go unnoticed or
# unreported.
shopt -s inherit_errexit
set -o errtrace

: "${AWS_REGION_NAME:?rendered by scale-tiers}"
: "${DATA_VOLUME_ID:?rendered by scale-tiers}"
: "${DATA_DEVICE_NAME:?rendered by scale-tiers}"
: "${DB_SECRET_ARN:?rendered by scale-tiers}"
: "${ADMIN_SECRET_ARN:?rendered by scale-tiers}"
: "${BASE_URL:?rendered by scale-tiers}"
: "${CLOUDWATCH_AGENT_PARAMETER:?rendered by scale-tiers}"
: "${HEALTH_PATH:?rendered by scale-tiers}"

# scale-tiers:include common.sh
# scale-tiers:include tools.sh

# Lower-case names are this script's own, so they can never collide with a
# rendered readonly variable.
readonly mount_point=/data/cms
readonly fs_label=cms-data
readonly wp_root=/data/cms/wordpress
readonly wp_cli_version=2.12.0
readonly wp_cli=/usr/local/bin/wp
readonly wp_cli_cache=/var/cache/wp-cli
# nginx serves the static files and must reach index.php for try_files; what
# WordPress writes below the root is world-readable (its 0644/0755 defaults).
readonly web_server_group=nginx

validate_inputs() {
  require_region
  require_data_volume
  require_secret_arn "$DB_SECRET_ARN"
  require_secret_arn "$ADMIN_SECRET_ARN"
  require_base_url
}

install_wp_cli() {
  local -r marker="${wp_cli}.version"
  if [[ -x $wp_cli && -r $marker && $(<"$marker") == "$wp_cli_version" ]]; then
    return 0
  fi
  local -r base="https://github.com/wp-cli/wp-cli/releases/download/v${wp_cli_version}/wp-cli-${wp_cli_version}.phar"
  download "$base" "${work_dir}/wp-cli.phar"
  download "${base}.sha512" "${work_dir}/wp-cli.phar.sha512"
  local expected actual
  expected=$(awk '{ print $1; exit }' "${work_dir}/wp-cli.phar.sha512")
  actual=$(sha512sum "${work_dir}/wp-cli.phar" | awk '{ print $1 }')
  [[ $expected =~ ^[0-9a-f]{128}$ && $actual == "$expected" ]] ||
    die "wp-cli ${wp_cli_version} does not match its published SHA-512"
  install_file "${work_dir}/wp-cli.phar" "$wp_cli" 0755 root root
  printf '%s\n' "$wp_cli_version" >"$marker"
}

# wp as php-fpm's user, so that what it writes is WordPress' own. Secrets
# come on stdin only.
wp_as() {
  local -r user=$1
  shift
  runuser -u "$user" -- env HOME="$wp_cli_cache" WP_CLI_CACHE_DIR="$wp_cli_cache" \
    php "$wp_cli" --path="$wp_root" "$@"
}

install_wordpress() {
  local -r fpm_user=$1 db_user=$2 db_password=$3 db_name=$4 admin_secret=$5
  install -d -m 0750 -o "$fpm_user" -g "$web_server_group" "$wp_root"
  install -d -m 0750 -o "$fpm_user" -g "$fpm_user" "$wp_cli_cache"
  label_like_for_selinux /var/www/html "$wp_root"
  if [[ -f "${wp_root}/wp-includes/version.php" ]]; then
    log "WordPress core is already in ${wp_root}"
  else
    log "downloading WordPress core"
    retry 3 wp_as "$fpm_user" core download --locale=en_US </dev/null
  fi
  if [[ -f "${wp_root}/wp-config.php" ]]; then
    log "${wp_root}/wp-config.php exists; keeping it"
  else
    printf '%s\n' "$db_password" | wp_as "$fpm_user" config create --dbname="$db_name" \
      --dbuser="$db_user" --dbhost=localhost --dbcharset=utf8mb4 --prompt=dbpass >/dev/null
    chmod 0640 "${wp_root}/wp-config.php"
    log "wrote ${wp_root}/wp-config.php"
  fi
  if wp_as "$fpm_user" core is-installed </dev/null; then
    log "WordPress is installed"
    return 0
  fi
  local admin_user admin_password admin_email
  admin_user=$(secret_field "$admin_secret" username) || die "admin secret has no username"
  admin_password=$(secret_field "$admin_secret" password) || die "admin secret has no password"
  admin_email=$(secret_field "$admin_secret" email) || die "admin secret has no email"
  [[ $admin_user =~ ^[A-Za-z0-9_.@-]{1,60}$ ]] || die "admin username '${admin_user}' must be 1-60 of [A-Za-z0-9_.@-]"
  [[ $admin_email =~ ^[^[:space:]@]+@[^[:space:]@]+$ ]] || die "admin email is not an address"
  log "installing WordPress (administrator ${admin_user})"
  printf '%s\n' "$admin_password" | wp_as "$fpm_user" core install --url="${BASE_URL%/}" \
    --title="scale-tiers" --admin_user="$admin_user" --admin_email="$admin_email" \
    --skip-email --prompt=admin_password >/dev/null
}

main() {
  start_logging
  take_lock
  log "starting (region ${AWS_REGION_NAME}, volume ${DATA_VOLUME_ID}, ${BASE_URL})"
  validate_inputs
  work_dir=$(mktemp -d)

  mount_data_volume "$DATA_VOLUME_ID" "$DATA_DEVICE_NAME" "$mount_point" "$fs_label"
  install_php_stack
  local fpm_user
  fpm_user=$(php_fpm_user)

  local admin_secret db_user db_password db_name
  read_db_credentials "$DB_SECRET_ARN" db_user db_password db_name
  admin_secret=$(read_secret "$ADMIN_SECRET_ARN")
  # wp-config.php keeps it inside a PHP string literal.
  require_plain_secret "database password" "$db_password"

  setup_local_mariadb "$mount_point" /data/cms/mysql
  mariadb_app_database "$db_user" "$db_password" "$db_name"

  install_wp_cli
  install_wordpress "$fpm_user" "$db_user" "$db_password" "$db_name" "$admin_secret"

  # shellcheck disable=SC2016 # nginx variables, not shell ones
  write_php_site "$wp_root" '
    location / {
        try_files $uri $uri/ /index.php?$args;
    }
    # Uploads are served as files, never run.
    location ^~ /wp-content/uploads/ {
        try_files $uri =404;
    }
    location = /wp-config.php {
        return 403;
    }'
  # Through nginx, PHP and the database: the page the load balancer checks too.
  wait_for_http "http://127.0.0.1${HEALTH_PATH}" 60
  install_cloudwatch_agent_sync
  log "done"
}

main "$@"
