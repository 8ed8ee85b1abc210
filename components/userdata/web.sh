#!/bin/bash
#
# scale-tiers web server bootstrap (cloud-init user data, Amazon Linux 2023).
#
# Puts nginx in front of the application: a health check endpoint for the load
# balancer, a placeholder page at / until the first release is deployed, and
# /etc/scale-tiers/app.env holding where the database is and which secret holds
# its credentials, and, when they exist, the memcached nodes and the RabbitMQ
# host. The application reads the secret itself at run time, so no secret
# ever passes through this script.
#
# app.env is rewritten from SSM every five minutes by a timer
# (scale-tiers-app-env-sync), so cache nodes or a broker added later reach
# running servers without replacing them; the application has to re-read it.
#
# Deployments (no SSH): Jenkins uploads a package to S3 and runs
# `/usr/local/sbin/scale-tiers-deploy <version>` on every web server through
# SSM Run Command, a few servers at a time; the tool exits non-zero when the
# new release is not healthy (after rolling back), which stops the rollout.
# Jenkins then records the version in <prefix>/app-version, and a new server
# (a replacement, or an Auto Scaling instance) deploys that version while it
# boots: if that fails, so does the bootstrap.
#
# The application contract:
#   - the package is s3://<bucket>/releases/<version>/app.tar.gz, <bucket>
#     from SSM <prefix>/artifact-bucket, <version> matching [A-Za-z0-9._-]
#     (1-64, not starting with a dot);
#   - the archive's top level has an executable bin/start, which runs the
#     application in the foreground (systemd unit scale-tiers-app, user
#     scale-tiers-app, EnvironmentFile=/etc/scale-tiers/app.env, PORT=8080,
#     Restart=on-failure); the working directory is the release directory;
#   - it listens on 127.0.0.1:8080 (nginx proxies to it) and answers
#     HEALTH_CHECK_PATH with 200 when it can serve; the load balancer sees
#     that answer.
# Releases live in /opt/scale-tiers/app/releases/<version>, the live one is
# the symlink /opt/scale-tiers/app/current; the last five are kept.
#
# Variables (scale-tiers inserts `readonly NAME='value'` lines right after the
# shebang when it renders this file; nothing below assigns them):
#   AWS_REGION_NAME     region for the aws CLI, e.g. ap-northeast-2
#   APP_PARAMETER_PATH  SSM Parameter Store prefix, no trailing slash, e.g.
#                       /scale-tiers/tier30k/app; <prefix>/db-host and
#                       <prefix>/db-secret-arn must exist, <prefix>/cache-nodes
#                       (host:port,host:port...), <prefix>/cache-tls ("true"
#                       with ElastiCache), <prefix>/amqp-host,
#                       <prefix>/queue-urls (name=url,...),
#                       <prefix>/logstash-host (with <prefix>/logstash-ca),
#                       <prefix>/artifact-bucket and
#                       <prefix>/app-version may
#   HEALTH_CHECK_PATH   path the load balancer probes, e.g. /healthz
#   APP_PORT            port nginx listens on, e.g. 80
#   CLOUDWATCH_AGENT_PARAMETER  SSM parameter holding the CloudWatch agent's
#                       configuration; need not exist (monitoring off)
#
# Safe to run again, by hand or through SSM Run Command: every step converges on
# the same state, and a deployed release is never replaced by the placeholder.
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
# scale-tiers:include tools.sh

# Lower-case names are this script's own, so they can never collide with a
# rendered readonly variable.
readonly web_root=/var/www/scale-tiers
readonly site_conf=/etc/nginx/conf.d/scale-tiers.conf
readonly routes_dir=/etc/nginx/scale-tiers
readonly app_env_sync_script=/usr/local/sbin/scale-tiers-app-env-sync
readonly deploy_tool=/usr/local/sbin/scale-tiers-deploy
readonly app_dir=/opt/scale-tiers/app
readonly app_user=scale-tiers-app
readonly app_unit=/etc/systemd/system/scale-tiers-app.service

