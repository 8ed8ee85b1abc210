#!/bin/bash
#
# scale-tiers MediaWiki bootstrap (cloud-init user data, Amazon Linux 2023).
#
# Runs MediaWiki (an LTS release, from Wikimedia's tarball) on nginx and
# php-fpm with a local MariaDB, behind the internal load balancer. What must
# survive instance replacement is on the data volume: the database
# (/data/wiki/mysql), LocalSettings.php (with the wiki's secret keys) and
# uploaded files (/data/wiki/images); the code in /var/www/mediawiki-<version>
# links to them. A local database keeps the team wiki out of the customer
# database's capacity, failure domain and later migration.
#
# The wiki is installed (maintenance/run.php install) only when
# LocalSettings.php does not exist; passwords reach the installer through
# files in a private directory, never on its command line. Upgrades: change
# MEDIAWIKI_VERSION, re-run, then run maintenance/run.php update (snapshot
# the volume first).
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   AWS_REGION_NAME    region for the aws CLI, e.g. ap-northeast-2
#   DATA_VOLUME_ID     EBS data volume, e.g. vol-0123456789abcdef0
#   DATA_DEVICE_NAME   device name used in the attachment, e.g. /dev/sdf
#   MEDIAWIKI_VERSION  e.g. 1.43.1
#   DB_SECRET_ARN      secret {"username","password","dbname"} of the wiki's
#                      MariaDB account
#   ADMIN_SECRET_ARN   secret {"username","password"} of the first wiki
#                      administrator (used by the installation only)
#   BASE_URL           the address users reach, e.g. http://wiki.scale-tiers.internal/
#   CLOUDWATCH_AGENT_PARAMETER  SSM parameter holding the CloudWatch agent's
#                      configuration; need not exist (monitoring off)
#   HEALTH_PATH        the load balancer's health check, a MediaWiki page (not
#                      nginx's /scale-tiers-health) that answers 200, e.g.
#                      /rest.php/v1/page/Main_Page: a wiki whose PHP, files or
#                      database fail, or that is not installed, must fail it
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
: "${MEDIAWIKI_VERSION:?rendered by scale-tiers}"
: "${DB_SECRET_ARN:?rendered by scale-tiers}"
: "${ADMIN_SECRET_ARN:?rendered by scale-tiers}"
: "${BASE_URL:?rendered by scale-tiers}"
: "${CLOUDWATCH_AGENT_PARAMETER:?rendered by scale-tiers}"
: "${HEALTH_PATH:?rendered by scale-tiers}"

# scale-tiers:include common.sh
# scale-tiers:include tools.sh

# Lower-case names are this script's own, so they can never collide with a
# rendered readonly variable.
readonly mount_point=/data/wiki
readonly fs_label=wiki-data
readonly settings=/data/wiki/LocalSettings.php
readonly images_dir=/data/wiki/images
readonly install_dir="/var/www/mediawiki-${MEDIAWIKI_VERSION}"
readonly current_link=/var/www/mediawiki

