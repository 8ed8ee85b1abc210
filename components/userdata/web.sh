#!/bin/bash
#
# scale-tiers web server bootstrap (cloud-init user data, Amazon Linux 2023).
#
# Puts nginx in front of the application: a health check endpoint for the load
# balancer, a placeholder page at / until Jenkins deploys the real package, and
# /etc/scale-tiers/app.env holding where the database is and which secret holds
# its credentials, and, when they exist, the memcached nodes and the RabbitMQ
# host. The application reads the secret itself at run time, so no secret
# ever passes through this script.
#
# app.env is rewritten from SSM every five minutes by a timer
# (scale-tiers-app-env-sync), so cache nodes or a broker added later reach
# running servers without replacing them; the application has to re-read it.
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   AWS_REGION_NAME     region for the aws CLI, e.g. ap-northeast-2
#   APP_PARAMETER_PATH  SSM Parameter Store prefix, no trailing slash, e.g.
#                       /scale-tiers/tier30k/app; <prefix>/db-host and
#                       <prefix>/db-secret-arn must exist, <prefix>/cache-nodes
#                       (host:port,host:port...) and <prefix>/amqp-host may
#   HEALTH_CHECK_PATH   path the load balancer probes, e.g. /healthz
#   APP_PORT            port nginx listens on, e.g. 80
#   CLOUDWATCH_AGENT_PARAMETER  SSM parameter holding the CloudWatch agent's
#                       configuration; need not exist (monitoring off)
#
# Safe to run again, by hand or through SSM Run Command: every step converges on
# the same state, and a page Jenkins has deployed is never overwritten.
# Log: /var/log/scale-tiers-bootstrap.log (and the console).
set -euo pipefail
# Without these, a failure inside $(...) or a function would go unnoticed or
# unreported.
shopt -s inherit_errexit
set -o errtrace

: "${AWS_REGION_NAME:?rendered by scale-tiers}"
: "${APP_PARAMETER_PATH:?rendered by scale-tiers}"
: "${HEALTH_CHECK_PATH:?rendered by scale-tiers}"
: "${APP_PORT:?rendered by scale-tiers}"
: "${CLOUDWATCH_AGENT_PARAMETER:?rendered by scale-tiers}"

# scale-tiers:include common.sh

# Lower-case names are this script's own, so they can never collide with a
# rendered readonly variable.
readonly web_root=/var/www/scale-tiers
readonly nginx_main_conf=/etc/nginx/nginx.conf
readonly site_conf=/etc/nginx/conf.d/scale-tiers.conf
readonly app_env_sync_script=/usr/local/sbin/scale-tiers-app-env-sync