validate_inputs() {
  require_region
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
# the current app.env alone. Besides the database, it carries what exists of:
# CACHE_NODES (host:port,...) and CACHE_TLS=1 when those nodes speak TLS only
# (ElastiCache); AMQP_HOST (RabbitMQ, published while it drains too);
# QUEUE_URLS (name=url,... of the SQS queues, in this region only).
app_env_sync() {
  local -r region=$1 path=$2
  local -r env_file=/etc/scale-tiers/app.env
  local response invalid db_host db_secret_arn cache_nodes cache_tls amqp_host queue_urls
  local -a values
  # get-parameters (not get-parameters-by-path): the instance role may read
  # these names only. It lists names that do not exist instead of failing.
  # --with-decryption is a no-op for String parameters and keeps this working
  # if they are ever made SecureString.
  response=$(aws ssm get-parameters --region "$region" --with-decryption --output json \
    --names "${path}/db-host" "${path}/db-secret-arn" "${path}/cache-nodes" "${path}/cache-tls" \
    "${path}/amqp-host" "${path}/queue-urls")
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
      .[$p + "/db-host", $p + "/db-secret-arn", $p + "/cache-nodes", $p + "/cache-tls",
        $p + "/amqp-host", $p + "/queue-urls"] | . // ""' \
    <<<"$response")
  db_host=${values[0]-} db_secret_arn=${values[1]-} cache_nodes=${values[2]-} cache_tls=${values[3]-}
  amqp_host=${values[4]-} queue_urls=${values[5]-}

  # app.env is consumed as a systemd EnvironmentFile and by shell scripts, so
  # values must need no quoting in either.
  local -r host='[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?'
  # name=https://sqs.<this region>.amazonaws.com/<account>/<queue>; regions
  # have no dots, so the region needs no escaping.
  local -r queue="[A-Za-z0-9_-]{1,40}=https://sqs\\.${region}\\.amazonaws\\.com/[0-9]{12}/[A-Za-z0-9_-]{1,80}"
  local bad="" entry
  local -a entries=()
  [[ $db_host =~ ^${host}$ ]] || bad+=" db-host"
  [[ $db_secret_arn =~ ^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$ ]] ||
    bad+=" db-secret-arn"
  [[ -z $cache_nodes || $cache_nodes =~ ^${host}:[0-9]{1,5}(,${host}:[0-9]{1,5})*$ ]] || bad+=" cache-nodes"
  [[ -z $cache_tls || $cache_tls == true || $cache_tls == false ]] || bad+=" cache-tls"
  [[ -z $amqp_host || $amqp_host =~ ^${host}$ ]] || bad+=" amqp-host"
  if [[ -n $queue_urls ]]; then
    if [[ $queue_urls =~ ^${queue}(,${queue})*$ ]]; then
      # Each URL is its own queue's: <project>-<stack>-<name>.
      IFS=, read -r -a entries <<<"$queue_urls"
      for entry in "${entries[@]}"; do
        if [[ ${entry##*/} != *-"${entry%%=*}" ]]; then
          bad+=" queue-urls"
          break
        fi
      done
    else
      bad+=" queue-urls"
    fi
  fi
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
    if [[ $cache_tls == true ]]; then
      printf 'CACHE_TLS=1\n'
    fi
    if [[ -n $amqp_host ]]; then
      printf 'AMQP_HOST=%s\n' "$amqp_host"
    fi
    if [[ -n $queue_urls ]]; then
      printf 'QUEUE_URLS=%s\n' "$queue_urls"
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

    # The placeholder or the application, whichever routes.conf links to;
    # scale-tiers-deploy switches it when the first release goes live.
    include ${routes_dir}/routes.conf;
}
NGINX
}

# Before any release: a static page and a static health answer.
render_placeholder_routes() {
  cat <<NGINX
# Written by the scale-tiers web bootstrap: no release deployed yet.

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
NGINX
}

# With a release: everything, the health check included, goes to the
# application, so the load balancer takes a broken server out of service.
render_app_routes() {
  cat <<NGINX
# Written by the scale-tiers web bootstrap: the deployed application.

proxy_set_header Host \$host;
proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
proxy_set_header X-Forwarded-Proto \$http_x_forwarded_proto;

location = ${HEALTH_CHECK_PATH} {
    access_log off;
    proxy_pass http://127.0.0.1:8080;
}

location / {
    proxy_pass http://127.0.0.1:8080;
}
NGINX
}

# deploy_routes <nginx-routes-dir> <app|placeholder>: points routes.conf at
# one of the two files atomically and reloads nginx if that changed it.
# Shared with scale-tiers-deploy.
deploy_routes() {
  local -r dir=$1 mode=$2
  local -r link="${dir}/routes.conf" target="${dir}/routes-${mode}.conf"
  local linked=""
  linked=$(readlink -- "$link" || true)
  if [[ $linked == "$target" ]]; then
    return 0
  fi
  ln -sfn -- "$target" "${link}.new"
  mv -fT -- "${link}.new" "$link"
  echo "nginx now routes to the ${mode}"
  nginx -t -q
  if systemctl is-active --quiet nginx; then
    systemctl reload nginx
  fi
}

configure_nginx() {
  local -r staged_site="${work_dir}/scale-tiers.conf"
  install -d -m 0755 "$routes_dir"
  render_placeholder_routes >"${work_dir}/routes-placeholder.conf"
  render_app_routes >"${work_dir}/routes-app.conf"
  local mode
  for mode in placeholder app; do
    if files_differ "${work_dir}/routes-${mode}.conf" "${routes_dir}/routes-${mode}.conf"; then
      install_file "${work_dir}/routes-${mode}.conf" "${routes_dir}/routes-${mode}.conf" 0644 root root
    fi
  done
  # A re-run keeps serving the application once a release is live.
  mode=placeholder
  if [[ -e "${app_dir}/current/bin/start" ]]; then
    mode=app
  fi
  ln -sfn -- "${routes_dir}/routes-${mode}.conf" "${routes_dir}/routes.conf"

  render_site_conf >"$staged_site"
  if files_differ "$staged_site" "$site_conf"; then
    install_file "$staged_site" "$site_conf" 0644 root root
  fi
  remove_stock_nginx_server

  # AL2023 runs SELinux permissive, but labels that match the policy keep
  # nginx working if it is ever switched to enforcing; proxying to the
  # application needs the boolean too.
  if command -v selinuxenabled >/dev/null && selinuxenabled; then
    restorecon -R "$web_root" "$site_conf" "$routes_dir" /etc/nginx/nginx.conf
    setsebool -P httpd_can_network_connect 1
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

# ---------------------------------------------------------------------------
# Deployment: scale-tiers-deploy and the application's unit
# ---------------------------------------------------------------------------

# deploy_ssm_value <region> <name>: prints a parameter's value; exits 3 when
# it does not exist, 1 when it cannot be read (after a few attempts).
deploy_ssm_value() {
  local -r region=$1 name=$2
  local errors attempt value
  errors=$(mktemp)
  for attempt in 1 2 3 4; do
    if value=$(aws ssm get-parameter --region "$region" --name "$name" \
      --query Parameter.Value --output text 2>"$errors"); then
      rm -f -- "$errors"
      printf '%s' "$value"
      return 0
    fi
    if grep -q ParameterNotFound "$errors"; then
      rm -f -- "$errors"
      return 3
    fi
    sleep $((attempt * 3))
  done
  cat -- "$errors" >&2
  rm -f -- "$errors"
  echo "cannot read SSM parameter ${name}" >&2
  return 1
}

# Until the URL answers 2xx, for about a minute.
deploy_healthy() {
  local -r url=$1
  local -r deadline=$((SECONDS + 60))
  until curl -fsS --max-time 5 -o /dev/null "$url" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 2
  done
}

# Points the current symlink at a release: a new link renamed over the old
# one, so nothing ever sees no link or half of one.
deploy_switch() {
  local -r release=$1 current=$2
  ln -sfn -- "$release" "${current}.new"
  mv -fT -- "${current}.new" "$current"
}

# Keeps the five most recently activated releases, and always the live one
# and the one before it.
deploy_prune() {
  local -r releases=$1 keep=$2 previous=$3
  local dir
  find "$releases" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %p\n' | sort -rn | tail -n +6 |
    while read -r _ dir; do
      if [[ $dir != "$keep" && $dir != "$previous" ]]; then
        rm -rf -- "$dir"
        echo "removed old release ${dir##*/}"
      fi
    done
}

# scale-tiers-deploy <version>: see the header of this file. Runs as root
# from SSM Run Command or the bootstrap; its output is the command's output.
app_deploy() {
  local -r region=$1 path=$2 port=$3 health=$4 routes=$5 version=${6-}
  local -r app=/opt/scale-tiers/app
  local -r current="${app}/current" staging="${app}/.staging"
  local -r release="${app}/releases/${version}" url="http://127.0.0.1:${port}${health}"
  if [[ ! $version =~ ^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$ ]]; then
    echo "usage: scale-tiers-deploy <version>, 1-64 of [A-Za-z0-9._-], not starting with a dot" >&2
    return 2
  fi
  # One deployment at a time: SSM and a re-run bootstrap could overlap.
  exec 8>/run/scale-tiers-deploy.lock
  flock -w 600 8 || {
    echo "another deployment still holds /run/scale-tiers-deploy.lock" >&2
    return 1
  }

  local previous=""
  previous=$(readlink -- "$current" || true)
  if [[ $previous == "$release" ]] && systemctl is-active --quiet scale-tiers-app &&
    deploy_healthy "$url"; then
    echo "${version} is already live and healthy"
    tool_write_state app-version "$version"
    return 0
  fi

  if [[ -d $release ]]; then
    echo "${version} is already unpacked in ${release}"
  else
    local bucket status=0
    bucket=$(deploy_ssm_value "$region" "${path}/artifact-bucket") || status=$?
    if ((status == 3)); then
      echo "SSM parameter ${path}/artifact-bucket does not exist: this stack has no CI, so there is nothing to deploy from" >&2
      return 1
    elif ((status != 0)); then
      return 1
    fi
    [[ $bucket =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || {
      echo "${path}/artifact-bucket is not a bucket name: ${bucket}" >&2
      return 1
    }
    local -r package="s3://${bucket}/releases/${version}/app.tar.gz"
    # Left over by an interrupted run; the release directory only ever
    # appears complete, by rename.
    rm -rf -- "$staging"
    install -d -m 0700 "$staging" "${staging}/tree"
    local attempt
    for attempt in 1 2 3 4 5; do
      if aws s3 cp --region "$region" --only-show-errors "$package" "${staging}/app.tar.gz"; then
        break
      fi
      if ((attempt == 5)); then
        echo "cannot download ${package}" >&2
        return 1
      fi
      sleep $((attempt * 5))
    done
    tar -xzf "${staging}/app.tar.gz" -C "${staging}/tree" --no-same-owner
    if [[ ! -f "${staging}/tree/bin/start" || ! -x "${staging}/tree/bin/start" ]]; then
      echo "${package} has no executable bin/start at its top level" >&2
      rm -rf -- "$staging"
      return 1
    fi
    chown -R -h scale-tiers-app:scale-tiers-app "${staging}/tree"
    chmod 0755 "${staging}/tree"
    mv -T -- "${staging}/tree" "$release"
    rm -rf -- "$staging"
    echo "unpacked ${package} into ${release}"
  fi

  deploy_switch "$release" "$current"
  deploy_routes "$routes" app
  systemctl restart scale-tiers-app
  if deploy_healthy "$url"; then
    touch -h -- "$release"
    tool_write_state app-version "$version"
    deploy_prune "${app}/releases" "$release" "$previous"
    echo "deployed ${version}: ${url} answers"
    return 0
  fi

  echo "${version} did not answer ${url} within 60s; its last log lines:" >&2
  journalctl -u scale-tiers-app -n 30 --no-pager -o cat >&2 || true
  if [[ -n $previous && $previous != "$release" && -d $previous ]]; then
    deploy_switch "$previous" "$current"
    systemctl restart scale-tiers-app
    if deploy_healthy "$url"; then
      echo "rolled back to ${previous##*/}" >&2
    else
      echo "rolled back to ${previous##*/}, which does not answer either" >&2
    fi
  elif [[ -z $previous ]]; then
    # The first release: back to the placeholder this server served before.
    rm -f -- "$current"
    systemctl stop scale-tiers-app || true
    deploy_routes "$routes" placeholder
    echo "no earlier release to roll back to; serving the placeholder again" >&2
  fi
  return 1
}

install_app_unit() {
  if ! id -u "$app_user" >/dev/null 2>&1; then
    useradd --system --home-dir "$app_dir" --no-create-home --shell /sbin/nologin "$app_user"
  fi
  install -d -m 0755 -o root -g root /opt/scale-tiers "$app_dir" "${app_dir}/releases"
  local -r staged="${work_dir}/scale-tiers-app.service"
  # app.env belongs to the nginx group (see app_env_sync), hence the
  # supplementary group: the application re-reads the file itself.
  cat >"$staged" <<UNIT
# Written by the scale-tiers web bootstrap; the contract is in
# components/userdata/web.sh. Started by scale-tiers-deploy, and at boot once
# a release exists.
[Unit]
Description=scale-tiers application
Wants=network-online.target
After=network-online.target
ConditionPathExists=${app_dir}/current/bin/start

[Service]
User=${app_user}
Group=${app_user}
SupplementaryGroups=nginx
EnvironmentFile=/etc/scale-tiers/app.env
Environment=PORT=8080
WorkingDirectory=${app_dir}/current
ExecStart=${app_dir}/current/bin/start
Restart=on-failure
RestartSec=2
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full

[Install]
WantedBy=multi-user.target
UNIT
  if files_differ "$staged" "$app_unit"; then
    install_file "$staged" "$app_unit" 0644 root root
    systemctl daemon-reload
  fi
  systemctl enable scale-tiers-app
  write_tool_script "$deploy_tool" \
    "app_deploy deploy_ssm_value deploy_healthy deploy_switch deploy_prune deploy_routes" \
    "$AWS_REGION_NAME" "$APP_PARAMETER_PATH" "$APP_PORT" "$HEALTH_CHECK_PATH" "$routes_dir"
}

# A new server comes up with the release Jenkins recorded last, or fails.
deploy_recorded_release() {
  local -r name="${APP_PARAMETER_PATH}/app-version"
  local version status=0
  version=$(deploy_ssm_value "$AWS_REGION_NAME" "$name") || status=$?
  case $status in
    0) ;;
    3)
      log "${name} does not exist (nothing deployed yet); serving the placeholder"
      return 0
      ;;
    *) die "cannot read ${name}" ;;
  esac
  log "deploying the recorded release ${version}"
  if ! "$deploy_tool" "$version"; then
    # The placeholder would still answer the health check, and the load
    # balancer would send clients to a server without the application; a
    # stopped but enabled nginx would do so again after a reboot. The next
    # successful run enables it again (start_nginx).
    systemctl disable --now nginx
    die "scale-tiers-deploy ${version} failed; nginx stopped and disabled so that this server fails its health check"
  fi
}

# Ships nginx's and the application's logs to Logstash with Filebeat OSS
# while SSM <prefix>/logstash-host exists (the stack runs ELK), and stops
# Filebeat once it is deleted; without the parameter it does nothing. Filebeat
# speaks TLS and checks the endpoint's certificate against the CA in SSM
# <prefix>/logstash-ca (a certificate, not a secret). Runs
# from its own timer (scale-tiers-log-shipper-sync) and once from the
# bootstrap; Filebeat restarts only when its configuration changes.
log_shipper_sync() {
  local -r region=$1 path=$2
  local -r config=/etc/filebeat/filebeat.yml ca_file=/etc/filebeat/logstash-ca.pem repo=elastic-oss-8.x
  local host ca status=0 staged changed=false
  host=$(deploy_ssm_value "$region" "${path}/logstash-host") || status=$?
  if ((status == 3)); then
    if systemctl is-enabled --quiet filebeat 2>/dev/null; then
      echo "${path}/logstash-host does not exist any more; stopping Filebeat"
      systemctl disable --now filebeat
    fi
    return 0
  fi
  ((status == 0)) || return 1
  if [[ ! $host =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
    echo "${path}/logstash-host is not a host name: ${host}" >&2
    return 1
  fi
  ca=$(deploy_ssm_value "$region" "${path}/logstash-ca") || return 1
  if [[ $ca != "-----BEGIN CERTIFICATE-----"* ]]; then
    echo "${path}/logstash-ca is not a PEM certificate" >&2
    return 1
  fi
  if ! rpm -q --quiet filebeat; then
    # Elastic's Apache-2.0 repository, enabled for this install only.
    printf '%s\n' "[${repo}]" "name=Elastic 8.x OSS packages" "gpgcheck=1" "enabled=0" "type=rpm-md" \
      "baseurl=https://artifacts.elastic.co/packages/oss-8.x/yum" \
      "gpgkey=https://artifacts.elastic.co/GPG-KEY-elasticsearch" >"/etc/yum.repos.d/${repo}.repo"
    dnf install -y --enablerepo="$repo" filebeat
  fi
  staged=$(mktemp)
  cat >"$staged" <<YAML
# Written by scale-tiers-log-shipper-sync from SSM ${path}/logstash-host.
filebeat.inputs:
  - type: filestream
    id: nginx-access
    paths: [/var/log/nginx/access.log]
    fields: {log_type: nginx-access}
    fields_under_root: true
  - type: filestream
    id: nginx-error
    paths: [/var/log/nginx/error.log]
    fields: {log_type: nginx-error}
    fields_under_root: true
  # The application logs to stdout, which systemd keeps in the journal.
  - type: journald
    id: app-journal
    include_matches.match: [_SYSTEMD_UNIT=scale-tiers-app.service]
    fields: {log_type: app}
    fields_under_root: true
processors:
  - add_host_metadata: ~
  - add_cloud_metadata: ~
output.logstash:
  hosts: ["${host}:5044"]
  ssl.enabled: true
  ssl.verification_mode: full
  ssl.certificate_authorities: ["${ca_file}"]
YAML
  if ! cmp -s "$staged" "$config"; then
    # Filebeat refuses a configuration that others could write.
    install -m 0600 -o root -g root "$staged" "$config"
    changed=true
  fi
  rm -f -- "$staged"
  staged=$(mktemp)
  printf '%s\n' "$ca" >"$staged"
  if ! cmp -s "$staged" "$ca_file"; then
    install -m 0644 -o root -g root "$staged" "$ca_file"
    changed=true
  fi
  rm -f -- "$staged"
  if [[ $changed == false ]] && systemctl is-active --quiet filebeat; then
    return 0
  fi
  systemctl enable filebeat
  systemctl restart filebeat
  echo "Filebeat ships to ${host}:5044 over TLS"
}

self_check() {
  local -r url="http://127.0.0.1:${APP_PORT}${HEALTH_CHECK_PATH}"
  local body
  # A reload swaps worker processes asynchronously; give it a moment.
  body=$(retry 5 curl -fsS --max-time 5 "$url")
  if [[ $(readlink -- "${routes_dir}/routes.conf") == */routes-app.conf ]]; then
    log "self-check passed: the application answers ${url}"
    return 0
  fi
  [[ $body == ok ]] || die "${url} answered '${body}' instead of 'ok'"
  log "self-check passed: ${url} answered ok"
}

main() {
  start_logging
  take_lock
  log "starting (region ${AWS_REGION_NAME}, parameters ${APP_PARAMETER_PATH}, port ${APP_PORT})"
  validate_inputs
  work_dir=$(mktemp -d)

  install_missing_packages nginx jq tar

  # nginx is installed first: app.env belongs to its group.
  write_tool_script "$app_env_sync_script" app_env_sync "$AWS_REGION_NAME" "$APP_PARAMETER_PATH"
  install_timer scale-tiers-app-env-sync 5min "$app_env_sync_script"
  retry 6 run_timer_service scale-tiers-app-env-sync ||
    die "cannot write app.env; see journalctl -u scale-tiers-app-env-sync"

  write_placeholder_page
  install_app_unit
  configure_nginx
  start_nginx
  deploy_recorded_release
  self_check
  install_cloudwatch_agent_sync
  write_tool_script /usr/local/sbin/scale-tiers-log-shipper-sync "log_shipper_sync deploy_ssm_value" \
    "$AWS_REGION_NAME" "$APP_PARAMETER_PATH"
  install_timer scale-tiers-log-shipper-sync 5min /usr/local/sbin/scale-tiers-log-shipper-sync
  # Like monitoring, not worth failing the server for: the timer tries again.
  retry 3 run_timer_service scale-tiers-log-shipper-sync ||
    log "WARNING: the log shipper sync failed; see journalctl -u scale-tiers-log-shipper-sync"
  log "done"
}

main "$@"