validate_inputs() {
  require_region
  require_data_volume
  [[ $MEDIAWIKI_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die "MEDIAWIKI_VERSION must look like 1.43.1: ${MEDIAWIKI_VERSION}"
  require_secret_arn "$DB_SECRET_ARN"
  require_secret_arn "$ADMIN_SECRET_ARN"
  require_base_url
}

# The code is root's; php-fpm can write only the uploads on the volume.
install_mediawiki() {
  if [[ -d $install_dir ]]; then
    log "MediaWiki ${MEDIAWIKI_VERSION} is already in ${install_dir}"
  else
    local -r partial="${install_dir}.partial"
    log "downloading MediaWiki ${MEDIAWIKI_VERSION}"
    download "https://releases.wikimedia.org/mediawiki/${MEDIAWIKI_VERSION%.*}/mediawiki-${MEDIAWIKI_VERSION}.tar.gz" \
      "${work_dir}/mediawiki.tar.gz"
    rm -rf -- "$partial"
    install -d -m 0755 "$partial"
    tar -xzf "${work_dir}/mediawiki.tar.gz" -C "$partial" --strip-components=1 --no-same-owner
    [[ -f "${partial}/maintenance/run.php" ]] || die "the MediaWiki ${MEDIAWIKI_VERSION} archive does not look like MediaWiki 1.40+"
    # Uploads live on the volume.
    rm -rf -- "${partial}/images"
    ln -s -- "$images_dir" "${partial}/images"
    ln -s -- "$settings" "${partial}/LocalSettings.php"
    mv -T -- "$partial" "$install_dir"
  fi
  ln -sfn -- "$install_dir" "${current_link}.new"
  mv -fT -- "${current_link}.new" "$current_link"
}

# Private files for the installer's --dbpassfile and --passfile.
install_wiki() {
  local -r db_user=$1 db_password=$2 db_name=$3 admin_secret=$4 fpm_user=$5
  if [[ -e $settings ]]; then
    log "${settings} exists; the wiki is installed"
    return 0
  fi
  local admin_user admin_password
  admin_user=$(secret_field "$admin_secret" username) || die "admin secret has no username"
  admin_password=$(secret_field "$admin_secret" password) || die "admin secret has no password"
  local -r secrets="${work_dir}/installer"
  install -d -m 0700 "$secrets"
  write_secret_file "${secrets}/db" "$db_password"
  write_secret_file "${secrets}/admin" "$admin_password"
  log "installing the wiki (database ${db_name}, administrator ${admin_user})"
  # No --installdbuser: the installer then creates the tables as the wiki's
  # own account, which owns its database and nothing else.
  (cd "$current_link" && php maintenance/run.php install \
    --dbtype=mysql --dbserver=localhost --dbname="$db_name" --dbuser="$db_user" \
    --dbpassfile="${secrets}/db" --passfile="${secrets}/admin" \
    --server="${BASE_URL%/}" --scriptpath="" --lang=en \
    --confpath="${work_dir}" "scale-tiers wiki" "$admin_user")
  rm -rf -- "$secrets"
  install_file "${work_dir}/LocalSettings.php" "$settings" 0640 root "$fpm_user"
}

main() {
  start_logging
  take_lock
  log "starting (region ${AWS_REGION_NAME}, volume ${DATA_VOLUME_ID}, MediaWiki ${MEDIAWIKI_VERSION}, ${BASE_URL})"
  validate_inputs
  work_dir=$(mktemp -d)

  mount_data_volume "$DATA_VOLUME_ID" "$DATA_DEVICE_NAME" "$mount_point" "$fs_label"
  install_php_stack
  local fpm_user
  fpm_user=$(php_fpm_user)

  local admin_secret db_user db_password db_name
  read_db_credentials "$DB_SECRET_ARN" db_user db_password db_name
  admin_secret=$(read_secret "$ADMIN_SECRET_ARN")

  setup_local_mariadb "$mount_point" /data/wiki/mysql
  mariadb_app_database "$db_user" "$db_password" "$db_name"

  install -d -m 0755 -o "$fpm_user" -g "$fpm_user" "$images_dir"
  label_like_for_selinux /var/www/html "$images_dir"
  install_mediawiki
  install_wiki "$db_user" "$db_password" "$db_name" "$admin_secret" "$fpm_user"
  # The installer writes the password into LocalSettings.php once; after a
  # rotation of the secret (which re-syncs the account above) it has to be
  # changed there by hand.
  if ! grep -qF -f <(printf '%s\n' "$db_password") -- "$settings"; then
    log "WARNING: the database password in ${settings} is not the secret's; the wiki cannot connect until it is updated"
  fi

  # shellcheck disable=SC2016 # nginx variables, not shell ones
  write_php_site "$current_link" '
    location / {
        try_files $uri $uri/ /index.php?$args;
    }
    # Uploads are served as files, never run; internals are not served.
    location ^~ /images/ {
        try_files $uri =404;
    }
    location ~ ^/(cache|includes|maintenance|languages|serialized|tests|vendor)/ {
        return 403;
    }' "$settings"
  # Through nginx, PHP and the database: the page the load balancer checks too.
  wait_for_http "http://127.0.0.1${HEALTH_PATH}" 120
  install_cloudwatch_agent_sync
  log "done"
}

main "$@"