validate_inputs() {
  [[ $AWS_REGION_NAME =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] ||
    die "AWS_REGION_NAME is not a region name: ${AWS_REGION_NAME}"
  [[ $APP_PARAMETER_PATH =~ ^(/[A-Za-z0-9_.-]+)+$ ]] ||
    die "APP_PARAMETER_PATH must look like /a/b (no trailing slash): ${APP_PARAMETER_PATH}"
  # The path is pasted into nginx syntax, so only characters that need no
  # quoting there are accepted.
  [[ $HEALTH_CHECK_PATH =~ ^/[A-Za-z0-9._~/-]*$ ]] ||
    die "HEALTH_CHECK_PATH must begin with / and use only [A-Za-z0-9._~/-]: ${HEALTH_CHECK_PATH}"
  [[ $HEALTH_CHECK_PATH != / ]] ||
    die "HEALTH_CHECK_PATH cannot be / because / serves the site"
  if [[ ! $APP_PORT =~ ^[1-9][0-9]{0,4}$ ]] || ((APP_PORT > 65535)); then
    die "APP_PORT is not a TCP port: ${APP_PORT}"
  fi
}

# Runs from a timer (and once from the bootstrap). A failure, such as a
# required parameter missing or a value that is not what it should be, leaves
# the current app.env alone.
app_env_sync() {
  local -r region=$1 path=$2
  local -r env_file=/etc/scale-tiers/app.env
  local response invalid db_host db_secret_arn cache_nodes amqp_host
  local -a values
  # get-parameters (not get-parameters-by-path): the instance role may read
  # these names only. It lists names that do not exist instead of failing.
  # --with-decryption is a no-op for String parameters and keeps this working
  # if they are ever made SecureString.
  response=$(aws ssm get-parameters --region "$region" --with-decryption --output json \
    --names "${path}/db-host" "${path}/db-secret-arn" "${path}/cache-nodes" "${path}/amqp-host")
  invalid=$(jq -r --arg path "$path" \
    '(.InvalidParameters // [])[] | select(. == ($path + "/db-host") or . == ($path + "/db-secret-arn"))' \
    <<<"$response")
  if [[ -n $invalid ]]; then
    echo "required SSM parameters not found: ${invalid//$'\n'/ }" >&2
    return 1
  fi
  # One line per name, empty for a missing one; a value with a line break
  # shifts the rest and fails the checks below.
  mapfile -t values < <(jq -r --arg p "$path" \
    '(.Parameters | map({(.Name): .Value}) | add) // {} |
      .[$p + "/db-host", $p + "/db-secret-arn", $p + "/cache-nodes", $p + "/amqp-host"] | . // ""' \
    <<<"$response")
  db_host=${values[0]-} db_secret_arn=${values[1]-} cache_nodes=${values[2]-} amqp_host=${values[3]-}

  # app.env is consumed as a systemd EnvironmentFile and by shell scripts, so
  # values must need no quoting in either.
  local -r host='[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?'
  local bad=""
  [[ $db_host =~ ^${host}$ ]] || bad+=" db-host"
  [[ $db_secret_arn =~ ^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$ ]] ||
    bad+=" db-secret-arn"
  [[ -z $cache_nodes || $cache_nodes =~ ^${host}:[0-9]{1,5}(,${host}:[0-9]{1,5})*$ ]] || bad+=" cache-nodes"
  [[ -z $amqp_host || $amqp_host =~ ^${host}$ ]] || bad+=" amqp-host"
  if [[ -n $bad ]]; then
    echo "malformed SSM parameters under ${path}:${bad}; app.env left as it is" >&2
    return 1
  fi

  install -d -m 0755 "${env_file%/*}"
  local staged
  staged=$(mktemp "${env_file}.XXXXXX")
  {
    printf '# Written by scale-tiers-app-env-sync from SSM %s/*; rewritten every few minutes.\n' "$path"
    printf 'DB_HOST=%s\n' "$db_host"
    printf 'DB_SECRET_ARN=%s\n' "$db_secret_arn"
    if [[ -n $cache_nodes ]]; then
      printf 'CACHE_NODES=%s\n' "$cache_nodes"
    fi
    if [[ -n $amqp_host ]]; then
      printf 'AMQP_HOST=%s\n' "$amqp_host"
    fi
  } >"$staged"
  # Readers see the old file or the new one, never half of one.
  chmod 0640 "$staged"
  chown root:nginx "$staged"
  if cmp -s "$staged" "$env_file"; then
    rm -f -- "$staged"
    # Unchanged content, but someone may have loosened the permissions.
    chmod 0640 "$env_file"
    chown root:nginx "$env_file"
  else
    mv -f -- "$staged" "$env_file"
    echo "updated ${env_file}"
  fi
}

# Only written when absent: once Jenkins has deployed the application, a re-run
# must not put the placeholder back.
write_placeholder_page() {
  # Created only when missing: a deployment may have given it another owner.
  if [[ ! -d $web_root ]]; then
    install -d -m 0755 -o root -g root "$web_root"
  fi
  if [[ -e "${web_root}/index.html" ]]; then
    log "${web_root}/index.html exists; leaving it"
    return 0
  fi
  cat >"${web_root}/index.html" <<'HTML'
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>scale-tiers</title></head>
<body>
<h1>scale-tiers</h1>
<p>This server is up. The application has not been deployed to it yet.</p>
</body>
</html>
HTML
  chmod 0644 "${web_root}/index.html"
  log "wrote placeholder ${web_root}/index.html"
}

render_site_conf() {
  # Listening on IPv6 fails outright on a kernel booted without it.
  local ipv6_listen=""
  if [[ -e /proc/net/if_inet6 ]]; then
    ipv6_listen="    listen [::]:${APP_PORT} default_server;"
  fi
  cat <<NGINX
# Written by the scale-tiers web bootstrap; rewritten on every run.

server_tokens off;

server {
    listen ${APP_PORT} default_server;
${ipv6_listen}
    server_name _;

    root ${web_root};
    index index.html;

    # The load balancer probes this every few seconds; logging it would drown
    # the real traffic.
    location = ${HEALTH_CHECK_PATH} {
        access_log off;
        default_type text/plain;
        return 200 "ok";
    }

    location / {
        try_files \$uri \$uri/ =404;
    }
}
NGINX
}

# The stock nginx.conf on AL2023 carries its own server block on port 80 that
# serves the distribution's test page. default_server alone would win most
# requests, but that block would still answer on 80 whatever APP_PORT is, so it
# is removed. The awk script drops every `server {` ... `}` block directly
# inside `http { ... }`, written as the stock file writes it (`server {` on one
# line); braces in quoted strings and comments are not counted. Once removed
# there is nothing left to drop, which keeps re-runs a no-op.
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

configure_nginx() {
  local -r staged_site="${work_dir}/scale-tiers.conf"
  render_site_conf >"$staged_site"
  if files_differ "$staged_site" "$site_conf"; then
    install_file "$staged_site" "$site_conf" 0644 root root
  fi

  local -r staged_main="${work_dir}/nginx.conf"
  render_main_conf_without_stock_server >"$staged_main"
  if files_differ "$staged_main" "$nginx_main_conf"; then
    # Keep the package's original once, for comparison after nginx upgrades.
    if [[ ! -e "${nginx_main_conf}.scale-tiers-orig" ]]; then
      cp -p "$nginx_main_conf" "${nginx_main_conf}.scale-tiers-orig"
    fi
    install_file "$staged_main" "$nginx_main_conf" 0644 root root
  fi

  # AL2023 runs SELinux permissive, but labels that match the policy keep
  # nginx working if it is ever switched to enforcing.
  if command -v selinuxenabled >/dev/null && selinuxenabled; then
    restorecon -R "$web_root" "$site_conf" "$nginx_main_conf"
  fi
  nginx -t
}

start_nginx() {
  local was_running=false
  if systemctl is-active --quiet nginx; then
    was_running=true
  fi
  systemctl enable --now nginx
  # enable --now does nothing to a running nginx; reload makes it read the
  # config written above without dropping connections.
  if [[ $was_running == true ]]; then
    systemctl reload nginx
  fi
}

self_check() {
  local -r url="http://127.0.0.1:${APP_PORT}${HEALTH_CHECK_PATH}"
  local body
  # A reload swaps worker processes asynchronously; give it a moment.
  body=$(retry 5 curl -fsS --max-time 5 "$url")
  [[ $body == ok ]] || die "${url} answered '${body}' instead of 'ok'"
  log "self-check passed: ${url} answered ok"
}

main() {
  start_logging
  take_lock
  log "starting (region ${AWS_REGION_NAME}, parameters ${APP_PARAMETER_PATH}, port ${APP_PORT})"
  validate_inputs
  work_dir=$(mktemp -d)

  install_missing_packages nginx jq

  # nginx is installed first: app.env belongs to its group.
  write_tool_script "$app_env_sync_script" app_env_sync "$AWS_REGION_NAME" "$APP_PARAMETER_PATH"
  install_timer scale-tiers-app-env-sync 5min "$app_env_sync_script"
  retry 6 run_timer_service scale-tiers-app-env-sync ||
    die "cannot write app.env; see journalctl -u scale-tiers-app-env-sync"

  write_placeholder_page
  configure_nginx
  start_nginx
  self_check
  install_cloudwatch_agent_sync
  log "done"
}

main "$@"
